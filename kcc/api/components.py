"""JSON Schemas of the API's request and response bodies: the OpenAPI document's components.

Value lists come from the models' enums and limits from the services' constants, so the
document cannot drift from what the API accepts and returns. Response objects list their
`required` fields: the conformance test then fails when a field goes missing.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from kcc.api.schemas import MAX_RECORD_ID
from kcc.classification.models import Sentiment
from kcc.escalation.models import (
    CallOutcome,
    DeliveryStatus,
    EscalationState,
    FollowUpKind,
    Priority,
)
from kcc.faq.models import Language
from kcc.intake import queries
from kcc.intake.models import CallerType, Channel, ContactPreference, QuestionStatus
from kcc.intake.services import MAX_ANSWER_LENGTH, MAX_NAME_LENGTH, MAX_QUESTION_LENGTH

Schema = dict[str, Any]
RECORD_ID_RANGE = {"minimum": 1, "maximum": MAX_RECORD_ID}


def ref(name: str) -> Schema:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def values_of(enum: type[StrEnum], *, nullable: bool = False) -> Schema:
    """A string that is one of an enum's values (or null)."""
    values: list[str | None] = [member.value for member in enum]
    if nullable:
        return {"type": ["string", "null"], "enum": [*values, None]}
    return {"type": "string", "enum": values}


def nullable(type_name: str, **keywords: Any) -> Schema:
    """A value of the given JSON type, or null."""
    return {"type": [type_name, "null"], **keywords}


def described(schema: Schema, description: str) -> Schema:
    """A schema with a description next to it."""
    return {**schema, "description": description}


def record(properties: Schema, *, required: tuple[str, ...] = (), **keywords: Any) -> Schema:
    """An object with the given properties; `required` names the ones always present."""
    schema: Schema = {"type": "object"}
    if required:
        schema["required"] = list(required)
    schema["properties"] = properties
    schema.update(keywords)
    return schema


def nullable_record(
    properties: Schema, *, required: tuple[str, ...] = (), **keywords: Any
) -> Schema:
    """An object with the given properties, or null."""
    schema = record(properties, required=required, **keywords)
    schema["type"] = ["object", "null"]
    return schema


DATE_TIME: Schema = {"type": "string", "format": "date-time"}
NULLABLE_DATE_TIME: Schema = nullable("string", format="date-time")
STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
BOOLEAN: Schema = {"type": "boolean"}
CODE_AND_NAME = record({"code": STRING, "name": STRING}, required=("code", "name"))
MUNICIPALITY_REFERENCE = nullable_record(
    {"cbs_code": STRING, "name": STRING}, required=("cbs_code", "name")
)
QUESTION_FIELDS = (
    "id",
    "reference",
    "received_at",
    "channel",
    "caller_type",
    "municipality",
    "crisis",
    "text",
    "answer",
    "status",
    "escalate",
    "topic",
    "topic_confidence",
    "sentiment",
    "sentiment_confidence",
    "needs_review",
    "related_question_id",
)
ESCALATION_FIELDS = (
    "id",
    "question_id",
    "reference",
    "state",
    "is_open",
    "priority",
    "priority_reason",
    "deadline",
    "response_hours",
    "department",
    "suggested_department",
    "assignee",
    "final_answer",
    "version",
    "created_at",
    "answered_at",
    "closed_at",
)
KLANTINTERACTIES_PARTS = (
    "specificatie",
    "persoonsgegevens",
    "lokaleVerwijzingen",
    "maakKlantcontact",
    "digitaleAdressen",
    "interneTaak",
    "metadata",
)


def question_schemas() -> dict[str, Schema]:
    """Registering and reading questions."""
    contact = record(
        {
            "name": nullable("string", maxLength=MAX_NAME_LENGTH),
            "phone": nullable(
                "string",
                maxLength=40,
                description="Nederlands nummer in een gangbare schrijfwijze (06-12345678, "
                "+31 6 12345678, 035-1234567) of internationaal met +",
            ),
            "email": nullable("string", maxLength=254),
            "preferred_contact": values_of(ContactPreference, nullable=True),
        },
        additionalProperties=False,
    )
    new_question = record(
        {
            "text": {
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_QUESTION_LENGTH,
                "description": "Opgeslagen precies zoals gestuurd",
            },
            "channel": ref("Channel"),
            "caller_type": ref("CallerType"),
            "municipality": described(STRING, "CBS-code van een actieve gemeente"),
            "crisis": described(STRING, "Code van een actieve crisis"),
            "answer": nullable("string", maxLength=MAX_ANSWER_LENGTH),
            "escalate": {
                "type": "boolean",
                "default": False,
                "description": "Doorzetten naar de coördinator; vraagt om contact met telefoon "
                "of e-mail",
            },
            "related_question_id": nullable("integer", **RECORD_ID_RANGE),
            "contact": described(
                {"oneOf": [ref("Contact"), {"type": "null"}]}, "Alleen bewaard bij doorzetten"
            ),
            "priority": described(
                ref("Priority"), "Alleen bij escalate; regels kunnen de prioriteit verhogen"
            ),
        },
        required=("text", "channel", "caller_type", "municipality", "crisis"),
    )
    question = record(
        {
            "id": INTEGER,
            "reference": {"type": "string", "examples": ["KCC-2026-000123"]},
            "received_at": DATE_TIME,
            "channel": ref("Channel"),
            "caller_type": ref("CallerType"),
            "municipality": described(STRING, "CBS-code"),
            "crisis": described(STRING, "Crisiscode"),
            "text": described(STRING, "Gemaskeerd voor rollen die geen persoonsgegevens zien"),
            "answer": nullable("string"),
            "status": ref("Status"),
            "escalate": BOOLEAN,
            "topic": nullable("string", description="Onderwerpcode (null zolang niet bepaald)"),
            "topic_confidence": nullable(
                "number",
                description="Zekerheid van het model (0–1); null als een medewerker het "
                "onderwerp koos",
            ),
            "sentiment": values_of(Sentiment, nullable=True),
            "sentiment_confidence": nullable("number"),
            "needs_review": described(
                BOOLEAN, "Het model was onzeker; de vraag staat op de controlelijst"
            ),
            "related_question_id": nullable("integer"),
            "contact": described(
                {"oneOf": [ref("Contact"), {"type": "null"}]},
                "Alleen voor rollen die persoonsgegevens mogen zien",
            ),
        },
        required=QUESTION_FIELDS,
    )
    page = record(
        {
            "items": {"type": "array", "items": ref("Question")},
            "total": described(
                INTEGER, f"Aantal treffers, afgekapt op {queries.COUNT_CAP} (total_is_capped)"
            ),
            "total_is_capped": BOOLEAN,
            "page": INTEGER,
            "per_page": INTEGER,
        },
        required=("items", "total", "total_is_capped", "page", "per_page"),
    )
    return {
        "Channel": values_of(Channel),
        "CallerType": values_of(CallerType),
        "Status": values_of(QuestionStatus),
        "Contact": contact,
        "NewQuestion": new_question,
        "Question": question,
        "QuestionPage": page,
    }


def reference_schemas() -> dict[str, Schema]:
    """Municipalities, crises and their topics."""
    return {
        "Municipality": record(
            {"cbs_code": STRING, "name": STRING, "active": BOOLEAN},
            required=("cbs_code", "name", "active"),
        ),
        "Topic": record(
            {"code": STRING, "name": STRING, "description": STRING, "active": BOOLEAN},
            required=("code", "name", "description", "active"),
        ),
        "Crisis": record(
            {
                "code": STRING,
                "name": STRING,
                "description": STRING,
                "active": BOOLEAN,
                "start_date": {"type": "string", "format": "date"},
                "topics": {"type": "array", "items": ref("Topic")},
            },
            required=("code", "name", "description", "active", "start_date", "topics"),
        ),
        "Errors": record(
            {
                "errors": described(
                    {
                        "type": "object",
                        "additionalProperties": {"type": "array", "items": STRING},
                    },
                    "Per veld de meldingen; de lege sleutel geldt voor het hele verzoek",
                ),
                "error": described(
                    record(
                        {"status": INTEGER, "title": STRING, "detail": STRING},
                        required=("status", "title", "detail"),
                    ),
                    "Alleen bij fouten buiten de handelingen om (onbekend adres, verkeerde "
                    "methode, storing): status, titel en uitleg",
                ),
            },
            required=("errors",),
        ),
    }


def escalation_schemas() -> dict[str, Schema]:
    """Escalations: their state, the requests that change it, and the timeline."""
    person = nullable_record({"username": STRING, "name": STRING}, required=("username", "name"))
    escalation = record(
        {
            "id": INTEGER,
            "question_id": INTEGER,
            "reference": STRING,
            "state": ref("EscalationState"),
            "is_open": BOOLEAN,
            "priority": ref("Priority"),
            "priority_reason": STRING,
            "deadline": DATE_TIME,
            "response_hours": {"type": "number"},
            "department": nullable_record({"id": INTEGER, "name": STRING}, required=("id", "name")),
            "suggested_department": nullable_record(
                {"id": INTEGER, "name": STRING, "confidence": nullable("number")},
                required=("id", "name", "confidence"),
            ),
            "assignee": ref("Person"),
            "final_answer": nullable("string"),
            "version": described(
                INTEGER,
                "Stuur mee als 'version' om te weigeren wanneer iemand anders intussen "
                "wijzigde (409).",
            ),
            "created_at": DATE_TIME,
            "answered_at": NULLABLE_DATE_TIME,
            "closed_at": NULLABLE_DATE_TIME,
        },
        required=ESCALATION_FIELDS,
    )
    follow_up = record(
        {
            "id": INTEGER,
            "at": DATE_TIME,
            "type": {"const": "follow_up"},
            "kind": values_of(FollowUpKind),
            "outcome": values_of(CallOutcome, nullable=True),
            "body": STRING,
            "user": ref("Person"),
            "email_to": nullable("string"),
            "email_subject": nullable("string"),
            "message_id": nullable("string"),
            "delivery_status": values_of(DeliveryStatus, nullable=True),
            "delivery_error": nullable("string"),
            "attempts": INTEGER,
        },
        required=("id", "at", "type", "kind", "outcome", "body", "user"),
        description="Een e-mail heeft ook email_to, email_subject, message_id, "
        "delivery_status, delivery_error en attempts",
    )
    step = record(
        {
            "at": DATE_TIME,
            "type": {"const": "step"},
            "kind": STRING,
            "user": ref("Person"),
            "from_state": nullable("string"),
            "to_state": nullable("string"),
            "detail": STRING,
        },
        required=("at", "type", "kind", "user", "from_state", "to_state", "detail"),
    )
    version = described(INTEGER, "De versie die u zag; intussen gewijzigd geeft 409")
    return {
        "Priority": values_of(Priority),
        "EscalationState": values_of(EscalationState),
        "Person": person,
        "Escalation": escalation,
        "EscalateRequest": record(
            {"priority": ref("Priority"), "reason": STRING, "contact": ref("Contact")},
            description="Contactgegevens zijn nodig als de vraag ze nog niet heeft.",
        ),
        "AssignRequest": record(
            {
                "department": id_or_name("id of naam van de afdeling"),
                "user": id_or_name("id of gebruikersnaam van de behandelaar"),
                "version": version,
            }
        ),
        "TransitionRequest": record(
            {
                "state": ref("EscalationState"),
                "note": described(STRING, "Verplicht bij teruggeven, wacht_op_burger en heropenen"),
                "version": version,
            },
            required=("state",),
        ),
        "ClaimRequest": record({"version": version}),
        "FollowUpRequest": record(
            {
                "kind": values_of(FollowUpKind),
                "outcome": described(values_of(CallOutcome), "Verplicht bij telefoon"),
                "body": STRING,
                "to": described(STRING, "e-mail: standaard het adres van de beller"),
                "subject": STRING,
                "template": described(
                    {"type": "integer", **RECORD_ID_RANGE}, "e-mail: id van het sjabloon"
                ),
            },
            required=("kind",),
        ),
        "FollowUp": follow_up,
        "Step": step,
        "Timeline": record(
            {
                "escalation": ref("Escalation"),
                "timeline": {
                    "type": "array",
                    "items": {"oneOf": [ref("Step"), ref("FollowUp")]},
                    "description": "Oudste eerst",
                },
            },
            required=("escalation", "timeline"),
        ),
    }


def id_or_name(description: str) -> Schema:
    """A record given by its id or its unique name, or null (left out)."""
    return {"type": ["integer", "string", "null"], **RECORD_ID_RANGE, "description": description}


def public_faq_schemas() -> dict[str, Schema]:
    """The public FAQ feed."""
    languages = values_of(Language)
    entry = record(
        {
            "id": INTEGER,
            "question": STRING,
            "answer": described(STRING, "Het antwoord als platte tekst"),
            "answer_html": described(
                STRING,
                "Het antwoord als veilige HTML: alleen <p>, <ul>, <ol>, <li>, <br> en <a>",
            ),
            "language": described(languages, "De taal van question en answer"),
            "languages": described(
                {"type": "array", "items": languages}, "Talen waarin deze vraag te lezen is"
            ),
            "topic": CODE_AND_NAME,
            "municipality": described(MUNICIPALITY_REFERENCE, "Leeg: geldt in de hele regio"),
            "last_changed": NULLABLE_DATE_TIME,
            "url": described({"type": "string", "format": "uri"}, "De eigen pagina van de vraag"),
        },
        required=(
            "id",
            "question",
            "answer",
            "answer_html",
            "language",
            "languages",
            "topic",
            "municipality",
            "last_changed",
            "url",
        ),
    )
    feed = record(
        {
            "crisis": CODE_AND_NAME,
            "municipality": MUNICIPALITY_REFERENCE,
            "language": languages,
            "last_changed": NULLABLE_DATE_TIME,
            "entries": {"type": "array", "items": ref("PublicFaqEntry")},
        },
        required=("crisis", "municipality", "language", "last_changed", "entries"),
    )
    return {"PublicFaqEntry": entry, "PublicFaq": feed}


def klantinteracties_schemas() -> dict[str, Schema]:
    """A question as Klantinteracties documents (the documents' own schema is Open Klant's)."""
    export = record(
        {
            "specificatie": record(
                {
                    "api": STRING,
                    "versie": {"type": "string", "examples": ["0.1.2"]},
                    "bron": STRING,
                }
            ),
            "persoonsgegevens": BOOLEAN,
            "lokaleVerwijzingen": record(
                {
                    "klantcontact": {"type": "string", "format": "uuid"},
                    "betrokkene": nullable("string", format="uuid"),
                }
            ),
            "maakKlantcontact": {
                "type": "object",
                "description": "Body van POST /maak-klantcontact: klantcontact, "
                "onderwerpobject en (met contactgegevens) betrokkene",
            },
            "digitaleAdressen": {
                "type": "array",
                "items": {"type": "object", "description": "Body van POST /digitaleadressen"},
            },
            "interneTaak": nullable(
                "object", description="Body van POST /internetaken; null zonder doorzetting"
            ),
            "metadata": {
                "type": "object",
                "description": "Crisis, onderwerp, sentiment, type beller, gemeente, status en "
                "doorzetting",
            },
        },
        required=KLANTINTERACTIES_PARTS,
        description="Verwijzingen tussen documenten gebruiken lokale uuids "
        "(lokaleVerwijzingen); bij het versturen vervangt kcc ze door de uuids die Open Klant "
        "teruggeeft. metadata heeft geen plaats in de API en wordt niet verstuurd.",
    )
    return {"KlantinteractiesExport": export}


def component_schemas() -> dict[str, Schema]:
    """Every named schema of the API, by name."""
    return {
        **question_schemas(),
        **reference_schemas(),
        **escalation_schemas(),
        **public_faq_schemas(),
        **klantinteracties_schemas(),
    }
