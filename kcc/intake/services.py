"""Registering questions: the one path every intake channel (form, API, e-mail, import) takes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from kcc.classification.models import Sentiment
from kcc.classification.services import apply_classification, classify, set_confirmed_labels
from kcc.escalation.models import Priority
from kcc.escalation.opening import open_escalation
from kcc.exceptions import NotFound, ValidationFailed
from kcc.extensions import db, utcnow
from kcc.governance.audit import record_event
from kcc.governance.models import AuditAction
from kcc.intake.contact_rules import is_valid_email, normalise_email, normalise_phone
from kcc.intake.models import (
    AnswerSource,
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
from kcc.localtime import to_local
from kcc.nlp.store import ModelStoreError
from kcc.privacy.masking import mask_personal_data
from kcc.reference import cache as reference_cache
from kcc.webhooks.events import WebhookEvent
from kcc.webhooks.services import emit_event

# A question is a note of a call, not a letter; 5,000 characters holds the longest e-mail
# question we saw in Excel registrations several times over. Answers may quote regulations.
MAX_QUESTION_LENGTH = 5_000
MAX_ANSWER_LENGTH = 10_000
MAX_NAME_LENGTH = 160
# PostgreSQL cannot store NUL in text; it only ever arrives by accident (a pasted binary).
NUL = "\x00"


@dataclass(frozen=True)
class ContactInput:
    """A caller's contact details, asked for only when someone has to get back to them."""

    name: str = ""
    phone: str = ""
    email: str = ""
    preferred_contact: str = ""

    @property
    def is_empty(self) -> bool:
        """Tell whether nothing was filled in."""
        return not (self.name.strip() or self.phone.strip() or self.email.strip())


@dataclass(frozen=True)
class QuestionInput:
    """Everything an intake channel knows about one contact."""

    channel: str
    caller_type: str
    municipality_id: int
    crisis_id: int
    text: str
    answer: str = ""
    escalate: bool = False
    callback_requested: bool = False
    contact: ContactInput | None = None
    related_question_id: int | None = None
    answer_source_kind: str | None = None
    answer_source_id: int | None = None
    submission_token: str | None = None
    received_at: datetime | None = None
    # What the agent chose; both together confirm the labels (they become training data).
    topic_id: int | None = None
    sentiment: str | None = None
    # Escalations only: the urgency the agent chose (rules may raise it) and why it goes on.
    priority: str | None = None
    escalation_reason: str = ""
    # E-mail intake: the sender's address is the only way to answer, so it is kept without a
    # call-back (the question stays open for an agent).
    keep_contact: bool = False

    @property
    def needs_contact(self) -> bool:
        """Escalations and call-backs need a way to reach the caller; nothing else does."""
        return self.escalate or self.callback_requested


@dataclass(frozen=True)
class Registration:
    """The stored question, and whether this call created it or found an earlier submit."""

    question: Question
    created: bool


def validate_question(data: QuestionInput) -> None:
    """Check the rules every channel shares; raise ValidationFailed listing every broken one."""
    errors: dict[str, list[str]] = {}
    for field, message in question_rule_violations(data):
        errors.setdefault(field, []).append(message)
    if data.needs_contact:
        for field, message in contact_rule_violations(data.contact or ContactInput()):
            errors.setdefault(field, []).append(message)
    if errors:
        raise ValidationFailed.from_errors(errors)


def question_rule_violations(data: QuestionInput) -> Iterator[tuple[str, str]]:
    """Yield (field, Dutch message) for each rule the question itself breaks."""
    if data.channel not in {channel.value for channel in Channel}:
        yield "channel", "Kies een bestaand kanaal."
    if data.caller_type not in {kind.value for kind in CallerType}:
        yield "caller_type", "Kies een bestaand type beller."
    for field, value in (("text", data.text), ("answer", data.answer)):
        if NUL in value:
            yield field, "De tekst bevat een onzichtbaar NUL-teken; typ de tekst opnieuw."
    if not data.text.strip():
        yield "text", "Vul de vraag in."
    elif len(data.text) > MAX_QUESTION_LENGTH:
        yield "text", f"De vraag is te lang: maximaal {MAX_QUESTION_LENGTH} tekens."
    if len(data.answer) > MAX_ANSWER_LENGTH:
        yield "answer", f"Het antwoord is te lang: maximaal {MAX_ANSWER_LENGTH} tekens."
    municipality = reference_cache.municipality_ref(data.municipality_id)
    if municipality is None or not municipality.is_active:
        yield "municipality_id", "Kies een gemeente uit de lijst."
    crisis = reference_cache.crisis_ref(data.crisis_id)
    if crisis is None or not crisis.is_active:
        yield "crisis_id", "Kies een actieve crisis."
    if data.answer_source_kind and data.answer_source_kind not in {s.value for s in AnswerSource}:
        yield "answer", "Onbekende bron van het antwoord."
    if data.topic_id is not None:
        topic = reference_cache.topic_ref(data.topic_id)
        if topic is None or topic.crisis_id != data.crisis_id:
            yield "topic_id", "Kies een onderwerp van de gekozen crisis."
    if data.sentiment and data.sentiment not in {s.value for s in Sentiment}:
        yield "sentiment", "Kies negatief, neutraal of positief."
    if data.priority and data.priority not in {p.value for p in Priority}:
        yield "priority", "Kies spoed, hoog, normaal of laag."
    if NUL in data.escalation_reason or len(data.escalation_reason) > MAX_ANSWER_LENGTH:
        yield "escalation_reason", "De reden is te lang of bevat een onzichtbaar teken."
    if data.related_question_id is not None and not db.session.get(
        Question, data.related_question_id
    ):
        yield "related_question_id", "De gekoppelde vraag bestaat niet."


def contact_rule_violations(contact: ContactInput) -> Iterator[tuple[str, str]]:
    """A call-back needs a valid phone number or e-mail address, matching the preference."""
    phone = contact.phone.strip()
    email = contact.email.strip()
    if any(NUL in value for value in (contact.name, contact.phone, contact.email)):
        yield "name", "De contactgegevens bevatten een onzichtbaar NUL-teken."
    if len(contact.name) > MAX_NAME_LENGTH:
        yield "name", f"De naam is te lang: maximaal {MAX_NAME_LENGTH} tekens."
    if phone and normalise_phone(phone) is None:
        yield "phone", "Dit is geen geldig telefoonnummer. Voorbeeld: 06-12345678 of 035-1234567."
    if email and not is_valid_email(email):
        yield "email", "Dit is geen geldig e-mailadres. Voorbeeld: naam@voorbeeld.nl."
    if not phone and not email:
        yield "phone", "Vul een telefoonnummer of e-mailadres in, zodat de beller antwoord krijgt."
    elif contact.preferred_contact == ContactPreference.TELEFOON and not phone:
        yield "phone", "Vul het telefoonnummer in om terug te bellen."
    elif contact.preferred_contact == ContactPreference.EMAIL and not email:
        yield "email", "Vul het e-mailadres in om te mailen."
    if contact.preferred_contact and contact.preferred_contact not in {
        p.value for p in ContactPreference
    }:
        yield "preferred_contact", "Kies telefoon of e-mail."


def status_for(data: QuestionInput) -> QuestionStatus:
    """Escalated and call-back questions await follow-up; answered ones are done."""
    if data.needs_contact:
        return QuestionStatus.DOORGEZET
    if data.answer.strip():
        return QuestionStatus.BEANTWOORD
    return QuestionStatus.OPEN


def find_by_submission_token(token: str) -> Question | None:
    """Return the question an earlier submit of the same form created, if any."""
    return db.session.execute(
        select(Question).where(Question.submission_token == token)
    ).scalar_one_or_none()


def build_contact(contact: ContactInput) -> ContactDetails:
    """Contact details with the keys that recognise a caller who calls again."""
    phone = contact.phone.strip()
    email = contact.email.strip()
    return ContactDetails(
        name=contact.name.strip() or None,
        phone=phone or None,
        phone_key=normalise_phone(phone) if phone else None,
        email=email or None,
        email_key=normalise_email(email) if email else None,
        preferred_contact=contact.preferred_contact or None,
    )


def register_question(
    data: QuestionInput, *, user_id: int | None, now: datetime | None = None
) -> Registration:
    """Validate and store one question; a repeated submit returns the first one unchanged."""
    # A repeated submit is rare: the unique submission token catches it at the insert (below),
    # instead of a lookup before every registration.
    try:
        validate_question(data)
    except ValidationFailed:
        # The first submit was valid; what changed since (a municipality switched off) must
        # not turn its retry into an error.
        earlier = find_by_submission_token(data.submission_token) if data.submission_token else None
        if earlier is not None:
            return Registration(earlier, created=False)
        raise
    now = now or utcnow()
    answer = data.answer.strip()
    question = Question(
        received_at=data.received_at or now,
        channel=data.channel,
        caller_type=data.caller_type,
        municipality_id=data.municipality_id,
        crisis_id=data.crisis_id,
        text=data.text,
        text_masked=mask_personal_data(data.text),
        answer=answer or None,
        answer_masked=mask_personal_data(answer) if answer else None,
        answer_source_kind=data.answer_source_kind if answer else None,
        answer_source_id=data.answer_source_id if answer else None,
        status=status_for(data).value,
        is_escalated=data.escalate,
        callback_requested=data.callback_requested,
        related_question_id=data.related_question_id,
        submission_token=data.submission_token,
        created_by_id=user_id,
        created_at=now,
        updated_at=now,
    )
    # Contact details are kept only when someone must get back to the caller (AVG art. 5c).
    must_answer = data.needs_contact or data.keep_contact
    if must_answer and data.contact is not None and not data.contact.is_empty:
        question.contact = build_contact(data.contact)
        question.contact.created_at = now
    else:
        question.contact = None  # known to be none: showing the new record needs no query
    question.events.append(
        QuestionEvent(at=now, user_id=user_id, kind=QuestionEventKind.REGISTERED.value)
    )
    label_question(question, data, user_id=user_id, now=now)
    if data.needs_contact:
        # The work item is stored with the question, in the same transaction.
        open_escalation(
            question,
            user_id=user_id,
            now=now,
            chosen_priority=Priority(data.priority) if data.priority else None,
            reason=data.escalation_reason,
        )
    if data.related_question_id is not None:
        question.events.append(
            QuestionEvent(
                at=now,
                user_id=user_id,
                kind=QuestionEventKind.LINKED.value,
                detail=f"Gekoppeld aan een eerdere vraag (id {data.related_question_id}).",
            )
        )
    reserved_id = reserve_question_id()
    if reserved_id is not None:
        question.id = reserved_id
        question.reference = format_reference(reserved_id, to_local(question.received_at).year)
    db.session.add(question)
    try:
        if reserved_id is None:
            db.session.flush()  # the id, and from it the reference (stored by an UPDATE)
            question.reference = format_reference(question.id, to_local(question.received_at).year)
        elif data.needs_contact:
            db.session.flush()  # the work item's id, which its webhook event names
        record_event(
            AuditAction.QUESTION_REGISTERED,
            object_type="question",
            object_id=question.id,
            detail=question.reference,
            now=now,
        )
        emit_event(WebhookEvent.QUESTION_REGISTERED, question, now=now)
        if data.needs_contact:  # open_escalation above made the work item
            emit_event(WebhookEvent.QUESTION_ESCALATED, question.escalation, now=now)
        db.session.commit()
    except IntegrityError:
        # A repeat of an earlier submit (a retry, or two submits racing): return its record.
        db.session.rollback()
        if data.submission_token:
            earlier = find_by_submission_token(data.submission_token)
            if earlier is not None:
                return Registration(earlier, created=False)
        raise
    return Registration(question, created=True)


def reserve_question_id() -> int | None:
    """The next question id from PostgreSQL's sequence, so the reference (which shows the id)
    goes into the INSERT itself; SQLite has no sequence: None, the insert assigns the id.

    One cheap round trip instead of a second flush with an UPDATE of the new row.
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return None
    return db.session.execute(
        text("SELECT nextval(pg_get_serial_sequence('question', 'id'))")
    ).scalar_one()


def label_question(
    question: Question, data: QuestionInput, *, user_id: int | None, now: datetime
) -> None:
    """The models' topic and sentiment, overruled by what the agent chose."""
    try:
        apply_classification(question, classify(data.crisis_id, question.text_masked))
    except ModelStoreError:
        # A model file that fails its checksum is never loaded; the question is still saved
        # and waits for a person to label it.
        current_app.logger.exception("classifying a question failed")
        question.needs_review = True
    if data.topic_id and data.sentiment:
        set_confirmed_labels(question, data.topic_id, data.sentiment, user_id=user_id, now=now)
    elif data.topic_id:
        question.topic_id = data.topic_id
    elif data.sentiment:
        question.sentiment = data.sentiment


def get_question(question_id: int) -> Question:
    """Return a question by id or raise NotFound."""
    # One round trip for what a question's page or JSON shows, not one per relationship
    # (after a commit every attribute is expired and each would be a query of its own).
    question = db.session.get(
        Question,
        question_id,
        options=[
            joinedload(Question.municipality),
            joinedload(Question.crisis),
            joinedload(Question.topic),
            joinedload(Question.contact),
        ],
        populate_existing=True,
    )
    if question is None:
        raise NotFound("Deze vraag bestaat niet.")
    return question
