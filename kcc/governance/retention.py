"""Purging what has expired, in small committed batches: safe to interrupt and to run twice."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import ColumnElement, Select, and_, delete, func, or_, select, update

from kcc.escalation.models import Escalation, EscalationStep, FollowUp
from kcc.extensions import db, utcnow
from kcc.faq.models import ClusterMember, QuestionCluster
from kcc.governance.audit import record_event
from kcc.governance.models import LOGIN_ACTIONS, AuditAction, AuditEvent
from kcc.insight import rollup
from kcc.insight.models import OnlineImport, OnlineMessage
from kcc.intake.models import ContactDetails, Question, QuestionEvent
from kcc.mailintake.models import MailAttachment, MailDirection, MailMessage
from kcc.privacy.masking import mask_personal_data
from kcc.privacy.retention import RetentionPolicy

BATCH_SIZE = 1_000


@dataclass
class PurgeReport:
    """How many records of each kind were (or, in a dry run, would be) removed."""

    counts: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False

    def add(self, kind: str, number: int) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + number

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def current_policy() -> RetentionPolicy:
    """The policy from the RETENTION_DAYS setting."""
    return RetentionPolicy.from_days(current_app.config["RETENTION_DAYS"])


def contact_expired(before: datetime) -> ColumnElement[bool]:
    """Contact details older than `before`, unless a call-back still needs them.

    An open escalation keeps them however old; a closed one counts from its closing, so a
    caller can still be reached about a slow case right up to its end.
    """
    still_needed = (
        select(Escalation.id)
        .where(
            Escalation.question_id == ContactDetails.question_id,
            or_(Escalation.is_open.is_(True), Escalation.closed_at >= before),
        )
        .exists()
    )
    return and_(ContactDetails.created_at < before, ~still_needed)


def expired_contact_ids(before: datetime, limit: int) -> list[int]:
    return list(
        db.session.execute(
            select(ContactDetails.id).where(contact_expired(before)).limit(limit)
        ).scalars()
    )


def delete_contacts(ids: list[int]) -> None:
    """Remove contact details; e-mails sent to the caller lose their address and names too."""
    question_ids = select(ContactDetails.question_id).where(ContactDetails.id.in_(ids))
    # The caller's own e-mails go with their contact details: address, text and files.
    scrub_mail_messages(select(MailMessage.id).where(MailMessage.question_id.in_(question_ids)))
    escalation_ids = select(Escalation.id).where(Escalation.question_id.in_(question_ids))
    for follow_up in db.session.execute(
        select(FollowUp).where(
            FollowUp.escalation_id.in_(escalation_ids), FollowUp.email_to.is_not(None)
        )
    ).scalars():
        anonymise_follow_up(follow_up)
    db.session.execute(delete(ContactDetails).where(ContactDetails.id.in_(ids)))


def anonymise_follow_up(follow_up: FollowUp) -> None:
    """Keep that an e-mail went out, not to whom or with which personal data in it."""
    follow_up.email_to = None
    follow_up.body = mask_personal_data(follow_up.body)
    follow_up.email_subject = mask_personal_data(follow_up.email_subject or "")


def scrub_mail_messages(message_ids: Select[tuple[int]]) -> None:
    """Keep that e-mails came and went (thread ids), not who sent them, their words or files.

    The body becomes its masked form, as a question's text does on an erasure request.
    """
    db.session.execute(
        delete(MailAttachment).where(MailAttachment.mail_message_id.in_(message_ids))
    )
    for message in db.session.execute(
        select(MailMessage).where(MailMessage.id.in_(message_ids))
    ).scalars():
        message.sender_email = None
        message.body = message.body_masked
        message.subject = mask_personal_data(message.subject)


def mail_expired(before: datetime) -> ColumnElement[bool]:
    """A resident's e-mail older than `before` that still holds personal data.

    Counted like contact details (an open escalation keeps them), for the e-mails of
    questions that have no contact details to expire with (an unusable sender address).
    """
    still_needed = (
        select(Escalation.id)
        .where(
            Escalation.question_id == MailMessage.question_id,
            or_(Escalation.is_open.is_(True), Escalation.closed_at >= before),
        )
        .exists()
    )
    holds_personal_data = or_(
        MailMessage.sender_email.is_not(None),
        MailMessage.body != MailMessage.body_masked,
        select(MailAttachment.id).where(MailAttachment.mail_message_id == MailMessage.id).exists(),
    )
    return and_(
        MailMessage.direction == MailDirection.INBOUND.value,
        MailMessage.at < before,
        ~still_needed,
        holds_personal_data,
    )


def expired_mail_ids(before: datetime, limit: int) -> list[int]:
    return list(
        db.session.execute(
            select(MailMessage.id).where(mail_expired(before)).limit(limit)
        ).scalars()
    )


def expired_question_ids(before: datetime, limit: int) -> list[int]:
    return list(
        db.session.execute(
            select(Question.id).where(Question.received_at < before).limit(limit)
        ).scalars()
    )


def expired_audit_ids(before_login: datetime, before_other: datetime, limit: int) -> list[int]:
    login_actions = [action.value for action in LOGIN_ACTIONS]
    return list(
        db.session.execute(
            select(AuditEvent.id)
            .where(
                ((AuditEvent.action.in_(login_actions)) & (AuditEvent.at < before_login))
                | ((AuditEvent.action.not_in(login_actions)) & (AuditEvent.at < before_other))
            )
            .limit(limit)
        ).scalars()
    )


def expired_online_message_ids(before: datetime, limit: int) -> list[int]:
    """Online messages posted before the moment."""
    return list(
        db.session.execute(
            select(OnlineMessage.id).where(OnlineMessage.posted_at < before).limit(limit)
        ).scalars()
    )


def delete_online_messages(ids: list[int]) -> None:
    """Remove online messages, and the imports they leave empty."""
    db.session.execute(delete(OnlineMessage).where(OnlineMessage.id.in_(ids)))
    db.session.execute(
        delete(OnlineImport).where(
            ~select(OnlineMessage.id).where(OnlineMessage.import_id == OnlineImport.id).exists()
        )
    )


def delete_questions(ids: list[int]) -> None:
    """Remove questions with their history and contact details; links to them are cut."""
    rollup.mark_questions_stale(ids)  # a bulk DELETE bypasses the roll-up's ORM listener
    db.session.execute(delete(QuestionEvent).where(QuestionEvent.question_id.in_(ids)))
    escalation_ids = select(Escalation.id).where(Escalation.question_id.in_(ids))
    db.session.execute(delete(FollowUp).where(FollowUp.escalation_id.in_(escalation_ids)))
    db.session.execute(
        delete(EscalationStep).where(EscalationStep.escalation_id.in_(escalation_ids))
    )
    db.session.execute(delete(Escalation).where(Escalation.question_id.in_(ids)))
    db.session.execute(delete(ContactDetails).where(ContactDetails.question_id.in_(ids)))
    mail_ids = select(MailMessage.id).where(MailMessage.question_id.in_(ids))
    db.session.execute(delete(MailAttachment).where(MailAttachment.mail_message_id.in_(mail_ids)))
    db.session.execute(delete(MailMessage).where(MailMessage.question_id.in_(ids)))
    # Cluster runs keep their counts and masked representative text; the links go.
    db.session.execute(delete(ClusterMember).where(ClusterMember.question_id.in_(ids)))
    db.session.execute(
        update(QuestionCluster)
        .where(QuestionCluster.representative_question_id.in_(ids))
        .values(representative_question_id=None)
    )
    db.session.execute(
        update(Question)
        .where(Question.related_question_id.in_(ids))
        .values(related_question_id=None)
    )
    db.session.execute(delete(Question).where(Question.id.in_(ids)))


def purge_in_batches(
    report: PurgeReport,
    kind: str,
    find_ids: Callable[[int], list[int]],
    remove: Callable[[list[int]], object],
    batch_size: int,
) -> None:
    """Find and remove expired ids batch by batch, committing each batch."""
    while ids := find_ids(batch_size):
        remove(ids)
        db.session.commit()  # an interrupted purge keeps what it finished
        report.add(kind, len(ids))
        if len(ids) < batch_size:
            return


def count_expired(report: PurgeReport, policy: RetentionPolicy, now: datetime) -> None:
    """A dry run: count what a purge would remove."""
    login_actions = [action.value for action in LOGIN_ACTIONS]
    before_login = policy.expired_before("login_events", now)
    before_audit = policy.expired_before("audit_events", now)
    counts = {
        "contact_details": select(func.count(ContactDetails.id)).where(
            contact_expired(policy.expired_before("contact_details", now))
        ),
        "mail_messages": select(func.count(MailMessage.id)).where(
            mail_expired(policy.expired_before("contact_details", now))
        ),
        "questions": select(func.count(Question.id)).where(
            Question.received_at < policy.expired_before("questions", now)
        ),
        "audit_events": select(func.count(AuditEvent.id)).where(
            ((AuditEvent.action.in_(login_actions)) & (AuditEvent.at < before_login))
            | ((AuditEvent.action.not_in(login_actions)) & (AuditEvent.at < before_audit))
        ),
        "online_messages": select(func.count(OnlineMessage.id)).where(
            OnlineMessage.posted_at < policy.expired_before("online_messages", now)
        ),
    }
    for kind, query in counts.items():
        number = db.session.execute(query).scalar_one()
        if number:  # as in a real purge, which only reports kinds it removed something of
            report.add(kind, number)


def purge_expired(
    *, now: datetime | None = None, dry_run: bool = False, batch_size: int = BATCH_SIZE
) -> PurgeReport:
    """Delete every record whose retention period has passed; report the counts."""
    now = now or utcnow()
    policy = current_policy()
    report = PurgeReport(dry_run=dry_run)
    if dry_run:
        count_expired(report, policy, now)
        return report
    contact_before = policy.expired_before("contact_details", now)
    questions_before = policy.expired_before("questions", now)
    login_before = policy.expired_before("login_events", now)
    audit_before = policy.expired_before("audit_events", now)
    purge_in_batches(
        report,
        "contact_details",
        lambda limit: expired_contact_ids(contact_before, limit),
        delete_contacts,
        batch_size,
    )
    purge_in_batches(
        report,
        "mail_messages",
        lambda limit: expired_mail_ids(contact_before, limit),
        lambda ids: scrub_mail_messages(select(MailMessage.id).where(MailMessage.id.in_(ids))),
        batch_size,
    )
    purge_in_batches(
        report,
        "questions",
        lambda limit: expired_question_ids(questions_before, limit),
        delete_questions,
        batch_size,
    )
    purge_in_batches(
        report,
        "audit_events",
        lambda limit: expired_audit_ids(login_before, audit_before, limit),
        lambda ids: db.session.execute(delete(AuditEvent).where(AuditEvent.id.in_(ids))),
        batch_size,
    )
    online_before = policy.expired_before("online_messages", now)
    purge_in_batches(
        report,
        "online_messages",
        lambda limit: expired_online_message_ids(online_before, limit),
        delete_online_messages,
        batch_size,
    )
    summary = ", ".join(f"{kind}: {count}" for kind, count in sorted(report.counts.items()))
    record_event(AuditAction.PURGE, detail=summary or "niets verlopen", now=now)
    db.session.commit()
    return report
