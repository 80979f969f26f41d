"""The crisis templates kcc ships: their topic codes are what the classifier predicts."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TopicTemplate:
    """A topic as a template defines it, with the department that usually answers it."""

    code: str
    name: str
    description: str
    department: str | None


@dataclass(frozen=True)
class CrisisTemplate:
    """A crisis kind with its topics."""

    code: str
    name: str
    description: str
    topics: tuple[TopicTemplate, ...]


SENTIMENTS = ("negatief", "neutraal", "positief")

CORONA = CrisisTemplate(
    code="corona",
    name="Corona (noodverordening COVID-19)",
    description="Vragen over de noodverordening en de maatregelen tegen COVID-19.",
    topics=(
        TopicTemplate(
            "maatregelen",
            "Maatregelen",
            "Regels voor inwoners: groepsgrootte, afstand, mondkapjes, avondklok.",
            "Openbare Orde en Veiligheid",
        ),
        TopicTemplate(
            "ondernemers",
            "Ondernemers",
            "Openingsregels voor winkels, horeca, markten en kappers; steunregelingen zoals "
            "TOZO, TVL en NOW; terrassen.",
            "Economische Zaken",
        ),
        TopicTemplate(
            "evenementen",
            "Evenementen",
            "Evenementen en vergunningen, sportverenigingen, bruiloften, uitvaarten, "
            "religieuze bijeenkomsten.",
            "Vergunningen",
        ),
        TopicTemplate(
            "onderwijs",
            "Onderwijs",
            "Scholen, kinderopvang, examens, studenten.",
            "Onderwijs en Jeugd",
        ),
        TopicTemplate(
            "testen_vaccineren",
            "Testen en vaccineren",
            "GGD-testlocaties en uitslagen, vaccinatie, quarantaine na een positieve test, "
            "het coronatoegangsbewijs.",
            "Zorg en Welzijn",
        ),
        TopicTemplate(
            "reizen",
            "Reizen",
            "Reizen naar het buitenland, quarantaine na een reis, vakantieparken.",
            "Publiekszaken",
        ),
        TopicTemplate(
            "handhaving",
            "Handhaving",
            "Overtredingen melden, boetes, boa's en handhaving.",
            "Openbare Orde en Veiligheid",
        ),
        TopicTemplate(
            "zorg_welzijn",
            "Zorg en welzijn",
            "Eenzaamheid, ouderen en thuiszorg, psychische gezondheid, hulp voor kwetsbare "
            "mensen, bezoek aan verpleeghuizen.",
            "Zorg en Welzijn",
        ),
        TopicTemplate("overig", "Overig", "Vragen die onder geen ander onderwerp vallen.", None),
    ),
)

OEKRAINE = CrisisTemplate(
    code="oekraine",
    name="Opvang ontheemden uit Oekraïne",
    description="Vragen over de gemeentelijke opvang van ontheemden uit Oekraïne.",
    topics=(
        TopicTemplate(
            "opvang",
            "Opvang",
            "Gemeentelijke opvanglocaties, plaatsen, huisregels, verhuizen.",
            "Opvang en Huisvesting",
        ),
        TopicTemplate(
            "inschrijving",
            "Inschrijving",
            "Inschrijving in de BRP, BSN, documenten, IND-sticker.",
            "Publiekszaken",
        ),
        TopicTemplate(
            "leefgeld",
            "Leefgeld",
            "Leefgeld: betalingen, bedragen, inhoudingen.",
            "Werk en Inkomen",
        ),
        TopicTemplate(
            "gastgezin",
            "Gastgezinnen",
            "Particuliere gastgezinnen die ontheemden opvangen.",
            "Opvang en Huisvesting",
        ),
        TopicTemplate(
            "werk",
            "Werk",
            "Werk zoeken, melding arbeid, inkomen.",
            "Werk en Inkomen",
        ),
        TopicTemplate(
            "onderwijs",
            "Onderwijs",
            "School voor kinderen, taallessen, diploma's.",
            "Onderwijs en Jeugd",
        ),
        TopicTemplate(
            "zorg",
            "Zorg",
            "Huisarts, ziekenhuis, Regeling Medische zorg Ontheemden, medicijnen, psychische zorg.",
            "Zorg en Welzijn",
        ),
        TopicTemplate(
            "hulpaanbod",
            "Hulpaanbod",
            "Vrijwilligers, donaties, aangeboden kamers of woningen.",
            "Opvang en Huisvesting",
        ),
        TopicTemplate(
            "omwonenden",
            "Omwonenden",
            "Zorgen van buren over een locatie: veiligheid, overlast, informatieavonden.",
            "Openbare Orde en Veiligheid",
        ),
        TopicTemplate("overig", "Overig", "Vragen die onder geen ander onderwerp vallen.", None),
    ),
)

CRISIS_TEMPLATES: dict[str, CrisisTemplate] = {t.code: t for t in (CORONA, OEKRAINE)}
