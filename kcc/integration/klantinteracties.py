"""A question as Klantinteracties documents (VNG Klantinteracties API, as Open Klant serves it).

Flask-free: it reads a question, its contact details and its escalation and returns plain
dictionaries, so the CLI, the API, the push and tests all build the same documents.

What goes where (Klantinteracties API 0.1.2, see schemas/klantinteracties-0.1.2.schema.json):
- Klantcontact: kanaal (our channel), onderwerp ("crisis: topic"; Open Klant knows no crisis),
  inhoud (the question and the answer given; 0.1.2 has no separate `reactie` field),
  indicatieContactGelukt, plaatsgevondenOp, taal "nld", vertrouwelijk.
- Onderwerpobject: points back at our record (register "kcc", the reference number).
- Betrokkene (the caller, rol "klant", initiator) with a DigitaalAdres per phone number and
  e-mail address: only when contact details exist and personal data may be included.
- InterneTaak: only for an escalated question.
- metadata (topic, sentiment, crisis, ...) stays in the export bundle: the 0.1.2 Klantcontact
  has no field for it, and a property Open Klant does not know would be dropped silently.

Personal data: the push to Open Klant transfers the real record to the municipality's own
register of customer contacts (same controller, same purpose: handling this contact), so it
includes personal data. An export for a person follows that person's right to see personal
data: without it the text is the masked one and there is no Betrokkene or DigitaalAdres.

Links between documents (betrokkene -> klantcontact, ...) use uuids Open Klant hands out when
it creates a document. An export made before a push fills them with local uuids derived from
our reference number (listed under `lokaleVerwijzingen`); the push replaces them with the
uuids Open Klant returned.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jsonschema import Draft202012Validator, FormatChecker

from kcc.intake.contact_rules import normalise_phone
from kcc.localtime import format_local
from kcc.privacy.masking import mask_personal_data

if TYPE_CHECKING:  # models are only read here; importing them would pull in Flask-SQLAlchemy
    from kcc.escalation.models import Escalation
    from kcc.intake.models import ContactDetails, Question

SPEC_VERSION = "0.1.2"
# Where the hand-written schema was read from (see the schema file's $comment).
SPEC_SOURCE = (
    "maykinmedia/open-klant@032494819d164cc3bf07beaf41f4227de845622e "
    "src/openklant/components/klantinteracties/openapi.yaml"
)
SCHEMA_DIRECTORY = Path(__file__).resolve().parent / "schemas"
SCHEMA_PATH = SCHEMA_DIRECTORY / f"klantinteracties-{SPEC_VERSION}.schema.json"
LANGUAGE = "nld"  # ISO 639-2/B, as the specification asks
REGISTER = "kcc"
# Stable namespace for the local uuids of links in an export made before any push.
LOCAL_NAMESPACE = uuid.UUID("6f1d3c1e-5b7a-4a37-9a52-0d6c0e4b8f21")

# Lengths from the specification (maxLength of each property).
ONDERWERP_LENGTH = 200
INHOUD_LENGTH = 1000
GEVRAAGDE_HANDELING_LENGTH = 200
TOELICHTING_LENGTH = 1000
OMSCHRIJVING_LENGTH = 40
PREFIX_LENGTH = 10
NAME_LENGTH = 200

# Escalation states that still need work map to te_verwerken; the others are done.
OPEN_STATES = frozenset({"nieuw", "toegewezen", "in_behandeling", "wacht_op_burger"})
# Dutch surname prefixes (tussenvoegsels): they go to voorvoegselAchternaam.
SURNAME_PREFIXES = frozenset(
    {"van", "de", "der", "den", "het", "'t", "ter", "ten", "te", "in", "op", "la", "le", "du"}
)


@dataclass(frozen=True)
class Links:
    """The uuids the later documents point at: the klantcontact and the betrokkene."""

    klantcontact: str
    betrokkene: str | None = None


def reference_of(question: Question) -> str:
    """Our reference number (set right after insert), or a stand-in built from the id."""
    return question.reference or f"kcc-vraag-{question.id}"


def local_links(question: Question) -> Links:
    """Stable local uuids for an export made before the push (the same on every export)."""
    reference = reference_of(question)
    return Links(
        klantcontact=str(uuid.uuid5(LOCAL_NAMESPACE, f"{reference}/klantcontact")),
        betrokkene=str(uuid.uuid5(LOCAL_NAMESPACE, f"{reference}/betrokkene")),
    )


def fit(text: str, limit: int) -> str:
    """The text within `limit` characters; a cut is marked with an ellipsis."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def question_text(question: Question, *, include_personal_data: bool) -> str:
    """The question as registered, or masked for whom may not see personal data."""
    return question.text if include_personal_data else (question.text_masked or "")


def answer_text(question: Question, *, include_personal_data: bool) -> str:
    """The answer given (at first line or by the specialist), masked by the same rule."""
    answer = question.answer if include_personal_data else question.answer_masked
    return answer or ""


def compose_inhoud(question_part: str, answer_part: str) -> str:
    """Question and answer in the 1000 characters of inhoud; neither crowds the other out."""
    if not answer_part:
        return fit(f"Vraag: {question_part}", INHOUD_LENGTH)
    labels = len("Vraag: ") + len("\n\nAntwoord: ")
    budget = INHOUD_LENGTH - labels
    question_limit = max(budget - len(answer_part), budget // 2)
    fitted_question = fit(question_part, question_limit)
    fitted_answer = fit(answer_part, budget - len(fitted_question))
    return f"Vraag: {fitted_question}\n\nAntwoord: {fitted_answer}"


def subject_of(question: Question) -> str:
    """Crisis and topic: Open Klant has no crisis, so the onderwerp carries it."""
    if question.topic is None:
        return fit(question.crisis.name, ONDERWERP_LENGTH)
    return fit(f"{question.crisis.name}: {question.topic.name}", ONDERWERP_LENGTH)


def contains_personal_data(question: Question) -> bool:
    """Masking changed the question or the answer: the real text holds personal data."""
    return question.text != (question.text_masked or "") or (question.answer or "") != (
        question.answer_masked or ""
    )


def klantcontact_document(question: Question, *, include_personal_data: bool) -> dict[str, Any]:
    """The Klantcontact: one registered contact.

    indicatieContactGelukt is true: the caller reached us and the contact was registered.
    vertrouwelijk is true when the text sent holds personal data (masking found some).
    """
    return {
        "kanaal": question.channel,
        "onderwerp": subject_of(question),
        "inhoud": compose_inhoud(
            question_text(question, include_personal_data=include_personal_data),
            answer_text(question, include_personal_data=include_personal_data),
        ),
        "indicatieContactGelukt": True,
        "taal": LANGUAGE,
        "vertrouwelijk": include_personal_data and contains_personal_data(question),
        "plaatsgevondenOp": question.received_at.isoformat(),
    }


def onderwerpobject_document(question: Question) -> dict[str, Any]:
    """The Onderwerpobject that names our record, so Open Klant users can find it back."""
    return {
        "onderwerpobjectidentificator": {
            "objectId": reference_of(question),
            "codeObjecttype": "vraag",
            "codeRegister": REGISTER,
            "codeSoortObjectId": "referentie",
        }
    }


def split_name(name: str) -> dict[str, str]:
    """A full name as Contactnaam: first word, surname prefixes, surname.

    One word (or initials like "K.") is kept whole as the surname: guessing is worse.
    """
    words = name.split()
    if not words:
        return {}
    if len(words) == 1:
        return {"achternaam": fit(words[0], NAME_LENGTH)}
    first, rest = words[0], words[1:]
    prefix: list[str] = []
    while len(rest) > 1 and rest[0].lower() in SURNAME_PREFIXES:
        prefix.append(rest.pop(0))
    parts = {"achternaam": fit(" ".join(rest), NAME_LENGTH)}
    prefix_text = " ".join(prefix)
    if len(prefix_text) > PREFIX_LENGTH:  # too long for the field: keep it with the surname
        parts["achternaam"] = fit(f"{prefix_text} {parts['achternaam']}", NAME_LENGTH)
    elif prefix_text:
        parts["voorvoegselAchternaam"] = prefix_text
    if first.endswith("."):  # "K. de Boer": initials, not a first name
        parts["voorletters"] = fit(first, PREFIX_LENGTH)
    else:
        parts["voornaam"] = fit(first, NAME_LENGTH)
    return parts


def has_contact_details(contact: ContactDetails | None) -> bool:
    """Tell whether anything is left to send (retention may have emptied the record)."""
    return bool(contact and (contact.name or contact.phone or contact.email))


def betrokkene_document(contact: ContactDetails) -> dict[str, Any]:
    """The caller as Betrokkene at the klantcontact: the customer, who started the contact."""
    document: dict[str, Any] = {"rol": "klant", "initiator": True}
    if contact.name and contact.name.strip():
        document["contactnaam"] = split_name(contact.name)
    return document


def digitaal_adres_documents(
    question: Question, contact: ContactDetails, betrokkene_uuid: str
) -> list[dict[str, Any]]:
    """One DigitaalAdres per phone number and e-mail address the caller gave."""
    reference = reference_of(question)
    documents = []
    for kind, value, label in addresses_of(contact):
        preferred = " (voorkeur)" if contact.preferred_contact == label else ""
        documents.append(
            {
                "verstrektDoorBetrokkene": {"uuid": betrokkene_uuid},
                "adres": value,
                "soortDigitaalAdres": kind,
                "omschrijving": fit(f"{ADDRESS_LABELS[kind]}{preferred}", OMSCHRIJVING_LENGTH),
                "referentie": f"{reference}-{kind}",
            }
        )
    return documents


ADDRESS_LABELS = {"telefoonnummer": "Telefoonnummer", "email": "E-mailadres"}


def addresses_of(contact: ContactDetails) -> Iterator[tuple[str, str, str]]:
    """(soortDigitaalAdres, address, our preference name) for each address given."""
    if contact.phone and contact.phone.strip():
        # Open Klant checks phone numbers against a pattern without spaces or dashes.
        yield "telefoonnummer", normalise_phone(contact.phone) or contact.phone.strip(), "telefoon"
    if contact.email and contact.email.strip():
        yield "email", contact.email.strip(), "e-mail"


def task_status(escalation: Escalation) -> str:
    """te_verwerken while someone still has to act, verwerkt once answered or closed."""
    return "te_verwerken" if escalation.state in OPEN_STATES else "verwerkt"


def finished_at(escalation: Escalation) -> datetime | None:
    """When the task was done: answered, or else closed."""
    return escalation.answered_at or escalation.closed_at


def requested_action(escalation: Escalation, reason: str) -> str:
    """The reason's first line is the action asked for; without one, the general task."""
    first_line = reason.strip().splitlines()[0] if reason.strip() else ""
    if first_line:
        return fit(first_line, GEVRAAGDE_HANDELING_LENGTH)
    if escalation.question.callback_requested:
        return "Beller terugbellen en de vraag beantwoorden"
    return "Vraag van de beller beantwoorden"


def explanation(escalation: Escalation, reason: str) -> str:
    """The whole reason, with department, priority and deadline for whoever picks it up."""
    lines = [reason.strip()] if reason.strip() else []
    if escalation.department is not None:
        lines.append(f"Afdeling: {escalation.department.name}")
    lines.append(f"Prioriteit: {escalation.priority}")
    lines.append(f"Termijn: {format_local(escalation.deadline)}")
    return fit("\n".join(lines), TOELICHTING_LENGTH)


def interne_taak_document(
    escalation: Escalation, klantcontact_uuid: str, *, include_personal_data: bool
) -> dict[str, Any]:
    """The InterneTaak an escalation is.

    toegewezenAanActoren is left out: Open Klant wants the uuid of an Actor it knows, and kcc
    keeps no mapping from its users or departments to Open Klant actors (the department is in
    the toelichting instead).
    """
    reason = escalation.reason or ""
    if not include_personal_data:
        reason = mask_personal_data(reason)
    document: dict[str, Any] = {
        "gevraagdeHandeling": requested_action(escalation, reason),
        "aanleidinggevendKlantcontact": {"uuid": klantcontact_uuid},
        "toelichting": explanation(escalation, reason),
        "status": task_status(escalation),
    }
    done = finished_at(escalation)
    if document["status"] == "verwerkt" and done is not None:
        document["afgehandeldOp"] = done.isoformat()
    return document


def metadata_of(question: Question) -> dict[str, Any]:
    """What kcc knows beyond the API's fields: kept in the export, not sent."""
    escalation = question.escalation
    return {
        "referentie": reference_of(question),
        "crisis": {"code": question.crisis.code, "naam": question.crisis.name},
        "onderwerp": (
            {"code": question.topic.code, "naam": question.topic.name} if question.topic else None
        ),
        "sentiment": question.sentiment,
        "typeBeller": question.caller_type,
        "gemeente": {"cbsCode": question.municipality.cbs_code, "naam": question.municipality.name},
        "status": question.status,
        "doorzetting": (
            {
                "status": escalation.state,
                "prioriteit": escalation.priority,
                "afdeling": escalation.department.name if escalation.department else None,
                "termijn": escalation.deadline.isoformat(),
            }
            if escalation is not None
            else None
        ),
    }


def export_question(
    question: Question, *, include_personal_data: bool, links: Links | None = None
) -> dict[str, Any]:
    """Every Klantinteracties document of one question, as the push sends them."""
    links = links or local_links(question)
    contact = question.contact if include_personal_data else None
    with_contact = contact is not None and has_contact_details(contact)
    escalation = question.escalation
    bundle: dict[str, Any] = {
        "specificatie": {"api": "Klantinteracties", "versie": SPEC_VERSION, "bron": SPEC_SOURCE},
        "persoonsgegevens": include_personal_data,
        "lokaleVerwijzingen": {
            "klantcontact": links.klantcontact,
            "betrokkene": links.betrokkene if with_contact else None,
        },
        "maakKlantcontact": {
            "klantcontact": klantcontact_document(
                question, include_personal_data=include_personal_data
            ),
            "onderwerpobject": onderwerpobject_document(question),
        },
        "digitaleAdressen": [],
        "interneTaak": None,
        "metadata": metadata_of(question),
    }
    if with_contact and contact is not None:
        bundle["maakKlantcontact"]["betrokkene"] = betrokkene_document(contact)
        bundle["digitaleAdressen"] = digitaal_adres_documents(
            question, contact, links.betrokkene or ""
        )
    if escalation is not None:
        bundle["interneTaak"] = interne_taak_document(
            escalation, links.klantcontact, include_personal_data=include_personal_data
        )
    return bundle


# Which definition of the schema file each part of the bundle is checked against.
BUNDLE_PARTS = (
    ("maakKlantcontact", "MaakKlantcontact"),
    ("digitaleAdressen", "DigitaalAdres"),
    ("interneTaak", "InterneTaak"),
)


@cache
def load_schema() -> dict[str, Any]:
    """Our schema file (read once)."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def format_checker() -> FormatChecker:
    """uuid, e-mail and an RFC 3339 date-time check that needs no extra package."""
    checker = FormatChecker(formats=("uuid", "email"))

    @checker.checks("date-time", raises=ValueError)
    def is_date_time(value: object) -> bool:
        if not isinstance(value, str):
            return True
        moment = datetime.fromisoformat(value)
        return moment.tzinfo is not None  # RFC 3339 demands an offset

    return checker


def validator_for(definition: str) -> Draft202012Validator:
    """A validator for one definition (e.g. "Klantcontact") of our schema file."""
    schema = load_schema()
    return Draft202012Validator(
        {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": f"#/$defs/{definition}"},
        format_checker=format_checker(),
    )


def document_errors(document: Any, definition: str) -> list[str]:
    """Where a document breaks its definition: "path: message", empty when it is valid."""
    errors = sorted(
        validator_for(definition).iter_errors(document), key=lambda error: list(error.path)
    )
    return [
        f"{'/'.join(str(part) for part in error.path) or '(document)'}: {error.message}"
        for error in errors
    ]


def export_errors(bundle: dict[str, Any]) -> list[str]:
    """Every schema violation in an export bundle, each prefixed with its part."""
    problems = []
    for part, definition in BUNDLE_PARTS:
        value = bundle.get(part)
        documents = value if isinstance(value, list) else [value] if value is not None else []
        for index, document in enumerate(documents):
            label = f"{part}[{index}]" if isinstance(value, list) else part
            problems.extend(f"{label}: {error}" for error in document_errors(document, definition))
    return problems
