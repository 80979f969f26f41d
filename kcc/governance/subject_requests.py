"""Data subject requests (AVG art. 15 and 17): find, export and anonymise a person's data.

A person is found by the contact details a call-back needed (phone number, e-mail address,
name) and by their e-mail address in the text of a question. Anonymising keeps the question
for statistics, as the Selectielijst allows, but removes what identifies the person: the
contact details go, question and answer text are replaced by their masked form.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from kcc.escalation.models import Escalation
from kcc.exceptions import ValidationFailed
from kcc.extensions import db, utcnow
from kcc.governance.audit import record_event
from kcc.governance.models import AuditAction
from kcc.governance.retention import anonymise_follow_up, current_policy, scrub_mail_messages
from kcc.governance.subject_pdf import render_subject_pdf
from kcc.intake.contact_rules import is_valid_email, normalise_email, normalise_phone
from kcc.intake.models import ContactDetails, Question, QuestionEvent
from kcc.mailintake.models import MailMessage
from kcc.mailintake.threads import thread_messages
from kcc.privacy.masking import mask_personal_data

MAX_MATCHES = 500
MIN_NAME_LENGTH = 4  # "Jan" alone would find half the region


@dataclass(frozen=True)
class SubjectQuery:
    """What identifies the person: any of phone number, e-mail address, full name."""

    phone: str = ""
    email: str = ""
    name: str = ""

    def describe(self) -> str:
        """For the audit log: which keys were used, not their values."""
        used = [
            label
            for label, value in (
                ("telefoonnummer", self.phone),
                ("e-mailadres", self.email),
                ("naam", self.name),
            )
            if value.strip()
        ]
        return " en ".join(used)


def check_query(query: SubjectQuery) -> None:
    """At least one usable key; a name long enough to mean one person."""
    errors: dict[str, list[str]] = {}
    if not (query.phone.strip() or query.email.strip() or query.name.strip()):
        errors["phone"] = ["Vul een telefoonnummer, e-mailadres of naam in."]
    if query.phone.strip() and normalise_phone(query.phone) is None:
        errors["phone"] = ["Dit is geen geldig telefoonnummer."]
    if query.email.strip() and not is_valid_email(query.email.strip()):
        errors["email"] = ["Dit is geen geldig e-mailadres."]
    if query.name.strip() and len(query.name.strip()) < MIN_NAME_LENGTH:
        errors["name"] = [f"Geef de volledige naam (minstens {MIN_NAME_LENGTH} tekens)."]
    if errors:
        raise ValidationFailed.from_errors(errors)


def find_subject_questions(query: SubjectQuery) -> list[Question]:
    """Every question that holds data of this person, newest first."""
    check_query(query)
    conditions = []
    if query.phone.strip():
        conditions.append(ContactDetails.phone_key == normalise_phone(query.phone))
    if query.email.strip():
        address = normalise_email(query.email)
        conditions.append(ContactDetails.email_key == address)
        conditions.append(func.lower(Question.text).contains(address, autoescape=True))
        # Questions that came by e-mail, also when their contact details have expired.
        conditions.append(
            Question.id.in_(
                select(MailMessage.question_id).where(
                    func.lower(MailMessage.sender_email) == address
                )
            )
        )
    if query.name.strip():
        conditions.append(func.lower(ContactDetails.name) == query.name.strip().lower())
    return list(
        db.session.execute(
            select(Question)
            .outerjoin(ContactDetails)
            .where(or_(*conditions))
            .order_by(Question.received_at.desc())
            .limit(MAX_MATCHES)
            .options(selectinload(Question.contact), selectinload(Question.events))
        ).scalars()
    )


def question_export(question: Question) -> dict[str, Any]:
    """Everything kcc holds about one question, as the person may see it."""
    contact = question.contact
    return {
        "reference": question.reference,
        "received_at": question.received_at.isoformat(),
        "channel": question.channel,
        "municipality": question.municipality.name,
        "crisis": question.crisis.name,
        "question": question.text,
        "answer": question.answer,
        "status": question.status,
        "topic": question.topic.name if question.topic else None,
        "contact": {
            "name": contact.name,
            "phone": contact.phone,
            "email": contact.email,
            "preferred_contact": contact.preferred_contact,
        }
        if contact
        else None,
        "history": [
            {"at": event.at.isoformat(), "what": event.kind, "detail": event.detail}
            for event in question.events
        ],
        "escalation": escalation_export(question.escalation) if question.escalation else None,
        "emails": emails_export(question.id),
    }


def emails_export(question_id: int) -> list[dict[str, Any]]:
    """The e-mails of the question's thread: the resident's own text and their files' names."""
    return [
        {
            "at": message.at.isoformat(),
            "direction": message.direction,
            "from": message.sender_email,
            "subject": message.subject,
            "text": message.body if message.is_inbound else None,
            "attachments": [
                {"filename": attachment.filename, "size": attachment.size}
                for attachment in message.attachments
                if attachment.is_stored
            ],
        }
        for message in thread_messages(question_id)
    ]


def escalation_export(escalation: Escalation) -> dict[str, Any]:
    """The follow-up of an escalated question: its steps, calls, notes and e-mails."""
    return {
        "state": escalation.state,
        "deadline": escalation.deadline.isoformat(),
        "reason": escalation.reason,
        "final_answer": escalation.final_answer,
        "steps": [
            {"at": step.at.isoformat(), "what": step.kind, "detail": step.detail}
            for step in escalation.steps
        ],
        "follow_ups": [
            {
                "at": follow_up.created_at.isoformat(),
                "kind": follow_up.kind,
                "outcome": follow_up.outcome,
                "text": follow_up.body,
                "email_to": follow_up.email_to,
                "email_subject": follow_up.email_subject,
                "delivery_status": follow_up.delivery_status,
            }
            for follow_up in escalation.follow_ups
        ],
    }


def anonymise_escalation(escalation: Escalation) -> None:
    """Keep what was done, not who it was about: texts masked, e-mail addresses gone."""
    escalation.reason = mask_personal_data(escalation.reason)
    if escalation.final_answer:
        escalation.final_answer = mask_personal_data(escalation.final_answer)
    for follow_up in escalation.follow_ups:
        anonymise_follow_up(follow_up)


def export_subject_data(
    query: SubjectQuery, *, now: datetime | None = None, file_format: str = "json"
) -> dict[str, Any]:
    """An inzageverzoek: the person's data, logged as an export in `file_format`."""
    questions = find_subject_questions(query)
    now = now or utcnow()
    record_event(
        AuditAction.SUBJECT_EXPORT,
        detail=f"inzage ({file_format}) op {query.describe()}: {len(questions)} vragen",
        now=now,
    )
    db.session.commit()
    return {
        "exported_at": now.isoformat(),
        "questions": [question_export(question) for question in questions],
    }


def export_subject_pdf(query: SubjectQuery, *, now: datetime | None = None) -> bytes:
    """An inzageverzoek as a PDF for the resident; logged like the JSON export."""
    export = export_subject_data(query, now=now, file_format="pdf")
    return render_subject_pdf(export, retention=current_policy())


def anonymise_subject_data(query: SubjectQuery, *, now: datetime | None = None) -> int:
    """A verwijderverzoek: contact details removed, texts replaced by their masked form."""
    questions = find_subject_questions(query)
    now = now or utcnow()
    for question in questions:
        if question.contact is not None:
            db.session.delete(question.contact)
        question.text = question.text_masked
        if question.answer is not None:
            question.answer = question.answer_masked
        if question.escalation is not None:
            anonymise_escalation(question.escalation)
        scrub_mail_messages(select(MailMessage.id).where(MailMessage.question_id == question.id))
        question.events.append(
            QuestionEvent(at=now, kind="geanonimiseerd", detail="Op verzoek van de betrokkene.")
        )
    record_event(
        AuditAction.SUBJECT_ERASURE,
        detail=f"geanonimiseerd op {query.describe()}: {len(questions)} vragen",
        now=now,
    )
    db.session.commit()
    return len(questions)
