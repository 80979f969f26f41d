"""Demo FAQ entries: a few published answers so the public pages and intake show something.

They go through the real workflow (the coordinator writes and submits, the communication
adviser publishes), so the demo also shows revisions and four-eyes. Added only when the
crisis has no entries yet; running seed-demo again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from kcc.auth.models import User
from kcc.extensions import db
from kcc.faq.editorial import EntryInput, create_entry, take_action
from kcc.faq.models import FaqEntry
from kcc.insight.models import CrisisEvent, EventKind
from kcc.reference.models import Crisis, Municipality, Topic


@dataclass(frozen=True)
class DemoEntry:
    """One demo entry; `municipality` is a CBS code, `replaces` the question it stands in for."""

    crisis: str
    topic: str
    question: str
    answer: str
    translations: dict[str, tuple[str, str]] | None = None
    municipality: str | None = None
    replaces: str | None = None
    depends_on_measure: bool = False


LEEFGELD_QUESTION = "Hoeveel leefgeld krijg ik?"
DEMO_MEASURE = ("oekraine", "Nieuwe bedragen leefgeld", date(2026, 1, 1))
DEMO_ENTRIES = (
    DemoEntry(
        "oekraine",
        "leefgeld",
        LEEFGELD_QUESTION,
        "U krijgt elke maand leefgeld voor eten, kleding en andere dagelijkse uitgaven.\n\n"
        "- Volwassene: € 260 per maand\n- Kind: € 215 per maand\n\n"
        "Meer weten? Kijk op [de website van de Rijksoverheid](https://www.rijksoverheid.nl).",
        translations={
            "en": (
                "How much living allowance do I get?",
                "You receive a living allowance every month for food, clothes and other daily "
                "costs.\n\n- Adult: € 260 per month\n- Child: € 215 per month",
            ),
            "uk": (
                "Скільки грошей на проживання я отримаю?",
                "Ви щомісяця отримуєте гроші на їжу, одяг та інші щоденні витрати.\n\n"
                "- Дорослий: € 260 на місяць\n- Дитина: € 215 на місяць",
            ),
        },
        depends_on_measure=True,
    ),
    DemoEntry(
        "oekraine",
        "leefgeld",
        LEEFGELD_QUESTION,
        "In Hilversum krijgt u het leefgeld elke twee weken op uw bankrekening.\n\n"
        "- Volwassene: € 130 per twee weken\n- Kind: € 107,50 per twee weken",
        municipality="GM0402",
        replaces=LEEFGELD_QUESTION,
    ),
    DemoEntry(
        "oekraine",
        "inschrijving",
        "Hoe schrijf ik mij in bij de gemeente?",
        "Maak een afspraak bij de balie van uw gemeente. Neem uw paspoort of identiteitskaart "
        "mee. U krijgt dan een burgerservicenummer (BSN).",
        translations={
            "en": (
                "How do I register with the municipality?",
                "Make an appointment at the desk of your municipality. Bring your passport or "
                "identity card. You will receive a citizen service number (BSN).",
            )
        },
    ),
    DemoEntry(
        "corona",
        "",
        "Waar kan ik terecht met vragen over corona?",
        "Bel de GGD op 0800-1202 of kijk op https://www.rijksoverheid.nl/onderwerpen/coronavirus-covid-19.",
    ),
)


def seed_demo_faq(coordinator: User, adviser: User) -> int:
    """Publish the demo entries of each crisis that has none; return how many were added."""
    crises = {c.code: c for c in db.session.scalars(select(Crisis))}
    municipalities = {m.cbs_code: m.id for m in db.session.scalars(select(Municipality))}
    with_entries = set(db.session.scalars(select(FaqEntry.crisis_id).distinct()))
    measure = ensure_demo_measure(crises, coordinator)
    added: dict[str, int] = {}
    for demo in DEMO_ENTRIES:
        crisis = crises.get(demo.crisis)
        if crisis is None or crisis.id in with_entries:
            continue
        data = EntryInput(
            crisis_id=crisis.id,
            question=demo.question,
            answer=demo.answer,
            topic_id=topic_id(crisis.id, demo.topic),
            municipality_id=municipalities.get(demo.municipality or ""),
            replaces_entry_id=regional_entry_id(crisis.id, demo.replaces),
            depends_on_event_id=measure.id if demo.depends_on_measure and measure else None,
            translations=demo.translations or {},
        )
        entry = create_entry(data, user=coordinator)
        entry = take_action(entry.id, "submit", user=coordinator, seen_version=entry.version)
        take_action(entry.id, "publish", user=adviser, seen_version=entry.version)
        added[demo.crisis] = added.get(demo.crisis, 0) + 1
    return sum(added.values())


def ensure_demo_measure(crises: dict[str, Crisis], user: User) -> CrisisEvent | None:
    """The measure the demo leefgeld entry depends on."""
    code, title, occurs_on = DEMO_MEASURE
    crisis = crises.get(code)
    if crisis is None:
        return None
    existing = db.session.scalar(
        select(CrisisEvent).where(CrisisEvent.crisis_id == crisis.id, CrisisEvent.title == title)
    )
    if existing is not None:
        return existing
    measure = CrisisEvent(
        crisis_id=crisis.id,
        kind=EventKind.MAATREGEL.value,
        title=title,
        occurs_on=occurs_on,
        recorded_by_id=user.id,
    )
    db.session.add(measure)
    db.session.flush()
    return measure


def topic_id(crisis_id: int, code: str) -> int | None:
    """The id of a crisis's topic by code (None for no topic)."""
    if not code:
        return None
    return db.session.scalar(
        select(Topic.id).where(Topic.crisis_id == crisis_id, Topic.code == code)
    )


def regional_entry_id(crisis_id: int, question: str | None) -> int | None:
    """The regional entry with this question, which a municipal demo entry replaces."""
    if question is None:
        return None
    return db.session.scalar(
        select(FaqEntry.id).where(
            FaqEntry.crisis_id == crisis_id,
            FaqEntry.municipality_id.is_(None),
            FaqEntry.question == question,
        )
    )
