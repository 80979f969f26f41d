"""The FAQ editorial workflow: states, four-eyes, working and live text, revisions, measures."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kcc.auth.models import User
from kcc.exceptions import Conflict, Forbidden, ValidationFailed
from kcc.extensions import db
from kcc.faq import editorial
from kcc.faq.editorial import EntryInput
from kcc.faq.formatting import plain_answer, render_answer
from kcc.faq.models import FaqEntry
from kcc.governance.models import AuditEvent
from kcc.insight.services import EventInput, record_crisis_event
from kcc.intake.suggestions import suggest_for
from kcc.nlp.plain_language import plain_language_hints
from kcc.reference.models import Crisis, Municipality
from tests.helpers import AuthActions, csrf_token_from, post_form

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
QUESTION = "Hoeveel leefgeld krijgt een gezin uit Oekraïne?"
ANSWER = "U krijgt leefgeld per persoon.\n\n- Volwassene: € 260 per maand\n- Kind: € 215 per maand"


@dataclass(frozen=True)
class Desk:
    """The demo records the editorial tests use (ids, so no test holds an app context)."""

    oekraine: int
    corona: int
    hilversum: int
    huizen: int
    user_ids: dict[str, int]

    @property
    def users(self) -> dict[str, User]:
        """The users themselves, in the current app context's session."""
        return {name: db.session.get(User, user_id) for name, user_id in self.user_ids.items()}


@pytest.fixture
def desk(app: Flask, demo: None) -> Desk:
    """The demo crises, two municipalities and the users."""
    with app.app_context():
        crises = {c.code: c.id for c in db.session.scalars(select(Crisis))}
        municipalities = {m.name: m.id for m in db.session.scalars(select(Municipality))}
        names = sorted(municipalities)
        return Desk(
            oekraine=crises["oekraine"],
            corona=crises["corona"],
            hilversum=municipalities["Hilversum"],
            huizen=municipalities[next(n for n in names if n != "Hilversum")],
            user_ids={u.username: u.id for u in db.session.scalars(select(User))},
        )


@pytest.fixture
def in_app(app: Flask) -> Iterator[None]:
    """Service tests run inside an app context (screen tests must not: requests share it)."""
    with app.app_context():
        yield


def entry_input(desk: Desk, **changes: object) -> EntryInput:
    """A valid entry for the oekraine crisis, with changes."""
    values: dict[str, object] = {"crisis_id": desk.oekraine, "question": QUESTION, "answer": ANSWER}
    values.update(changes)
    return EntryInput(**values)  # type: ignore[arg-type]


def write_and_submit(desk: Desk, **changes: object) -> FaqEntry:
    """The coordinator writes an entry and offers it for review."""
    entry = editorial.create_entry(
        entry_input(desk, **changes), user=desk.users["coordinator"], now=NOW
    )
    return editorial.take_action(
        entry.id, "submit", user=desk.users["coordinator"], seen_version=entry.version, now=NOW
    )


def publish(desk: Desk, entry: FaqEntry, by: str = "analyst") -> FaqEntry:
    """Publish the entry as another user."""
    return editorial.take_action(
        entry.id, "publish", user=desk.users[by], seen_version=entry.version, now=NOW
    )


def test_an_entry_goes_from_concept_to_published_by_a_second_person(
    desk: Desk, in_app: None
) -> None:
    entry = write_and_submit(desk)
    assert entry.state == "ter_review" and not entry.is_public

    with pytest.raises(Forbidden, match="Vier ogen"):
        publish(desk, entry, by="coordinator")
    entry = publish(desk, entry)

    assert entry.state == "gepubliceerd" and entry.is_public
    assert (entry.live_question, entry.live_answer) == (QUESTION, ANSWER)
    assert entry.live_changed_at == NOW and entry.published_by_id == desk.users["analyst"].id
    assert [(r.number, r.action, r.user.username) for r in entry.revisions] == [
        (1, "created", "coordinator"),
        (2, "submit", "coordinator"),
        (3, "publish", "analyst"),
    ]
    logged = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "faq_changed", AuditEvent.object_id == str(entry.id)
        )
    ).all()
    assert len(logged) == 3


def test_four_eyes_can_be_switched_off(app: Flask, desk: Desk, in_app: None) -> None:
    app.config["FAQ_FOUR_EYES"] = False
    entry = publish(desk, write_and_submit(desk), by="coordinator")
    assert entry.is_public


def test_the_last_editor_may_not_publish_either(desk: Desk, in_app: None) -> None:
    entry = write_and_submit(desk)
    entry = editorial.update_entry(
        entry.id,
        entry_input(desk, answer=ANSWER + "\n\nMeer weten? Bel 14 035."),
        user=desk.users["analyst"],
        seen_version=entry.version,
        now=NOW,
    )
    entry = editorial.take_action(
        entry.id, "submit", user=desk.users["analyst"], seen_version=entry.version, now=NOW
    )
    with pytest.raises(Forbidden):
        publish(desk, entry, by="analyst")


def test_editing_a_published_entry_keeps_the_approved_text_public(desk: Desk, in_app: None) -> None:
    entry = publish(desk, write_and_submit(desk))
    entry = editorial.update_entry(
        entry.id,
        entry_input(desk, answer="Nieuw bedrag: € 300 per maand."),
        user=desk.users["coordinator"],
        seen_version=entry.version,
        now=NOW,
    )
    assert entry.state == "concept" and entry.is_public and entry.has_pending_changes
    assert entry.live_answer == ANSWER

    entry = editorial.take_action(
        entry.id, "submit", user=desk.users["coordinator"], seen_version=entry.version, now=NOW
    )
    entry = publish(desk, entry)
    assert entry.live_answer == "Nieuw bedrag: € 300 per maand."
    assert not entry.has_pending_changes


def test_a_public_entry_cannot_move_to_another_municipality_unreviewed(
    desk: Desk, in_app: None
) -> None:
    entry = publish(desk, write_and_submit(desk))
    with pytest.raises(ValidationFailed, match="ingetrokken"):
        editorial.update_entry(
            entry.id,
            entry_input(desk, municipality_id=desk.hilversum),
            user=desk.users["coordinator"],
            seen_version=entry.version,
        )
    db.session.rollback()
    assert db.session.get(FaqEntry, entry.id).municipality_id is None


def test_withdrawing_needs_a_reason_and_takes_the_entry_offline(desk: Desk, in_app: None) -> None:
    entry = publish(desk, write_and_submit(desk))
    with pytest.raises(ValidationFailed, match="reden"):
        editorial.take_action(
            entry.id, "withdraw", user=desk.users["analyst"], seen_version=entry.version
        )
    db.session.rollback()
    entry = editorial.take_action(
        entry.id,
        "withdraw",
        user=desk.users["analyst"],
        seen_version=entry.version,
        reason="Regeling vervallen",
    )
    assert entry.state == "ingetrokken" and not entry.is_public
    assert entry.revisions[-1].note == "Regeling vervallen"


def test_a_change_based_on_an_old_version_is_refused_and_changes_nothing(
    desk: Desk, in_app: None
) -> None:
    entry = write_and_submit(desk)
    stale = entry.version
    entry = editorial.take_action(
        entry.id, "send_back", user=desk.users["analyst"], seen_version=stale, reason="Te lang"
    )
    with pytest.raises(Conflict):
        editorial.update_entry(
            entry.id,
            entry_input(desk, question="Overschreven?"),
            user=desk.users["coordinator"],
            seen_version=stale,
        )
    assert db.session.get(FaqEntry, entry.id).question == QUESTION


def test_only_allowed_transitions_happen(desk: Desk, in_app: None) -> None:
    entry = editorial.create_entry(entry_input(desk), user=desk.users["coordinator"])
    with pytest.raises(Conflict, match="Concept"):
        publish(desk, entry)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"answer": "Zie [hier](javascript:alert(1))"}, "answer", "niet toegestaan"),
        ({"translations": {"en": ("How much?", "")}}, "en_question", "zowel"),
        ({"question": ""}, "question", "Vul de vraag in"),
    ],
)
def test_bad_input_is_refused_with_a_message_per_field(
    desk: Desk, in_app: None, changes: dict, field: str, message: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        editorial.create_entry(entry_input(desk, **changes), user=desk.users["coordinator"])
    assert message in " ".join(refused.value.errors[field])
    assert db.session.scalar(select(FaqEntry.id)) is None


def test_a_topic_of_another_crisis_and_a_regional_replacement_are_refused(
    desk: Desk, in_app: None
) -> None:
    corona_topic = db.session.get(Crisis, desk.corona).topics[0]
    regional = editorial.create_entry(entry_input(desk), user=desk.users["coordinator"])
    with pytest.raises(ValidationFailed) as refused:
        editorial.create_entry(
            entry_input(desk, topic_id=corona_topic.id, replaces_entry_id=regional.id),
            user=desk.users["coordinator"],
        )
    assert set(refused.value.errors) == {"topic_id", "replaces_entry_id"}


def test_a_new_measure_flags_the_entries_that_depend_on_an_older_one(
    desk: Desk, in_app: None
) -> None:
    old = record_crisis_event(
        EventInput(desk.oekraine, "maatregel", "Leefgeldregeling 2026", date(2026, 1, 1)),
        user=desk.users["coordinator"],
    ).event
    regional = publish(desk, write_and_submit(desk, depends_on_event_id=old.id))
    elsewhere = write_and_submit(
        desk, municipality_id=desk.huizen, depends_on_date=date(2026, 3, 1)
    )
    untouched = write_and_submit(desk, question="Waar is de opvang?")

    recorded = record_crisis_event(
        EventInput(
            desk.oekraine,
            "maatregel",
            "Nieuwe bedragen leefgeld",
            date(2026, 12, 1),
            municipality_id=desk.hilversum,
        ),
        user=desk.users["coordinator"],
    )

    assert recorded.flagged == 1
    assert db.session.get(FaqEntry, regional.id).needs_check
    assert "Nieuwe bedragen leefgeld" in db.session.get(FaqEntry, regional.id).check_reason
    assert not db.session.get(FaqEntry, elsewhere.id).needs_check
    assert not db.session.get(FaqEntry, untouched.id).needs_check

    checked = editorial.mark_checked(
        regional.id,
        user=desk.users["coordinator"],
        seen_version=db.session.get(FaqEntry, regional.id).version,
    )
    assert not checked.needs_check and checked.revisions[-1].action == "checked"


def test_an_event_that_is_no_measure_flags_nothing(desk: Desk, in_app: None) -> None:
    publish(desk, write_and_submit(desk, depends_on_date=date(2026, 1, 1)))
    recorded = record_crisis_event(
        EventInput(desk.oekraine, "gebeurtenis", "Informatieavond", date(2026, 12, 1)),
        user=None,
    )
    assert recorded.flagged == 0


def test_intake_suggests_published_entries_first_and_shows_the_check_flag(
    desk: Desk,
    in_app: None,
) -> None:
    draft = editorial.create_entry(
        entry_input(desk, question="Hoeveel leefgeld krijgt een kind?", answer="Concepttekst"),
        user=desk.users["coordinator"],
    )
    entry = publish(desk, write_and_submit(desk, depends_on_date=date(2026, 1, 1)))
    record_crisis_event(
        EventInput(desk.oekraine, "maatregel", "Nieuwe bedragen", date(2026, 12, 1)), user=None
    )

    suggestions = suggest_for(desk.oekraine, "hoeveel leefgeld krijgt een gezin")["suggestions"]

    assert suggestions[0]["kind"] == "faq" and suggestions[0]["id"] == entry.id
    assert suggestions[0]["needs_check"] is True
    assert suggestions[0]["answer"] == plain_answer(ANSWER)
    assert draft.id not in [s["id"] for s in suggestions if s["kind"] == "faq"]


def test_answers_render_lists_and_links_and_escape_everything_else() -> None:
    html = str(
        render_answer(
            "Lees <b>dit</b>:\n- [de regeling](https://www.rijksoverheid.nl/x)\n- "
            "[kwaad](javascript:alert(1))\n\nZie https://www.hilversum.nl/oekraine."
        )
    )
    assert "&lt;b&gt;dit&lt;/b&gt;" in html
    assert '<ul><li><a href="https://www.rijksoverheid.nl/x">de regeling</a></li>' in html
    assert "javascript" not in html.split("</ul>")[0].replace("[kwaad](javascript", "")
    assert (
        '<a href="https://www.hilversum.nl/oekraine">https://www.hilversum.nl/oekraine</a>.' in html
    )


def test_plain_language_hints_name_long_sentences_and_officialese() -> None:
    hard = (
        "Indien u reeds een aanvraag heeft ingediend teneinde in aanmerking te komen voor de "
        "tegemoetkomingsregeling, wordt deze door de gemeente middels een brief beoordeeld en "
        "afgehandeld binnen acht weken."
    )
    codes = {hint.code for hint in plain_language_hints(hard)}
    assert codes == {"long_sentences", "long_words", "official_words", "passive"}
    assert plain_language_hints("U krijgt het geld op uw rekening. Dat gebeurt elke maand.") == []


# --- The screens -------------------------------------------------------------------------------


def stored(app: Flask, column: object) -> object:
    """One value from the database, read in a context of its own."""
    with app.app_context():
        return db.session.scalar(select(column))


def entry_form_data(desk: Desk, **changes: object) -> dict[str, object]:
    """The entry form as a browser would post it."""
    data: dict[str, object] = {"crisis_id": desk.oekraine, "question": QUESTION, "answer": ANSWER}
    data.update(changes)
    return data


def test_the_coordinator_drafts_and_an_adviser_publishes_through_the_screens(
    app: Flask, client: FlaskClient, auth: AuthActions, desk: Desk
) -> None:
    auth.login("coordinator")
    created = post_form(
        client,
        "/editorial/entries/new",
        entry_form_data(desk, en_question="How much?", en_answer="Per person."),
    )
    assert created.status_code == 302
    entry_url = created.headers["Location"]
    page = client.get(entry_url)
    token = csrf_token_from(page)
    version = stored(app, FaqEntry.version)
    client.post(
        entry_url + "/action", data={"csrf_token": token, "action": "submit", "version": version}
    )
    version = stored(app, FaqEntry.version)
    refused = client.post(
        entry_url + "/action",
        data={"csrf_token": token, "action": "publish", "version": version},
        follow_redirects=True,
    )
    assert "Vier ogen" in refused.get_data(as_text=True)
    auth.logout()

    auth.login("analyst")
    page = client.get(entry_url)
    assert "Ter review" in page.get_data(as_text=True)
    published = client.post(
        entry_url + "/action",
        data={"csrf_token": csrf_token_from(page), "action": "publish", "version": version},
        follow_redirects=True,
    )
    text = published.get_data(as_text=True)
    assert "staat online" in text and 'lang="en"' in text
    with app.app_context():
        entry = db.session.scalar(select(FaqEntry))
        assert entry.is_public and entry.translation("en").live_answer == "Per person."


def test_a_refused_entry_form_keeps_everything_typed(
    app: Flask, client: FlaskClient, auth: AuthActions, desk: Desk
) -> None:
    auth.login("coordinator")
    response = post_form(
        client,
        "/editorial/entries/new",
        entry_form_data(
            desk,
            answer="Klik [hier](javascript:void(0)) voor het formulier",
            uk_question="Скільки?",
        ),
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "niet toegestaan" in text and "Скільки?" in text and QUESTION in text
    assert stored(app, FaqEntry.id) is None


def test_agents_and_specialists_cannot_open_the_editorial_screens(
    client: FlaskClient, auth: AuthActions, desk: Desk
) -> None:
    for role in ("agent", "specialist"):
        auth.login(role)
        assert client.get("/editorial/").status_code == 403
        auth.logout()
