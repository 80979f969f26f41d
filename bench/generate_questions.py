"""Benchmark database: a million realistic questions in SQLite, built on the real schema.

Run: .venv/bin/python bench/generate_questions.py [--rows 1000000]
         [--database bench/data/million.sqlite] [--seed 1]
(target: one million questions in well under 3 minutes on 2 cores)

The schema comes from the real migrations and the reference data from the real demo seeding
(through the app); the questions are then written with the plain sqlite3 module in one
transaction. The full-text triggers are dropped during the load and the FTS5 index is rebuilt
once afterwards, which is much faster than a million trigger calls. Other benchmark scripts call
`generate()` when the database is missing and log in as `agent` with BENCH_PASSWORD.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import itertools
import os
import random
import sqlite3
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Generic, TypeVar

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, select, text
from sqlalchemy.dialects import sqlite as sqlite_dialect

from kcc import PROJECT_ROOT, create_app
from kcc.auth.models import Role, User
from kcc.demo import seed_demo
from kcc.extensions import UTCDateTime, db, utcnow
from kcc.intake.contact_rules import normalise_email, normalise_phone
from kcc.intake.models import (
    CallerType,
    Channel,
    ContactDetails,
    ContactPreference,
    Question,
    QuestionEvent,
    QuestionEventKind,
    QuestionStatus,
    format_reference,
)
from kcc.intake.search_schema import SQLITE_CREATE, SQLITE_DROP, SQLITE_FTS_TABLE
from kcc.localtime import LOCAL_TIMEZONE
from kcc.privacy.masking import mask_personal_data
from kcc.reference.models import Crisis, Municipality, Topic

T = TypeVar("T")
Row = tuple[object, ...]
Rows = tuple[Row, Row | None, Row]
Drawn = tuple[tuple[str, str], int, str, str]  # (crisis, topic), municipality id, channel, status
REGISTERED = QuestionEventKind.REGISTERED.value

DEFAULT_ROWS = 1_000_000
DEFAULT_DATABASE = PROJECT_ROOT / "bench" / "data" / "million.sqlite"
DEFAULT_SEED = 1
# A local benchmark database only; bench scripts log in with it.
BENCH_PASSWORD = "bench-wachtwoord-niet-geheim"  # noqa: S105
TRAINING_DATA = PROJECT_ROOT / "kcc" / "data" / "training"
CHUNK_ROWS = 100_000
HISTORY_DAYS = 120
SPIKE_DAYS = 3  # days with news (a new ordinance, an information evening) that bring a peak
SPIKE_FACTOR = 2.5
MASKING_SAMPLE = 2_000
SEARCH_WORD = "leefgeld"
UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NAIVE_EPOCH = datetime(1970, 1, 1)  # stored timestamps are naive UTC

CRISIS_WEIGHTS = {"oekraine": 0.6, "corona": 0.4}
# Questions follow the news, not the training data's even spread over topics.
TOPIC_WEIGHTS = {
    "corona": {
        "maatregelen": 22,
        "testen_vaccineren": 20,
        "ondernemers": 12,
        "onderwijs": 10,
        "reizen": 10,
        "evenementen": 7,
        "overig": 7,
        "handhaving": 6,
        "zorg_welzijn": 6,
    },
    "oekraine": {
        "leefgeld": 18,
        "opvang": 14,
        "inschrijving": 12,
        "gastgezin": 10,
        "werk": 10,
        "zorg": 9,
        "onderwijs": 8,
        "hulpaanbod": 7,
        "overig": 7,
        "omwonenden": 5,
    },
}
# Roughly the number of inhabitants (CBS, 2024), in thousands; others seeded later weigh 10.
MUNICIPALITY_WEIGHTS = {
    "GM0376": 12,
    "GM0317": 10,
    "GM1942": 59,
    "GM0402": 93,
    "GM0406": 42,
    "GM0417": 12,
    "GM1696": 25,
}
CHANNEL_WEIGHTS = {
    Channel.TELEFOON: 62,
    Channel.EMAIL: 17,
    Channel.CHAT: 9,
    Channel.BALIE: 6,
    Channel.SOCIAL_MEDIA: 4,
    Channel.BRIEF: 2,
}
CALLER_TYPE_WEIGHTS = {
    "corona": {
        CallerType.INWONER: 72,
        CallerType.ONDERNEMER: 17,
        CallerType.INSTELLING: 6,
        CallerType.PERS: 1,
        CallerType.OVERIG: 4,
    },
    "oekraine": {
        CallerType.INWONER: 80,
        CallerType.ONDERNEMER: 5,
        CallerType.INSTELLING: 8,
        CallerType.PERS: 2,
        CallerType.OVERIG: 5,
    },
}
BUSINESS_TOPICS = {"ondernemers", "werk"}
STATUS_WEIGHTS = {
    QuestionStatus.BEANTWOORD: 70,
    QuestionStatus.DOORGEZET: 20,
    QuestionStatus.OPEN: 10,
}
# Local hour of day (0-23): office hours by phone, evenings and nights by e-mail and chat.
HOUR_WEIGHTS = (
    0.2, 0.1, 0.05, 0.05, 0.05, 0.1, 0.3, 1.0, 5.0, 9.0, 10.0, 9.0,
    6.0, 8.0, 9.0, 8.0, 6.0, 3.0, 1.5, 1.2, 1.0, 0.8, 0.5, 0.3,
)  # fmt: skip
WEEKDAY_WEIGHTS = (1.25, 1.05, 1.0, 0.95, 0.85, 0.2, 0.12)  # Monday first

OPENINGS = (
    "Beller vraagt:",
    "Telefonisch:",
    "Via de chat:",
    "Vraag:",
    "Inwoner belt met vraag.",
    "Notitie KCC:",
    "Vraag via het contactformulier:",
    "Belt namens haar moeder.",
    "Belt namens zijn buurman.",
    "Tweede keer dat beller contact opneemt.",
)
SECOND_QUESTION_LEADS = ("Daarnaast:", "Ook nog:", "Tweede vraag:", "Verder:")
AGENT_NOTES = (
    "Uitgelegd waar de informatie op de website staat.",
    "Beller was tevreden met de uitleg.",
    "Beller klonk erg geëmotioneerd.",
    "Gesprek duurde lang, beller herhaalde de vraag vaak.",
    "Beller spreekt weinig Nederlands, in het Engels geholpen.",
    "Tolk via de telefoon gebruikt.",
    "Beller had de brief van de gemeente bij de hand.",
    "Beller wil graag schriftelijk antwoord.",
    "Eerder vandaag ook al gebeld.",
    "Beller is boos over de wachttijd aan de telefoon.",
    "Verwezen naar de website, beller heeft geen internet.",
    "Zie ook eerdere notitie van de collega.",
)
SHORTHANDS = (
    ("mevrouw", "mw"),
    ("meneer", "dhr"),
    ("in verband met", "ivm"),
    ("telefoon", "tel"),
    ("gemeente", "gem."),
)
TITLES = ("mw", "dhr", "mevrouw", "meneer")
FIRST_NAMES = (
    "Jan", "Petra", "Sanne", "Mohamed", "Fatima", "Kees", "Annelies", "Ruud", "Yvonne",
    "Daan", "Emma", "Lotte", "Pieter", "Ingrid", "Henk", "Olena", "Oksana", "Andriy",
    "Iryna", "Dmytro", "Natalia", "Yulia", "Serhiy", "Kateryna",
)  # fmt: skip
SURNAMES = (
    "Jansen", "de Vries", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "de Boer",
    "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Dijk", "El Amrani",
    "Yilmaz", "Kovalenko", "Shevchenko", "Bondarenko", "Tkachenko", "Kravchenko",
)  # fmt: skip
EMAIL_DOMAINS = ("example.nl", "example.com", "mail.example.org")
PHONE_POOL = 50_000  # distinct mobile numbers: some callers call again
PHONE_SHARE = 0.85
EMAIL_SHARE = 0.55
CONTACT_IN_TEXT_SHARE = 0.3
CALLBACK_SHARE = 0.5

# What agents write down as the answer given at the first line, per crisis and topic.
ANSWERS: dict[str, dict[str, tuple[str, ...]]] = {
    "corona": {
        "maatregelen": (
            "Uitgelegd welke regels nu gelden: bezoek thuis beperkt, 1,5 meter afstand en een "
            "mondkapje in openbare binnenruimtes. Verwezen naar rijksoverheid.nl.",
            "De avondklok geldt voor iedereen, ook in onze gemeente. De uitzonderingen staan "
            "op de eigen verklaring die u via rijksoverheid.nl kunt downloaden.",
            "Een mondkapje is verplicht in winkels, in het openbaar vervoer en in het "
            "gemeentehuis. Kinderen tot 13 jaar hoeven geen mondkapje te dragen.",
            "Beller gewezen op de noodverordening van de veiligheidsregio; de tekst staat op "
            "de website van Veiligheidsregio Gooi en Vechtstreek.",
        ),
        "ondernemers": (
            "Ondernemers kunnen de TOZO bij de gemeente aanvragen met het formulier op de "
            "website; de aanvraag wordt binnen vier weken behandeld.",
            "Voor de TVL en de NOW moet de ondernemer bij RVO zijn, niet bij de gemeente. "
            "Voorwaarden en contactgegevens van RVO gegeven.",
            "Een groter terras kan met een tijdelijke ontheffing; aanvragen via het "
            "omgevingsloket. Er worden geen leges gerekend.",
            "Afhalen en bezorgen mag; de horeca blijft verder dicht tot het kabinet andere "
            "regels bekendmaakt.",
        ),
        "evenementen": (
            "Evenementen zijn op dit moment niet toegestaan. Een aangevraagde vergunning "
            "blijft in behandeling; de organisator krijgt bericht van Vergunningen.",
            "Uitvaarten mogen doorgaan met maximaal 100 personen, afstand houden blijft "
            "verplicht. Voor bruiloften gelden de regels voor groepen.",
            "Sportclubs mogen buiten trainen met jeugd tot 18 jaar; de competities liggen "
            "stil. Verwezen naar de eigen sportbond.",
        ),
        "onderwijs": (
            "Basisscholen blijven open. Bij een besmetting in de klas beslist de GGD of de "
            "klas in quarantaine gaat; ouders krijgen bericht van de school.",
            "Noodopvang is er voor kinderen van ouders met een cruciaal beroep. Aanmelden bij "
            "de eigen school of kinderopvang.",
            "De eindexamens gaan door volgens de aangepaste regels van het ministerie van OCW. "
            "Met vragen kan de leerling bij de eigen school terecht.",
        ),
        "testen_vaccineren": (
            "Een testafspraak maken kan via coronatest.nl of het landelijke testnummer. De "
            "uitslag komt meestal binnen 24 uur in de app of via de GGD.",
            "Een vaccinatieafspraak maken kan via planjeprik.nl of de GGD. Meenemen: "
            "identiteitsbewijs en de uitnodigingsbrief.",
            "Na een positieve test gaat u 5 dagen in isolatie. Huisgenoten zonder klachten "
            "hoeven niet in quarantaine als zij gevaccineerd zijn.",
            "Het coronatoegangsbewijs staat in de CoronaCheck-app. Lukt dat niet, dan kan een "
            "papieren bewijs worden aangevraagd via coronacheck.nl.",
        ),
        "reizen": (
            "Het reisadvies per land staat op wijsopreis.nl. Bij code oranje wordt reizen "
            "afgeraden.",
            "Na terugkomst uit een hoogrisicogebied is thuisquarantaine het advies. Een test "
            "op dag 5 kan de quarantaine verkorten.",
            "De vakantieparken in de gemeente zijn open; de regels voor gezamenlijke ruimtes "
            "blijven gelden.",
        ),
        "handhaving": (
            "Melding van de overtreding genoteerd en doorgegeven aan de boa's van de gemeente. "
            "Bij direct gevaar belt u 112.",
            "Boetes voor het overtreden van de noodverordening leggen politie en boa's op; "
            "bezwaar maken gaat via het CJIB.",
            "Uitgelegd dat handhaving controleert op drukke plekken; anonieme meldingen kunnen "
            "via het meldformulier op de website.",
        ),
        "zorg_welzijn": (
            "Doorverwezen naar het sociaal wijkteam; zij nemen contact op voor een gesprek en "
            "hulp bij de boodschappen.",
            "Voor een luisterend oor kan de beller dag en nacht terecht bij De Luisterlijn.",
            "Bezoek aan verpleeghuizen is beperkt tot één vaste bezoeker per bewoner; de "
            "zorginstelling maakt de afspraken.",
        ),
        "overig": (
            "Het gemeentehuis is alleen op afspraak open. Een afspraak maken kan via de "
            "website of telefonisch.",
            "De afvalinzameling gaat gewoon door; de milieustraat is open op afspraak.",
            "Beller was verkeerd verbonden en is doorverbonden met de juiste organisatie.",
        ),
    },
    "oekraine": {
        "opvang": (
            "Er is op dit moment plek in de gemeentelijke opvang. Aanmelden kan bij het "
            "aanmeldpunt in het gemeentehuis; neem identiteitspapieren mee.",
            "Verhuizen naar een andere opvanglocatie kan alleen in overleg met de "
            "locatiemanager. Het verzoek is doorgegeven.",
            "Huisregels van de opvanglocatie uitgelegd: rust na 22.00 uur, bezoek tot 21.00 "
            "uur en maaltijden op vaste tijden.",
        ),
        "inschrijving": (
            "Inschrijven in de BRP kan op afspraak bij Publiekszaken. Meenemen: paspoort of "
            "identiteitskaart. Na inschrijving krijgt u een BSN.",
            "De sticker in het paspoort regelt de IND. Na inschrijving in de BRP krijgt u "
            "vanzelf een uitnodiging van de IND.",
            "Een adreswijziging doorgeven kan met het formulier op de website van de gemeente.",
        ),
        "leefgeld": (
            "Het leefgeld wordt elke twee weken op de bankrekening gestort. Wie een betaalkaart "
            "van de gemeente heeft, krijgt het bedrag op maandag op de kaart.",
            "Het leefgeld voor een volwassene is een vast bedrag per maand voor eten, kleding "
            "en persoonlijke uitgaven; de bedragen staan op de website.",
            "De betaling van het leefgeld is nagekeken: door een storing is het later gestort, "
            "het bedrag staat nu klaar.",
            "Wie werkt, betaalt een eigen bijdrage en krijgt minder leefgeld. De berekening "
            "staat in de brief van de gemeente.",
        ),
        "gastgezin": (
            "Gastgezinnen kunnen zich aanmelden met het formulier op de website; een "
            "medewerker komt langs voor kennismaking.",
            "De vergoeding voor gastgezinnen is door het Rijk gestopt; ontheemden betalen nu "
            "zelf een bijdrage aan het gastgezin.",
            "Als het verblijf bij het gastgezin stopt, zoekt de gemeente een plek in de "
            "opvang. Dat duurt meestal een paar weken.",
        ),
        "werk": (
            "Een werkgever hoeft geen tewerkstellingsvergunning aan te vragen, maar moet het "
            "werk wel melden bij het UWV.",
            "Met werk blijft het recht op opvang bestaan; er geldt dan een eigen bijdrage. "
            "Verwezen naar Werk en Inkomen voor de berekening.",
            "Hulp bij het zoeken naar werk via het Werkgeversservicepunt; aanmelden via de "
            "consulent.",
        ),
        "onderwijs": (
            "Kinderen van 5 tot 18 jaar zijn leerplichtig. Aanmelden voor de nieuwkomersklas "
            "gaat via de leerplichtambtenaar.",
            "Taalles Nederlands is er op dinsdag en donderdag in de bibliotheek; aanmelden is "
            "niet nodig.",
            "Een diploma laten waarderen kan via de Internationale Diplomawaardering van Nuffic.",
        ),
        "zorg": (
            "Iedereen kan naar de huisarts; de kosten worden vergoed via de Regeling Medische "
            "zorg Oekraïners (RMO).",
            "Voor spoedeisende zorg buiten kantoortijd belt u de huisartsenpost. Bij "
            "levensgevaar belt u 112.",
            "Medicijnen worden vergoed als de huisarts ze voorschrijft; de apotheek declareert "
            "bij de RMO.",
        ),
        "hulpaanbod": (
            "Aanbod van hulp genoteerd en doorgegeven aan het vrijwilligerspunt; zij nemen "
            "contact op.",
            "Spullen kunnen we op dit moment niet aannemen, de opslag is vol. Geld doneren kan "
            "via Giro555.",
            "Woonruimte aanbieden kan met het formulier op de website; de gemeente bekijkt "
            "eerst of de woning geschikt is.",
        ),
        "omwonenden": (
            "Er komt een informatieavond voor omwonenden; de uitnodiging volgt per brief.",
            "Overlast kan gemeld worden bij de beheerder van de locatie, die dag en nacht "
            "bereikbaar is. Bij direct gevaar belt u 112.",
            "De opvanglocatie blijft in ieder geval tot het einde van het jaar open. Nieuws "
            "staat op de website van de gemeente.",
        ),
        "overig": (
            "Vraag beantwoord met de informatie op de website van de gemeente, pagina Oekraïne.",
            "Doorverbonden met VluchtelingenWerk voor persoonlijke begeleiding.",
            "Voor vragen over terugkeer naar Oekraïne verwezen naar de IOM.",
        ),
    },
}

INSERT_QUESTION = """INSERT INTO question (
    id, reference, received_at, channel, caller_type, municipality_id, crisis_id, topic_id,
    text, text_masked, answer, answer_masked, answer_source_kind, answer_source_id, status,
    is_escalated, callback_requested, related_question_id, submission_token, created_by_id,
    created_at, updated_at
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?, NULL, NULL, ?, ?, ?)"""
INSERT_CONTACT = """INSERT INTO contact_details (
    id, question_id, name, phone, phone_key, email, email_key, preferred_contact, created_at
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"""
INSERT_EVENT = """INSERT INTO question_event (id, question_id, at, user_id, kind, detail)
VALUES (?, ?, ?, ?, ?, '')"""
# The FTS statements come from the schema module, so the triggers are exactly the migration's.
DROP_SEARCH_TRIGGERS = [sql for sql in SQLITE_DROP if sql.startswith("DROP TRIGGER")]
CREATE_SEARCH_TRIGGERS = [sql for sql in SQLITE_CREATE if sql.startswith("CREATE TRIGGER")]
# Built from the schema module's constant only, never from input.
REBUILD_SEARCH_INDEX = f"INSERT INTO {SQLITE_FTS_TABLE}({SQLITE_FTS_TABLE}) VALUES ('rebuild')"  # noqa: S608
COUNT_SEARCH_MATCHES = f"SELECT count(*) FROM {SQLITE_FTS_TABLE} WHERE {SQLITE_FTS_TABLE} MATCH :q"  # noqa: S608


@dataclass(frozen=True)
class ReferenceData:
    """Ids of the seeded rows the questions point at."""

    crisis_ids: dict[str, int]
    topic_ids: dict[tuple[str, str], int]
    municipality_ids: dict[str, int]
    agent_ids: list[int]


@dataclass(frozen=True)
class Contact:
    """A fake caller who left contact details."""

    name: str
    phone: str | None
    phone_key: str | None
    email: str | None
    email_key: str | None
    preferred_contact: str


@dataclass(frozen=True)
class Verification:
    """What the finished database holds, counted through the ORM."""

    questions: int
    contacts: int
    events: int
    search_word: str
    search_matches: int
    since: datetime
    questions_since: int
    questions_since_by_julianday: int
    masking_sample: int
    masking_differences: int
    status_counts: dict[str, int] = field(default_factory=dict)


# --- the app: schema, reference data, verification -----------------------------------------


@contextmanager
def temporary_instance_path() -> Iterator[None]:
    """Give the app a throwaway instance folder, and restore KCC_INSTANCE_PATH afterwards."""
    previous = os.environ.get("KCC_INSTANCE_PATH")
    with tempfile.TemporaryDirectory(prefix="kcc-bench-instance-") as folder:
        os.environ["KCC_INSTANCE_PATH"] = folder
        try:
            yield
        finally:
            if previous is None:
                os.environ.pop("KCC_INSTANCE_PATH", None)
            else:
                os.environ["KCC_INSTANCE_PATH"] = previous


def build_app(database_path: Path, **overrides: object) -> Flask:
    """An app on the given SQLite file; the testing config writes nothing to the instance."""
    with temporary_instance_path():
        return create_app(
            "testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database_path}", **overrides}
        )


def create_schema_and_reference_data(app: Flask) -> ReferenceData:
    """Run the migrations and the demo seeding, and return the ids the questions need."""
    with app.app_context():
        upgrade()
        seed_demo(BENCH_PASSWORD)
        reference = read_reference_data()
        db.session.remove()
        db.engine.dispose()
    return reference


def read_reference_data() -> ReferenceData:
    """Read crisis, topic, municipality and agent ids from the seeded database."""
    crises = db.session.execute(select(Crisis)).scalars().all()
    topics = db.session.execute(select(Topic)).scalars().all()
    municipalities = db.session.execute(select(Municipality)).scalars().all()
    agent_ids = db.session.execute(
        select(User.id).where(User.role == Role.AGENT.value).order_by(User.id)
    ).scalars()
    crisis_codes = {crisis.id: crisis.code for crisis in crises}
    return ReferenceData(
        crisis_ids={crisis.code: crisis.id for crisis in crises},
        topic_ids={(crisis_codes[topic.crisis_id], topic.code): topic.id for topic in topics},
        municipality_ids={
            municipality.cbs_code: municipality.id for municipality in municipalities
        },
        agent_ids=list(agent_ids),
    )


def count_rows(model: type) -> int:
    """Number of rows of a model's table."""
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def verify_database(database_path: Path, *, now: datetime | None = None) -> Verification:
    """Count rows, search the FTS index and filter on received_at, through the app's ORM."""
    # Whole seconds: julianday() below is exact to the millisecond, not the microsecond.
    since = ((now or utcnow()) - timedelta(days=30)).replace(microsecond=0)
    app = build_app(database_path)
    with app.app_context():
        questions_since = db.session.execute(
            select(func.count()).select_from(Question).where(Question.received_at >= since)
        ).scalar_one()
        # The same filter computed by SQLite from the parsed timestamps, not by comparing
        # strings: equal counts prove the stored format is the one SQLAlchemy binds.
        by_julianday = db.session.execute(
            text("SELECT count(*) FROM question WHERE julianday(received_at) >= julianday(:s)"),
            {"s": since.astimezone(UTC).replace(tzinfo=None).isoformat(" ")},
        ).scalar_one()
        status_counts = dict(
            db.session.execute(
                select(Question.status, func.count()).group_by(Question.status)
            ).all()
        )
        masking_sample, masking_differences = check_masking_sample(MASKING_SAMPLE)
        verification = Verification(
            questions=count_rows(Question),
            contacts=count_rows(ContactDetails),
            events=count_rows(QuestionEvent),
            search_word=SEARCH_WORD,
            search_matches=db.session.execute(
                text(COUNT_SEARCH_MATCHES), {"q": SEARCH_WORD}
            ).scalar_one(),
            since=since,
            questions_since=questions_since,
            questions_since_by_julianday=by_julianday,
            masking_sample=masking_sample,
            masking_differences=masking_differences,
            status_counts=status_counts,
        )
        db.session.remove()
        db.engine.dispose()
    return verification


def check_masking_sample(size: int) -> tuple[int, int]:
    """Mask a sample of whole stored texts again; count where the stored masked text differs."""
    highest_id = db.session.execute(select(func.max(Question.id))).scalar_one() or 0
    ids = random.Random(0).sample(range(1, highest_id + 1), min(size, highest_id))
    sample = db.session.execute(
        select(Question.text, Question.text_masked).where(Question.id.in_(ids))
    ).all()
    differences = sum(mask_personal_data(row.text) != row.text_masked for row in sample)
    return len(sample), differences


def print_verification(verification: Verification) -> None:
    """Print the verification in a few lines."""
    print(
        f"verify: {verification.questions:,} questions, {verification.contacts:,} contact "
        f"details, {verification.events:,} events; status {verification.status_counts}"
    )
    print(
        f"verify: FTS MATCH '{verification.search_word}' finds "
        f"{verification.search_matches:,} questions"
    )
    print(
        f"verify: ORM Question.received_at >= {verification.since.isoformat(timespec='seconds')}"
        f" finds {verification.questions_since:,} questions (julianday() in SQLite: "
        f"{verification.questions_since_by_julianday:,})"
    )
    print(
        f"verify: masking the whole text again differs in {verification.masking_differences} "
        f"of {verification.masking_sample:,} sampled questions"
    )


# --- generating rows (plain Python, no Flask) -------------------------------------------------


def read_training_texts(crisis_code: str) -> dict[str, list[str]]:
    """The labelled texts of a crisis, grouped by topic code."""
    texts: dict[str, list[str]] = {}
    path = TRAINING_DATA / f"{crisis_code}.csv"
    with path.open(encoding="utf-8", newline="") as source:
        for row in csv.DictReader(source):
            texts.setdefault(row["topic"], []).append(row["text"])
    return texts


def hour_slots(now: datetime, days: int, generator: random.Random) -> tuple[list[int], list[float]]:
    """Start (UTC microseconds) and weight of every local hour in the last `days` days.

    Working hours and weekdays weigh most; a few news days bring a peak. Hours are built in
    Dutch local time, so the daily pattern stays put across the change to summer time.
    """
    last_day = now.astimezone(LOCAL_TIMEZONE).date()
    first_day = last_day - timedelta(days=days - 1)
    spike_days = set(generator.sample(range(days), SPIKE_DAYS)) if days >= SPIKE_DAYS else set()
    now_micros = to_micros(now)
    starts: list[int] = []
    weights: list[float] = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        day_weight = WEEKDAY_WEIGHTS[day.weekday()] * (SPIKE_FACTOR if offset in spike_days else 1)
        for hour, hour_weight in enumerate(HOUR_WEIGHTS):
            start = to_micros(datetime(day.year, day.month, day.day, hour, tzinfo=LOCAL_TIMEZONE))
            if start + 3_600_000_000 <= now_micros:
                starts.append(start)
                weights.append(day_weight * hour_weight)
    return starts, weights


def to_micros(moment: datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime."""
    return (moment - UNIX_EPOCH) // timedelta(microseconds=1)


def draw_received_times(
    count: int, now: datetime, generator: random.Random, *, days: int = HISTORY_DAYS
) -> list[int]:
    """`count` moments (UTC microseconds) in the last `days` days, oldest first."""
    starts, weights = hour_slots(now, days, generator)
    chosen = generator.choices(starts, weights=weights, k=count)
    random_fraction = generator.random
    return sorted(start + int(random_fraction() * 3_600_000_000) for start in chosen)


def new_year_boundaries(first: int, last: int) -> list[int]:
    """Microsecond moments at which a new year starts in Dutch local time, first..last+1."""
    return [
        to_micros(datetime(year, 1, 1, tzinfo=LOCAL_TIMEZONE)) for year in range(first, last + 2)
    ]


def stored_timestamp(micros: int) -> str:
    """The text SQLAlchemy stores for this moment in a UTCDateTime column on SQLite."""
    # Naive UTC with microseconds: 2026-01-02 03:04:05.000123 (see check_timestamp_format()).
    return (NAIVE_EPOCH + timedelta(microseconds=micros)).isoformat(" ", "microseconds")


def check_timestamp_format() -> None:
    """Fail early if stored_timestamp() ever stops matching what SQLAlchemy writes."""
    dialect = sqlite_dialect.dialect()
    bind = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    assert bind is not None
    for moment in (
        datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        datetime(2026, 7, 1, 9, 30, 0, 123, tzinfo=LOCAL_TIMEZONE),
        datetime(2026, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
    ):
        expected = bind(moment)
        actual = stored_timestamp(to_micros(moment))
        if actual != expected:
            raise RuntimeError(f"timestamp format {actual!r} differs from SQLAlchemy {expected!r}")


class Masker:
    """mask_personal_data with a cache: the generated notes repeat their fragments often."""

    # A capitalised word after a fragment shows whether the fragment's end reaches into the
    # next one, as "zegt dhr." does: masking then needs the whole note.
    PROBE = " Beller belt"

    def __init__(self) -> None:
        self._masked: dict[str, str] = {}
        self._is_closed: dict[str, bool] = {}

    def __call__(self, text: str) -> str:
        masked = self._masked.get(text)
        if masked is None:
            masked = self._masked[text] = mask_personal_data(text)
        return masked

    def is_closed(self, fragment: str) -> bool:
        """Tell whether masking the fragment alone gives what masking it in a note gives."""
        closed = self._is_closed.get(fragment)
        if closed is None:
            probed = mask_personal_data(fragment + self.PROBE)
            closed = self._is_closed[fragment] = probed == self(fragment) + self.PROBE
        return closed

    def mask_note(self, fragments: Sequence[str]) -> tuple[str, str]:
        """Join fragments into one note; return it and its masked form."""
        note = " ".join(fragments)
        if all(self.is_closed(fragment) for fragment in fragments[:-1]):
            return note, " ".join(self(fragment) for fragment in fragments)
        return note, self(note)

    @property
    def distinct_texts(self) -> int:
        """How many different fragments and notes were masked."""
        return len(self._masked)


class WeightedPicker(Generic[T]):
    """Draws one value by weight, faster than random.choices for a single draw."""

    def __init__(self, weights: dict[T, float], generator: random.Random) -> None:
        self.values = list(weights)
        self.cumulative = list(itertools.accumulate(weights.values()))
        self.total = self.cumulative[-1]
        self.random = generator.random

    def __call__(self) -> T:
        return self.values[bisect.bisect(self.cumulative, self.random() * self.total)]


def close_sentence(fragment: str) -> str:
    """End a fragment that another one follows with a full stop, unless it has one."""
    return fragment if fragment[-1:] in ".?!:" else fragment + "."


def vary_text(text: str, generator: random.Random) -> str:
    """Small perturbations as agents type: lower case, no full stop, shorthand, typos."""
    roll = generator.random()
    if roll < 0.08:
        return text.lower()
    if roll < 0.16:
        return text.rstrip(".?!")
    if roll < 0.22:
        for long_form, short_form in SHORTHANDS:
            if long_form in text:
                return text.replace(long_form, short_form)
        return text
    if roll < 0.30:
        return swap_two_letters(text, generator)
    return text


def swap_two_letters(text: str, generator: random.Random) -> str:
    """A typo: two neighbouring letters of one longer word swapped."""
    words = text.split(" ")
    candidates = [index for index, word in enumerate(words) if len(word) >= 5 and word.isalpha()]
    if not candidates:
        return text
    index = generator.choice(candidates)
    word = words[index]
    position = generator.randrange(1, len(word) - 2)
    words[index] = word[:position] + word[position + 1] + word[position] + word[position + 2 :]
    return " ".join(words)


def crisis_topic_weights() -> dict[tuple[str, str], float]:
    """Weight of every (crisis, topic) pair: the crisis share split by topic popularity."""
    weights = {}
    for crisis, crisis_weight in CRISIS_WEIGHTS.items():
        topic_total = sum(TOPIC_WEIGHTS[crisis].values())
        for topic, topic_weight in TOPIC_WEIGHTS[crisis].items():
            weights[(crisis, topic)] = crisis_weight * topic_weight / topic_total
    return weights


@dataclass
class QuestionFactory:
    """Builds the rows of one question at a time, from fixed pools and a seeded generator."""

    generator: random.Random
    reference: ReferenceData
    training_texts: dict[str, dict[str, list[str]]]
    masker: Masker = field(default_factory=Masker)

    def __post_init__(self) -> None:
        self.random = self.generator.random
        self.caller_types = {
            crisis: WeightedPicker(weights, self.generator)
            for crisis, weights in CALLER_TYPE_WEIGHTS.items()
        }
        self.phone_numbers = [self.random_mobile_number() for _ in range(PHONE_POOL)]
        self.answers = {
            crisis: {topic: [(a, self.masker(a)) for a in answers] for topic, answers in by.items()}
            for crisis, by in ANSWERS.items()
        }

    def pick(self, values: Sequence[T]) -> T:
        """One value, uniformly; a little faster than random.choice in the row loop."""
        return values[int(self.random() * len(values))]

    def random_mobile_number(self) -> str:
        """A Dutch mobile number, ten digits; the pool is small enough that callers recur."""
        return "06" + str(self.generator.randrange(10_000_000, 100_000_000))

    def draw_many(self, count: int) -> Iterator[Drawn]:
        """Crisis and topic, municipality, channel and status of `count` questions, in bulk."""
        choices = self.generator.choices
        topics = crisis_topic_weights()
        municipalities = self.reference.municipality_ids
        return zip(
            choices(list(topics), weights=list(topics.values()), k=count),
            choices(
                list(municipalities.values()),
                weights=[MUNICIPALITY_WEIGHTS.get(code, 10) for code in municipalities],
                k=count,
            ),
            choices([c.value for c in CHANNEL_WEIGHTS], weights=CHANNEL_WEIGHTS.values(), k=count),
            choices([s.value for s in STATUS_WEIGHTS], weights=STATUS_WEIGHTS.values(), k=count),
            strict=True,
        )

    def draw_caller_type(self, crisis: str, topic: str) -> str:
        """Who calls: mostly inhabitants, mostly entrepreneurs about business topics."""
        if topic in BUSINESS_TOPICS and self.random() < 0.6:
            return CallerType.ONDERNEMER.value
        return self.caller_types[crisis]().value

    def make_contact(self) -> Contact:
        """Fake contact details, with the normalised keys the app would store."""
        first_name = self.pick(FIRST_NAMES)
        surname = self.pick(SURNAMES)
        has_phone = self.random() < PHONE_SHARE
        has_email = not has_phone or self.random() < EMAIL_SHARE
        phone = format_phone(self.pick(self.phone_numbers), self.generator) if has_phone else None
        email = make_email(first_name, surname, self.generator) if has_email else None
        return Contact(
            name=f"{first_name} {surname}",
            phone=phone,
            phone_key=normalise_phone(phone) if phone else None,
            email=email,
            email_key=normalise_email(email) if email else None,
            preferred_contact=(
                ContactPreference.TELEFOON.value if phone else ContactPreference.EMAIL.value
            ),
        )

    def compose_text(self, crisis: str, topic: str, contact: Contact | None) -> tuple[str, str]:
        """A note in an agent's words and its masked form, built from training texts."""
        texts = self.training_texts[crisis][topic]
        random_fraction = self.random
        fragments: list[str] = []
        if random_fraction() < 0.3:
            fragments.append(self.pick(OPENINGS))
        fragments.append(vary_text(self.pick(texts), self.generator))
        if random_fraction() < 0.2:
            fragments.append(self.pick(SECOND_QUESTION_LEADS))
            fragments.append(vary_text(self.pick(texts), self.generator))
        if random_fraction() < 0.3:
            fragments.append(self.pick(AGENT_NOTES))
        if contact is not None and random_fraction() < CONTACT_IN_TEXT_SHARE:
            fragments.append(contact_sentence(contact, self.generator))
        if len(fragments) == 1:
            return fragments[0], self.masker(fragments[0])
        closed = [close_sentence(fragment) for fragment in fragments[:-1]]
        return self.masker.mask_note([*closed, fragments[-1]])

    def make_rows(self, question_id: int, received_at: str, year: int, drawn: Drawn) -> Rows:
        """The question, contact details (or None) and event rows of one question."""
        (crisis, topic), municipality_id, channel, status = drawn
        is_escalated = status == QuestionStatus.DOORGEZET
        contact = self.make_contact() if is_escalated else None
        text_value, text_masked = self.compose_text(crisis, topic, contact)
        answer, answer_masked = (
            self.pick(self.answers[crisis][topic])
            if status == QuestionStatus.BEANTWOORD
            else (None, None)
        )
        callback_requested = (
            contact is not None
            and contact.preferred_contact == ContactPreference.TELEFOON
            and self.random() < CALLBACK_SHARE
        )
        agent_id = self.pick(self.reference.agent_ids)
        question = (
            question_id,
            format_reference(question_id, year),
            received_at,
            channel,
            self.draw_caller_type(crisis, topic),
            municipality_id,
            self.reference.crisis_ids[crisis],
            self.reference.topic_ids[(crisis, topic)],
            text_value,
            text_masked,
            answer,
            answer_masked,
            status,
            int(is_escalated),
            int(callback_requested),
            agent_id,
            received_at,
            received_at,
        )
        event = (question_id, question_id, received_at, agent_id, REGISTERED)
        return question, contact_row(question_id, contact, received_at), event


def format_phone(digits: str, generator: random.Random) -> str:
    """A mobile number written the way callers give it."""
    style = generator.randrange(4)
    if style == 0:
        return f"{digits[:2]}-{digits[2:]}"
    if style == 1:
        return f"{digits[:2]} {digits[2:6]} {digits[6:]}"
    if style == 2:
        return f"+31 6 {digits[2:]}"
    return digits


def make_email(first_name: str, surname: str, generator: random.Random) -> str:
    """An e-mail address on a reserved example domain; sometimes with capitals."""
    local_part = f"{first_name[0]}.{surname.replace(' ', '')}".lower()
    if generator.random() < 0.3:
        local_part += str(generator.randrange(1, 100))
    if generator.random() < 0.2:
        local_part = local_part.capitalize()
    return f"{local_part}@{generator.choice(EMAIL_DOMAINS)}"


def contact_sentence(contact: Contact, generator: random.Random) -> str:
    """Contact details written into the note itself, as agents do (masking removes them)."""
    if contact.phone and generator.random() < 0.6:
        return f"Graag terugbellen op {contact.phone}."
    if contact.email and generator.random() < 0.5:
        return f"Antwoord graag per mail naar {contact.email}."
    return f"Beller: {generator.choice(TITLES)} {contact.name.split(' ', 1)[1]}."


def contact_row(question_id: int, contact: Contact | None, received_at: str) -> Row | None:
    """The contact_details row; its id follows the question's (at most one per question)."""
    if contact is None:
        return None
    return (
        question_id,
        question_id,
        contact.name,
        contact.phone,
        contact.phone_key,
        contact.email,
        contact.email_key,
        contact.preferred_contact,
        received_at,
    )


@dataclass
class Chunk:
    """Rows for one executemany per table."""

    questions: list[Row] = field(default_factory=list)
    contacts: list[Row] = field(default_factory=list)
    events: list[Row] = field(default_factory=list)


def generate_chunks(
    factory: QuestionFactory, received_times: list[int], first_year: int
) -> Iterator[Chunk]:
    """All rows, oldest question first (ids rise with time as in the app), in chunks."""
    boundaries = new_year_boundaries(first_year, first_year + 1)
    for chunk_start in range(0, len(received_times), CHUNK_ROWS):
        chunk = Chunk()
        moments = received_times[chunk_start : chunk_start + CHUNK_ROWS]
        for offset, (micros, drawn) in enumerate(
            zip(moments, factory.draw_many(len(moments)), strict=True)
        ):
            question_id = chunk_start + offset + 1
            year = first_year - 1 + bisect.bisect_right(boundaries, micros)
            question, contact, event = factory.make_rows(
                question_id, stored_timestamp(micros), year, drawn
            )
            chunk.questions.append(question)
            if contact is not None:
                chunk.contacts.append(contact)
            chunk.events.append(event)
        yield chunk


# --- writing with sqlite3 ---------------------------------------------------------------------


def open_for_bulk_load(database_path: Path) -> sqlite3.Connection:
    """A raw connection tuned for one big write that nobody else reads meanwhile."""
    connection = sqlite3.connect(database_path, isolation_level=None)
    # The file is built from scratch: a crash means running the script again, so durability
    # is not worth its cost. WAL stays (the app uses it too); journal_mode=OFF measured slower.
    # Foreign keys are not checked row by row: this script assigns every id itself (the test
    # runs PRAGMA foreign_key_check on a generated file).
    for pragma in (
        "PRAGMA journal_mode=WAL",
        "PRAGMA synchronous=OFF",
        "PRAGMA foreign_keys=OFF",
        "PRAGMA cache_size=-1048576",
        "PRAGMA temp_store=MEMORY",
        "PRAGMA locking_mode=EXCLUSIVE",
    ):
        connection.execute(pragma)
    return connection


def bulk_insert(
    connection: sqlite3.Connection, chunks: Iterator[Chunk], total: int, started: float
) -> None:
    """Insert every chunk, printing progress."""
    written = contacts = 0
    for chunk in chunks:
        connection.executemany(INSERT_QUESTION, chunk.questions)
        connection.executemany(INSERT_CONTACT, chunk.contacts)
        connection.executemany(INSERT_EVENT, chunk.events)
        written += len(chunk.questions)
        contacts += len(chunk.contacts)
        print(
            f"  {written:>9,} / {total:,} questions, {contacts:,} contact details "
            f"({time.perf_counter() - started:5.1f} s)"
        )


def load_questions(database_path: Path, chunks: Iterator[Chunk], total: int) -> None:
    """Insert all rows in one transaction without the FTS triggers, then rebuild the index."""
    started = time.perf_counter()
    with closing(open_for_bulk_load(database_path)) as connection:
        connection.execute("BEGIN")
        for statement in DROP_SEARCH_TRIGGERS:
            connection.execute(statement)
        bulk_insert(connection, chunks, total, started)
        print(f"rows inserted in {time.perf_counter() - started:.1f} s; rebuilding FTS index")
        rebuild_started = time.perf_counter()
        connection.execute(REBUILD_SEARCH_INDEX)
        for statement in CREATE_SEARCH_TRIGGERS:
            connection.execute(statement)
        connection.execute("COMMIT")
        print(f"FTS index rebuilt in {time.perf_counter() - rebuild_started:.1f} s; ANALYZE")
        analyze_started = time.perf_counter()
        connection.execute("ANALYZE")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        print(f"ANALYZE in {time.perf_counter() - analyze_started:.1f} s")


def remove_database(database_path: Path) -> None:
    """Delete a SQLite file and its WAL companions."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{database_path}{suffix}").unlink(missing_ok=True)


def generate(database_path: Path, rows: int, seed: int, *, now: datetime | None = None) -> None:
    """Build a benchmark database with `rows` questions at database_path, from scratch."""
    started, cpu_started = time.perf_counter(), time.process_time()
    now = now or utcnow()
    check_timestamp_format()
    database_path.parent.mkdir(parents=True, exist_ok=True)
    # Built beside the target and renamed at the end: a half-built file never looks finished.
    partial_path = database_path.with_name(database_path.name + ".partial")
    remove_database(partial_path)
    reference = create_schema_and_reference_data(build_app(partial_path))
    print(f"schema and demo data in {time.perf_counter() - started:.1f} s")
    generator = random.Random(seed)
    factory = QuestionFactory(
        generator,
        reference,
        {crisis: read_training_texts(crisis) for crisis in CRISIS_WEIGHTS},
    )
    received_times = draw_received_times(rows, now, generator)
    first_year = (now - timedelta(days=HISTORY_DAYS)).astimezone(LOCAL_TIMEZONE).year
    load_questions(partial_path, generate_chunks(factory, received_times, first_year), rows)
    remove_database(database_path)
    partial_path.replace(database_path)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    print(
        f"generated {rows:,} questions in {elapsed:.1f} s ({rows / elapsed:,.0f} rows/s; "
        f"CPU time {cpu:.1f} s); {factory.masker.distinct_texts:,} distinct texts masked"
    )
    print(f"{database_path}: {database_path.stat().st_size / 1024**2:,.0f} MiB")


def positive_int(value: str) -> int:
    """An argparse type: a whole number of at least 1."""
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("at least 1")
    return number


def parse_arguments(arguments: Sequence[str] | None = None) -> argparse.Namespace:
    """Read --rows, --database and --seed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=positive_int, default=DEFAULT_ROWS, help="questions")
    parser.add_argument("--database", type=Path, default=DEFAULT_DATABASE, help="SQLite file")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    return parser.parse_args(arguments)


def main(arguments: Sequence[str] | None = None) -> None:
    """Generate the database, then prove it works through the app's ORM."""
    options = parse_arguments(arguments)
    generate(options.database, options.rows, options.seed)
    print_verification(verify_database(options.database))


if __name__ == "__main__":
    main()
