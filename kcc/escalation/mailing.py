"""E-mail answers to callers: composed from a crisis's editable template, sent, logged, retried.

The composed e-mail is stored before it is sent, so a mail server that is down loses nothing:
the follow-up log shows it as failed with the reason, and a retry sends the same message (same
Message-ID) again. E-mails within one escalation refer to each other, so the caller's mail
program shows them as one conversation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from string import Template

from flask import current_app
from sqlalchemy import select

from kcc.auth.models import User
from kcc.escalation.models import DeliveryStatus, EmailTemplate, Escalation, FollowUp, FollowUpKind
from kcc.escalation.services import (
    CLOSED_MESSAGE,
    can_manage,
    can_work_on,
    check_text,
    commit_change,
    get_escalation,
    refuses_stale_changes,
)
from kcc.exceptions import Conflict, Forbidden, NotFound, ValidationFailed
from kcc.extensions import db, utcnow
from kcc.governance.audit import record_event
from kcc.governance.models import AuditAction
from kcc.intake.contact_rules import is_valid_email
from kcc.localtime import format_local
from kcc.mail import MailSettings, OutgoingMail, new_message_id, send_mail
from kcc.mailintake.threads import record_outgoing, reply_subject, thread_headers
from kcc.reference.models import Crisis

MAX_SUBJECT_LENGTH = 250

# Used when a crisis has no template of its own yet; seed-demo stores it per crisis to edit.
DEFAULT_TEMPLATE_NAME = "Antwoord op uw vraag"
DEFAULT_SUBJECT = "Antwoord op uw vraag ($referentie)"
DEFAULT_BODY = """Beste $naam,

Op $datum stelde u de gemeente $gemeente een vraag over $crisis:

$vraag

Ons antwoord:

$antwoord

Heeft u nog een vraag? Neem dan contact op met de gemeente en noem het referentienummer \
$referentie.

Met vriendelijke groet,

$behandelaar
Gemeente $gemeente
"""

# What a template may use; shown next to the template form.
PLACEHOLDERS = {
    "referentie": "referentienummer, bijvoorbeeld KCC-2026-000123",
    "naam": "naam van de beller (of 'heer/mevrouw')",
    "vraag": "de vraag zoals geregistreerd",
    "antwoord": "het definitieve antwoord",
    "gemeente": "de gemeente",
    "crisis": "de crisis",
    "datum": "datum waarop de vraag binnenkwam",
    "behandelaar": "naam van wie de e-mail verstuurt",
}


@dataclass(frozen=True)
class ComposedEmail:
    """An e-mail ready for the behandelaar to check and edit before sending."""

    to: str
    subject: str
    body: str


def templates_for(crisis_id: int) -> list[EmailTemplate]:
    """The crisis's active templates, by name."""
    return list(
        db.session.execute(
            select(EmailTemplate)
            .where(EmailTemplate.crisis_id == crisis_id, EmailTemplate.is_active.is_(True))
            .order_by(EmailTemplate.name)
        ).scalars()
    )


def template_values(escalation: Escalation, sender: User) -> dict[str, str]:
    """What the placeholders stand for in this escalation."""
    question = escalation.question
    contact = question.contact
    return {
        "referentie": question.reference or "",
        "naam": (contact.name if contact and contact.name else "heer/mevrouw"),
        "vraag": question.text,
        "antwoord": escalation.final_answer or "",
        "gemeente": question.municipality.name,
        "crisis": question.crisis.name,
        "datum": format_local(question.received_at, "%d-%m-%Y"),
        "behandelaar": sender.display_name,
    }


def compose_email(
    escalation: Escalation, sender: User, template_id: int | None = None
) -> ComposedEmail:
    """Fill in a template (the crisis's first, or the built-in one) for this escalation."""
    template = None
    if template_id is not None:
        template = db.session.get(EmailTemplate, template_id)
        if template is None or template.crisis_id != escalation.crisis_id:
            raise NotFound("Dit sjabloon hoort niet bij deze crisis.")
    else:
        available = templates_for(escalation.crisis_id)
        template = available[0] if available else None
    subject = template.subject if template else DEFAULT_SUBJECT
    body = template.body if template else DEFAULT_BODY
    values = template_values(escalation, sender)
    contact = escalation.question.contact
    # A question that came by e-mail is answered in its thread: same subject, "Re:" before it.
    thread_subject = reply_subject(escalation.question_id)
    return ComposedEmail(
        to=(contact.email or "") if contact else "",
        subject=thread_subject or Template(subject).safe_substitute(values),
        body=Template(body).safe_substitute(values),
    )


def check_email(email: ComposedEmail) -> None:
    """A valid address, a one-line subject and a body: anything else is a clear error."""
    errors: dict[str, list[str]] = {}
    if not is_valid_email(email.to.strip()):
        errors["to"] = ["Dit is geen geldig e-mailadres. Voorbeeld: naam@voorbeeld.nl."]
    if not email.subject.strip() or "\n" in email.subject or "\r" in email.subject:
        errors["subject"] = ["Vul een onderwerp van één regel in."]
    elif len(email.subject) > MAX_SUBJECT_LENGTH:
        errors["subject"] = [f"Het onderwerp is te lang: maximaal {MAX_SUBJECT_LENGTH} tekens."]
    try:
        check_text(email.body, "body", required="Vul de tekst van de e-mail in.")
    except ValidationFailed as error:
        errors.update(error.errors)
    if errors:
        raise ValidationFailed.from_errors(errors)


@refuses_stale_changes()
def send_email_answer(
    escalation_id: int, email: ComposedEmail, *, user: User, now: datetime | None = None
) -> FollowUp:
    """Store the e-mail in the follow-up log, then send it; a failure stays visible."""
    now = now or utcnow()
    escalation = get_escalation(escalation_id, user)
    if not can_work_on(user, escalation):
        raise Forbidden("Alleen de behandelaar of de coördinator mailt de beller.")
    if not escalation.is_open:
        raise Conflict(CLOSED_MESSAGE)
    check_email(email)
    settings = MailSettings.from_config(current_app.config)
    follow_up = FollowUp(
        kind=FollowUpKind.EMAIL.value,
        body=email.body.strip(),
        email_to=email.to.strip(),
        email_subject=email.subject.strip(),
        message_id=new_message_id(settings.sender),
        created_by_id=user.id,
        created_at=now,
    )
    escalation.follow_ups.append(follow_up)
    commit_change(escalation, now)  # stored before the mail server is even asked
    deliver(follow_up, settings, user=user, now=now)
    return follow_up


def retry_email(follow_up_id: int, *, user: User, now: datetime | None = None) -> FollowUp:
    """Send a failed e-mail again, with the same Message-ID."""
    now = now or utcnow()
    follow_up = db.session.get(FollowUp, follow_up_id)
    if follow_up is None or follow_up.kind != FollowUpKind.EMAIL:
        raise NotFound("Deze e-mail bestaat niet.")
    escalation = get_escalation(follow_up.escalation_id, user)
    if not can_work_on(user, escalation):
        raise Forbidden("Alleen de behandelaar of de coördinator mailt de beller.")
    if follow_up.delivery_status == DeliveryStatus.SENT:
        raise Conflict("Deze e-mail is al verstuurd.")
    deliver(follow_up, MailSettings.from_config(current_app.config), user=user, now=now)
    return follow_up


def earlier_message_ids(follow_up: FollowUp) -> tuple[str, ...]:
    """Message-IDs of the e-mails sent before this one in the same escalation."""
    return tuple(
        other.message_id
        for other in follow_up.escalation.follow_ups
        if other.kind == FollowUpKind.EMAIL
        and other.id < follow_up.id
        and other.message_id
        and other.delivery_status == DeliveryStatus.SENT
    )


def deliver(follow_up: FollowUp, settings: MailSettings, *, user: User, now: datetime) -> None:
    """Hand the e-mail to the mail server and record the outcome."""
    question_id = follow_up.escalation.question_id
    # The resident's own e-mails (if the question came by e-mail) and our earlier answers.
    thread = thread_headers(
        question_id, also=earlier_message_ids(follow_up), exclude=follow_up.message_id
    )
    result = send_mail(
        OutgoingMail(
            to=follow_up.email_to or "",
            subject=follow_up.email_subject or "",
            body=follow_up.body,
            in_reply_to=thread.in_reply_to,
            references=thread.references,
            message_id=follow_up.message_id,
        ),
        settings,
    )
    follow_up.attempts += 1
    follow_up.last_attempt_at = now
    status = DeliveryStatus.SENT if result.delivered else DeliveryStatus.FAILED
    follow_up.delivery_status = status.value
    follow_up.delivery_error = None if result.delivered else result.error
    if result.delivered and follow_up.message_id:
        # So that the resident's reply to this e-mail lands on the same question.
        record_outgoing(
            question_id, follow_up.message_id, follow_up.email_subject or "", now=now
        )
    if result.delivered:
        record_event(
            AuditAction.EMAIL_SENT,
            object_type="escalation",
            object_id=follow_up.escalation_id,
            detail=f"e-mail {follow_up.message_id}",
            user_id=user.id,
            username=user.username,
            now=now,
        )
    db.session.commit()


@dataclass(frozen=True)
class TemplateInput:
    """An e-mail template as the coordinator wrote it."""

    crisis_id: int
    name: str
    subject: str
    body: str
    is_active: bool = True


def save_template(
    data: TemplateInput, *, user: User, template_id: int | None = None
) -> EmailTemplate:
    """Create or change a template; names are unique within a crisis."""
    if not can_manage(user):
        raise Forbidden("Alleen de coördinator beheert e-mailsjablonen.")
    if db.session.get(Crisis, data.crisis_id) is None:
        raise ValidationFailed("Kies een crisis.", field="crisis_id")
    check_email(ComposedEmail(to="sjabloon@voorbeeld.nl", subject=data.subject, body=data.body))
    template = db.session.get(EmailTemplate, template_id) if template_id else EmailTemplate()
    if template is None:
        raise NotFound("Dit sjabloon bestaat niet.")
    clash = db.session.execute(
        select(EmailTemplate.id).where(
            EmailTemplate.crisis_id == data.crisis_id,
            EmailTemplate.name == data.name.strip(),
            EmailTemplate.id != (template_id or 0),
        )
    ).first()
    if clash:
        raise ValidationFailed("Deze crisis heeft al een sjabloon met die naam.", field="name")
    template.crisis_id = data.crisis_id
    template.name = data.name.strip()
    template.subject = data.subject.strip()
    template.body = data.body
    template.is_active = data.is_active
    template.updated_by_id = user.id
    template.updated_at = utcnow()
    db.session.add(template)
    db.session.commit()
    return template


def get_template(template_id: int) -> EmailTemplate:
    """A template by id, or NotFound."""
    template = db.session.get(EmailTemplate, template_id)
    if template is None:
        raise NotFound("Dit sjabloon bestaat niet.")
    return template


def all_templates() -> list[EmailTemplate]:
    """Every template, per crisis and name."""
    return list(
        db.session.execute(
            select(EmailTemplate).order_by(EmailTemplate.crisis_id, EmailTemplate.name)
        ).scalars()
    )


def ensure_default_template(crisis: Crisis) -> int:
    """Give a crisis the built-in template to edit, once; return how many were added."""
    exists = db.session.execute(
        select(EmailTemplate.id).where(EmailTemplate.crisis_id == crisis.id)
    ).first()
    if exists:
        return 0
    db.session.add(
        EmailTemplate(
            crisis_id=crisis.id,
            name=DEFAULT_TEMPLATE_NAME,
            subject=DEFAULT_SUBJECT,
            body=DEFAULT_BODY,
        )
    )
    return 1
