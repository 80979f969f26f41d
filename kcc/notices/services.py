"""News and work instructions for agents: writing them, who sees them, and who has read them.

Coordinators (Permission.MANAGE_QUEUE) write notices: they run the crisis desk and know what
agents must say today. A notice shows while its window (visible_from ≤ now < visible_until)
contains the moment asked about, to users in its audience:

- municipality: empty means every municipality, otherwise only users of that municipality (a
  user without a municipality sees regional notices only);
- role: empty means every role;
- crisis: empty means every crisis. Users have no crisis of their own, so the intake screen
  passes the crisis the agent works on when it knows it; without one, notices of every *active*
  crisis show (a notice about a closed crisis is old news).

Important notices must be acknowledged ("Gelezen"); reading an ordinary one may be recorded
too. Either way one NoticeRead per user and notice keeps the first moment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from kcc.auth.models import Role, User
from kcc.exceptions import Conflict, Forbidden, NotFound, ValidationFailed
from kcc.extensions import db, utcnow
from kcc.governance.audit import record_event
from kcc.governance.models import AuditAction
from kcc.notices.models import Notice, NoticeRead
from kcc.reference.models import Crisis, Municipality
from kcc.security import Permission, role_has_permission

TITLE_MAX = 200
BODY_MAX = 5000


@dataclass(frozen=True)
class NoticeInput:
    """What a coordinator fills in for a notice; empty audience fields mean everyone."""

    title: str
    body: str
    visible_from: datetime
    visible_until: datetime | None = None
    is_important: bool = False
    crisis_id: int | None = None
    municipality_id: int | None = None
    role: str | None = None


@dataclass(frozen=True)
class CurrentNotice:
    """A notice as one user sees it now: with the moment they read it, if they did."""

    notice: Notice
    read_at: datetime | None

    @property
    def needs_acknowledgement(self) -> bool:
        """Tell whether the user still has to confirm reading this (important) notice."""
        return self.notice.is_important and self.read_at is None


@dataclass(frozen=True)
class Readers:
    """Who read a notice and when, and who in its audience has not (yet)."""

    reads: list[NoticeRead]
    not_yet: list[User]


@dataclass(frozen=True)
class NoticeSummary:
    """A notice on the coordinator's list, with its read count and audience size."""

    notice: Notice
    read_count: int
    audience_size: int


def may_write_notices(user: User) -> bool:
    """Tell whether this user may write, change and withdraw notices."""
    return role_has_permission(user.role, Permission.MANAGE_QUEUE)


def require_writer(user: User) -> None:
    """Refuse users who may not write notices."""
    if not may_write_notices(user):
        raise Forbidden("Alleen een coördinator kan berichten plaatsen.")


def get_notice(notice_id: int) -> Notice:
    """The notice with this id, or NotFound."""
    notice = db.session.get(Notice, notice_id)
    if notice is None:
        raise NotFound("Dit bericht bestaat niet.")
    return notice


def notice_input_errors(data: NoticeInput) -> dict[str, list[str]]:
    """Every rule the input breaks, per field (empty when it is fine)."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        """Note one broken rule of one field."""
        errors.setdefault(name, []).append(message)

    if not data.title.strip():
        add("title", "Vul een titel in.")
    elif len(data.title.strip()) > TITLE_MAX:
        add("title", f"De titel mag hoogstens {TITLE_MAX} tekens lang zijn.")
    if len(data.body.strip()) > BODY_MAX:
        add("body", f"Het bericht mag hoogstens {BODY_MAX} tekens lang zijn.")
    if data.visible_until is not None and data.visible_until <= data.visible_from:
        add("visible_until", "Het einde moet na het begin liggen.")
    if data.crisis_id is not None and db.session.get(Crisis, data.crisis_id) is None:
        add("crisis_id", "Kies een bestaande crisis.")
    municipality_id = data.municipality_id
    if municipality_id is not None and db.session.get(Municipality, municipality_id) is None:
        add("municipality_id", "Kies een bestaande gemeente.")
    if data.role is not None and data.role not in {role.value for role in Role}:
        add("role", "Kies een bestaande rol.")
    return errors


def validate(data: NoticeInput) -> None:
    """Raise ValidationFailed with every broken rule at once."""
    errors = notice_input_errors(data)
    if errors:
        raise ValidationFailed.from_errors(errors)


def apply_input(notice: Notice, data: NoticeInput) -> None:
    """Copy the coordinator's input onto the notice."""
    notice.title = data.title.strip()
    notice.body = data.body.strip()
    notice.is_important = data.is_important
    notice.visible_from = data.visible_from
    notice.visible_until = data.visible_until
    notice.crisis_id = data.crisis_id
    notice.municipality_id = data.municipality_id
    notice.role = data.role


def log_change(notice: Notice, what: str, user: User, now: datetime) -> None:
    """Add the change to the audit log (committed with the change itself)."""
    record_event(
        AuditAction.NOTICE_CHANGED,
        object_type="notice",
        object_id=notice.id,
        detail=f"Bericht {what}: {notice.title[:80]}",
        user_id=user.id,
        username=user.username,
        now=now,
    )


def create_notice(data: NoticeInput, *, user: User, now: datetime | None = None) -> Notice:
    """Publish a notice (from its visible_from on)."""
    now = now or utcnow()
    require_writer(user)
    validate(data)
    notice = Notice(created_by_id=user.id, created_at=now, updated_at=now)
    apply_input(notice, data)
    db.session.add(notice)
    db.session.flush()  # the audit entry names the new id
    log_change(notice, "geplaatst", user, now)
    db.session.commit()
    return notice


def update_notice(
    notice_id: int,
    data: NoticeInput,
    *,
    user: User,
    now: datetime | None = None,
    ask_again: bool = False,
) -> Notice:
    """Change a notice; `ask_again` forgets who read it, so everyone confirms the new text."""
    now = now or utcnow()
    require_writer(user)
    notice = get_notice(notice_id)
    validate(data)
    apply_input(notice, data)
    notice.updated_at = now
    if ask_again:
        db.session.execute(delete(NoticeRead).where(NoticeRead.notice_id == notice.id))
    log_change(notice, "gewijzigd (opnieuw laten lezen)" if ask_again else "gewijzigd", user, now)
    db.session.commit()
    return notice


def withdraw_notice(notice_id: int, *, user: User, now: datetime | None = None) -> Notice:
    """End the notice's window now; a notice planned for later is then never shown."""
    now = now or utcnow()
    require_writer(user)
    notice = get_notice(notice_id)
    if notice.visible_until is not None and notice.visible_until <= now:
        raise Conflict("Dit bericht is al niet meer zichtbaar.")
    notice.visible_from = min(notice.visible_from, now)
    notice.visible_until = now
    notice.updated_at = now
    log_change(notice, "ingetrokken", user, now)
    db.session.commit()
    return notice


def is_visible_at(notice: Notice, now: datetime) -> bool:
    """Tell whether the notice's window contains this moment."""
    return notice.visible_from <= now and (
        notice.visible_until is None or now < notice.visible_until
    )


def window_state(notice: Notice, now: datetime) -> str:
    """Where the notice is in its window, in words for the coordinator's list."""
    if notice.visible_from > now:
        return "Gepland"
    if is_visible_at(notice, now):
        return "Zichtbaar"
    return "Afgelopen"


def is_in_audience(notice: Notice, user: User) -> bool:
    """Tell whether the notice is meant for this user's municipality and role."""
    return (notice.municipality_id is None or notice.municipality_id == user.municipality_id) and (
        notice.role is None or notice.role == user.role
    )


def window_contains(now: datetime) -> ColumnElement[bool]:
    """SQL: the notice's window contains this moment."""
    return and_(
        Notice.visible_from <= now,
        or_(Notice.visible_until.is_(None), Notice.visible_until > now),
    )


def audience_includes(user: User) -> ColumnElement[bool]:
    """SQL: the notice is meant for this user's municipality and role."""
    municipality = Notice.municipality_id.is_(None)
    if user.municipality_id is not None:
        municipality = or_(municipality, Notice.municipality_id == user.municipality_id)
    return and_(municipality, or_(Notice.role.is_(None), Notice.role == user.role))


def crisis_matches(crisis_id: int | None) -> ColumnElement[bool]:
    """SQL: the notice is for every crisis, or for this one (without one: any active crisis)."""
    if crisis_id is not None:
        return or_(Notice.crisis_id.is_(None), Notice.crisis_id == crisis_id)
    active = select(Crisis.id).where(Crisis.is_active.is_(True))
    return or_(Notice.crisis_id.is_(None), Notice.crisis_id.in_(active))


def notices_for(user: User, now: datetime, crisis_id: int | None = None) -> list[CurrentNotice]:
    """The notices this user sees now: unacknowledged important ones first, then newest first."""
    rows = db.session.execute(
        select(Notice, NoticeRead.read_at)
        .outerjoin(
            NoticeRead, and_(NoticeRead.notice_id == Notice.id, NoticeRead.user_id == user.id)
        )
        .where(window_contains(now), audience_includes(user), crisis_matches(crisis_id))
        .options(selectinload(Notice.crisis), selectinload(Notice.municipality))
        .order_by(Notice.visible_from.desc(), Notice.id.desc())
    ).all()
    current = [CurrentNotice(notice=notice, read_at=read_at) for notice, read_at in rows]
    # A stable sort keeps newest-first within both groups.
    return sorted(current, key=lambda item: not item.needs_acknowledgement)


def acknowledge(notice_id: int, user: User, now: datetime | None = None) -> NoticeRead:
    """Record that the user read the notice; doing it again keeps the first moment."""
    now = now or utcnow()
    notice = get_notice(notice_id)
    if notice.visible_from > now:
        raise NotFound("Dit bericht bestaat niet.")  # not published yet: nobody can have read it
    if not is_in_audience(notice, user):
        raise Forbidden("Dit bericht is niet voor u bedoeld.")
    existing = read_of(notice.id, user.id)
    if existing is not None:
        return existing
    read = NoticeRead(notice_id=notice.id, user_id=user.id, read_at=now)
    db.session.add(read)
    try:
        db.session.commit()
    except IntegrityError:
        # A double click in two requests: the other one stored it first, and that one counts.
        db.session.rollback()
        existing = read_of(notice_id, user.id)
        if existing is None:
            raise
        return existing
    return read


def read_of(notice_id: int, user_id: int) -> NoticeRead | None:
    """The user's read receipt of the notice, if any."""
    return db.session.scalars(
        select(NoticeRead).where(NoticeRead.notice_id == notice_id, NoticeRead.user_id == user_id)
    ).first()


def audience_users(notice: Notice) -> list[User]:
    """The enabled users the notice is meant for, by name (crisis does not narrow it)."""
    conditions = [User.is_enabled.is_(True)]
    if notice.municipality_id is not None:
        conditions.append(User.municipality_id == notice.municipality_id)
    if notice.role is not None:
        conditions.append(User.role == notice.role)
    return list(
        db.session.scalars(select(User).where(*conditions).order_by(User.full_name, User.username))
    )


def readers(notice_id: int) -> Readers:
    """Who read the notice and when (first first), and who in its audience has not yet."""
    notice = get_notice(notice_id)
    reads = list(
        db.session.scalars(
            select(NoticeRead)
            .where(NoticeRead.notice_id == notice.id)
            .options(selectinload(NoticeRead.user))
            .order_by(NoticeRead.read_at, NoticeRead.id)
        )
    )
    read_user_ids = {read.user_id for read in reads}
    not_yet = [user for user in audience_users(notice) if user.id not in read_user_ids]
    return Readers(reads=reads, not_yet=not_yet)


def list_notices(limit: int = 200) -> list[NoticeSummary]:
    """Every notice, newest window first, with how many read it and how many it is meant for."""
    notices = list(
        db.session.scalars(
            select(Notice)
            .options(selectinload(Notice.crisis), selectinload(Notice.municipality))
            .order_by(Notice.visible_from.desc(), Notice.id.desc())
            .limit(limit)
        )
    )
    read_counts = dict(
        db.session.execute(
            select(NoticeRead.notice_id, func.count())
            .where(NoticeRead.notice_id.in_([notice.id for notice in notices]))
            .group_by(NoticeRead.notice_id)
        ).all()
    )
    # Users are few (a contact centre's staff): count audiences in Python, not per notice in SQL.
    users = list(db.session.scalars(select(User).where(User.is_enabled.is_(True))))
    return [
        NoticeSummary(
            notice=notice,
            read_count=read_counts.get(notice.id, 0),
            audience_size=sum(1 for user in users if is_in_audience(notice, user)),
        )
        for notice in notices
    ]
