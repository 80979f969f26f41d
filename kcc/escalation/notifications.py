"""E-mail to staff: new work assigned, a deadline nearing, and the coordinators' daily digest.

Users switch these off on their account page (notify_by_email). A notification that fails is
logged on the item's timeline and never undoes the change it reports; the scheduled commands
(`flask --app kcc notify-deadlines`, `flask --app kcc digest`) can run again safely.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app, url_for
from sqlalchemy import select

from kcc.auth.models import Role, User
from kcc.escalation.models import Escalation, EscalationStep, StepKind
from kcc.escalation.opening import working_calendar
from kcc.extensions import db, utcnow
from kcc.localtime import format_local
from kcc.mail import MailSettings, OutgoingMail, send_mail

# The digest lists this many overdue items by name; the count covers them all.
DIGEST_LIMIT = 50


@dataclass
class NotificationReport:
    """How many notifications went out, and how many failed."""

    sent: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def wants_mail(user: User | None) -> bool:
    """Only enabled users with an address who did not switch notifications off."""
    return bool(user and user.is_enabled and user.notify_by_email and user.email)


def item_link(escalation: Escalation) -> str:
    """A link to the item, when a request or SERVER_NAME makes one possible."""
    try:
        return url_for("escalation.detail", escalation_id=escalation.id, _external=True)
    except RuntimeError:
        return f"/queue/{escalation.id}"


def send_to_staff(user: User, subject: str, body: str) -> tuple[bool, str]:
    """Send one notification; report success and the error if any."""
    result = send_mail(
        OutgoingMail(to=user.email or "", subject=subject, body=body),
        MailSettings.from_config(current_app.config),
    )
    return result.delivered, result.error


def log_notification(escalation: Escalation, text: str, *, now: datetime) -> None:
    """Record on the item's timeline that (and whether) someone was told."""
    escalation.steps.append(
        EscalationStep(at=now, user_id=None, kind=StepKind.NOTIFIED.value, detail=text)
    )


def notify_assignment(escalation: Escalation, *, now: datetime | None = None) -> None:
    """Tell the new assignee by e-mail that work is waiting (after the assignment is stored)."""
    now = now or utcnow()
    assignee = escalation.assignee
    if not wants_mail(assignee):
        return
    question = escalation.question
    delivered, error = send_to_staff(
        assignee,  # type: ignore[arg-type]
        f"Nieuwe vraag voor u: {question.reference}",
        f"Beste {assignee.display_name},\n\n"  # type: ignore[union-attr]
        f"De coördinator heeft vraag {question.reference} aan u toegewezen.\n"
        f"Termijn: {format_local(escalation.deadline)}. Prioriteit: {escalation.priority}.\n\n"
        f"{item_link(escalation)}\n",
    )
    name = assignee.display_name  # type: ignore[union-attr]
    log_notification(
        escalation,
        f"Melding per e-mail aan {name} verstuurd."
        if delivered
        else f"Melding per e-mail aan {name} mislukt: {error}",
        now=now,
    )
    db.session.commit()


def nearly_due(now: datetime) -> list[Escalation]:
    """Open, owned items whose deadline falls within NEARLY_DUE_HOURS working hours."""
    horizon = working_calendar(current_app.config).add_working_hours(
        now, current_app.config["NEARLY_DUE_HOURS"]
    )
    return list(
        db.session.execute(
            select(Escalation).where(
                Escalation.is_open.is_(True),
                Escalation.assignee_id.is_not(None),
                Escalation.deadline > now,
                Escalation.deadline <= horizon,
                Escalation.due_soon_notified_at.is_(None),
            )
        ).scalars()
    )


def notify_deadlines(*, now: datetime | None = None) -> NotificationReport:
    """Warn each owner once when an item's deadline nears."""
    now = now or utcnow()
    report = NotificationReport()
    for escalation in nearly_due(now):
        escalation.due_soon_notified_at = now
        assignee = escalation.assignee
        if not wants_mail(assignee):
            continue
        delivered, error = send_to_staff(
            assignee,  # type: ignore[arg-type]
            f"Termijn verloopt bijna: {escalation.question.reference}",
            f"De termijn van vraag {escalation.question.reference} verloopt op "
            f"{format_local(escalation.deadline)}.\n\n{item_link(escalation)}\n",
        )
        if delivered:
            report.sent += 1
        else:
            report.failed += 1
            report.errors.append(error)
            escalation.due_soon_notified_at = None  # try again on the next run
        db.session.commit()
    return report


def overdue_items(now: datetime) -> tuple[int, list[Escalation]]:
    """How many open items are past their deadline, and the most overdue ones."""
    condition = (Escalation.is_open.is_(True), Escalation.deadline < now)
    count = db.session.execute(
        select(db.func.count(Escalation.id)).where(*condition)
    ).scalar_one()
    items = list(
        db.session.execute(
            select(Escalation).where(*condition).order_by(Escalation.deadline).limit(DIGEST_LIMIT)
        ).scalars()
    )
    return count, items


def digest_body(count: int, items: list[Escalation], now: datetime) -> str:
    """The digest's text: the count, then one line per overdue item."""
    lines = [f"Overzicht van {format_local(now, '%d-%m-%Y')}: {count} vragen over hun termijn.", ""]
    for escalation in items:
        owner = escalation.assignee.display_name if escalation.assignee else "niemand"
        lines.append(
            f"- {escalation.question.reference}: termijn {format_local(escalation.deadline)}, "
            f"{escalation.state_label.lower()}, bij {owner}"
        )
    if count > len(items):
        lines.append(f"… en nog {count - len(items)} meer in de wachtrij.")
    return "\n".join(lines) + "\n"


def send_daily_digest(*, now: datetime | None = None) -> NotificationReport:
    """Send every coordinator who wants mail the overdue items of today."""
    now = now or utcnow()
    report = NotificationReport()
    count, items = overdue_items(now)
    if count == 0:
        return report
    body = digest_body(count, items, now)
    coordinators = db.session.execute(
        select(User).where(User.role == Role.COORDINATOR.value)
    ).scalars()
    for coordinator in coordinators:
        if not wants_mail(coordinator):
            continue
        delivered, error = send_to_staff(
            coordinator, f"Dagoverzicht: {count} vragen over hun termijn", body
        )
        if delivered:
            report.sent += 1
        else:
            report.failed += 1
            report.errors.append(error)
    return report
