"""The escalation rules: who may do what, which state follows which, and the follow-up log.

Every change names the version of the item it was based on; SQLAlchemy's version counter makes
the UPDATE conditional on it, so of two people changing one item at once exactly one wins and
the other gets a clear message instead of silently overwriting (no lost updates). Claims are
such a change: two claims of one item cannot both succeed, on SQLite or PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select

from kcc import concurrency
from kcc.auth.models import Role, User
from kcc.escalation import opening
from kcc.escalation.models import (
    CallOutcome,
    Escalation,
    EscalationState,
    EscalationStep,
    FollowUp,
    FollowUpKind,
    Priority,
    SavedView,
    StepKind,
)
from kcc.escalation.notifications import notify_assignment
from kcc.exceptions import Conflict, Forbidden, NotFound, ValidationFailed
from kcc.extensions import db, utcnow
from kcc.governance.audit import record_event
from kcc.governance.models import AuditAction
from kcc.intake.models import QuestionStatus
from kcc.intake.services import (
    NUL,
    ContactInput,
    build_contact,
    contact_rule_violations,
    get_question,
)
from kcc.privacy.masking import mask_personal_data
from kcc.reference.models import Department
from kcc.security import Permission, role_has_permission
from kcc.webhooks.events import WebhookEvent
from kcc.webhooks.services import emit_event

S = EscalationState
F = TypeVar("F", bound=Callable[..., Any])

# The states an item may move to from each state. Assigning (nieuw → toegewezen) and claiming
# go through their own functions, because they also set who owns the item.
ALLOWED_TRANSITIONS: dict[EscalationState, frozenset[EscalationState]] = {
    S.NIEUW: frozenset(),
    S.TOEGEWEZEN: frozenset({S.IN_BEHANDELING, S.NIEUW}),
    S.IN_BEHANDELING: frozenset({S.WACHT_OP_BURGER, S.BEANTWOORD}),
    S.WACHT_OP_BURGER: frozenset({S.IN_BEHANDELING}),
    S.BEANTWOORD: frozenset({S.AFGESLOTEN, S.IN_BEHANDELING}),
    S.AFGESLOTEN: frozenset({S.IN_BEHANDELING}),
}

# Moves that need a reason in the log: handing back, waiting, and reopening.
REASON_REQUIRED: frozenset[tuple[EscalationState, EscalationState]] = frozenset(
    {
        (S.TOEGEWEZEN, S.NIEUW),
        (S.IN_BEHANDELING, S.WACHT_OP_BURGER),
        (S.BEANTWOORD, S.IN_BEHANDELING),
        (S.AFGESLOTEN, S.IN_BEHANDELING),
    }
)

# How each transition reads as an action on a button.
TRANSITION_LABELS: dict[tuple[EscalationState, EscalationState], str] = {
    (S.TOEGEWEZEN, S.IN_BEHANDELING): "Start behandeling",
    (S.TOEGEWEZEN, S.NIEUW): "Teruggeven aan de coördinator",
    (S.IN_BEHANDELING, S.WACHT_OP_BURGER): "Wacht op burger",
    (S.IN_BEHANDELING, S.BEANTWOORD): "Markeer als beantwoord",
    (S.WACHT_OP_BURGER, S.IN_BEHANDELING): "Verder met behandeling",
    (S.BEANTWOORD, S.AFGESLOTEN): "Afsluiten",
    (S.BEANTWOORD, S.IN_BEHANDELING): "Heropenen",
    (S.AFGESLOTEN, S.IN_BEHANDELING): "Heropenen",
}

MAX_NOTE_LENGTH = 10_000
REASON_MESSAGE = "Geef een reden op; die komt in het logboek."
CLOSED_MESSAGE = "Deze vraag is afgesloten; heropen haar eerst."
CONFLICT_MESSAGE = (
    "Iemand anders heeft deze vraag net gewijzigd. De pagina toont nu de nieuwe stand; "
    "controleer die en probeer het opnieuw."
)


@dataclass(frozen=True)
class EscalateInput:
    """Escalating a question that was registered without escalation."""

    priority: str = ""
    reason: str = ""
    contact: ContactInput | None = None


def can_manage(user: User) -> bool:
    """Coordinators run the queue: they see everything and may assign anything."""
    return role_has_permission(user.role, Permission.MANAGE_QUEUE)


def can_see(user: User, escalation: Escalation) -> bool:
    """Coordinators see every item; specialists their own and their department's."""
    if can_manage(user):
        return True
    if not role_has_permission(user.role, Permission.ANSWER_ESCALATIONS):
        return False
    return escalation.assignee_id == user.id or (
        user.department_id is not None and escalation.department_id == user.department_id
    )


def can_work_on(user: User, escalation: Escalation) -> bool:
    """The owner works on an item; a coordinator may step in."""
    return can_manage(user) or (
        role_has_permission(user.role, Permission.ANSWER_ESCALATIONS)
        and escalation.assignee_id == user.id
    )


def can_claim(user: User, escalation: Escalation) -> bool:
    """Anyone who answers escalations may claim an item they can see or that is unrouted."""
    if not role_has_permission(user.role, Permission.ANSWER_ESCALATIONS):
        return False
    return can_manage(user) or escalation.department_id in (None, user.department_id)


def assignable_users() -> list[User]:
    """Everyone an item can be assigned to: enabled users who answer escalations."""
    users = db.session.execute(
        select(User).where(User.is_enabled.is_(True)).order_by(User.full_name, User.username)
    ).scalars()
    return [u for u in users if role_has_permission(u.role, Permission.ANSWER_ESCALATIONS)]


def get_escalation(escalation_id: int, user: User) -> Escalation:
    """Return an item the user may see, or raise NotFound / Forbidden."""
    escalation = db.session.get(Escalation, escalation_id)
    if escalation is None:
        raise NotFound("Deze doorzetting bestaat niet.")
    if not can_see(user, escalation):
        raise Forbidden("Deze doorzetting is niet aan u of uw afdeling toegewezen.")
    return escalation


def escalation_of_question(question_id: int, user: User) -> Escalation:
    """Return the item of a question (the API addresses items by question id)."""
    # Held while checked: the session keeps only weak references, so looking the item up
    # again by id would otherwise be a query of its own.
    escalation = escalated(question_id)
    return get_escalation(escalation.id, user)


def escalation_of_question_for_claim(question_id: int, user: User) -> Escalation:
    """The item of a question, for a claim (unrouted items may be claimed too)."""
    escalation = escalated(question_id)
    return get_escalation_for_claim(escalation.id, user)


def escalated(question_id: int) -> Escalation:
    """The work item of a question, or NotFound when the question was never escalated."""
    # By its unique question id: loading the question with its relations first cost every
    # coordinator step through the API two more queries.
    escalation = db.session.execute(
        select(Escalation).where(Escalation.question_id == question_id)
    ).scalar_one_or_none()
    if escalation is None:
        get_question(question_id)  # raises NotFound when there is no such question either
        raise NotFound("Deze vraag is niet doorgezet.")
    return escalation


def timeline_of(escalation: Escalation) -> list[EscalationStep | FollowUp]:
    """Steps and follow-ups together, oldest first: the item's whole story."""
    entries: list[EscalationStep | FollowUp] = [*escalation.steps, *escalation.follow_ups]
    return sorted(entries, key=moment_of)


def moment_of(entry: EscalationStep | FollowUp) -> datetime:
    """When a timeline entry happened."""
    return entry.at if isinstance(entry, EscalationStep) else entry.created_at


def allowed_next_states(escalation: Escalation) -> list[EscalationState]:
    """The states this item may move to now, in the order the buttons show them."""
    return sorted(ALLOWED_TRANSITIONS[S(escalation.state)], key=list(S).index)


def check_version(escalation: Escalation, seen_version: int | None) -> None:
    """Refuse a change based on an older view of the item than the current one."""
    if seen_version is not None and seen_version != escalation.version:
        raise Conflict(CONFLICT_MESSAGE)


def log_step(
    escalation: Escalation,
    user: User | None,
    kind: StepKind,
    *,
    now: datetime,
    from_state: str | None = None,
    to_state: str | None = None,
    detail: str = "",
) -> None:
    """Append a step to the item's timeline and a line to the audit log."""
    # No flush yet (loading the steps or the acting user would trigger one): the change is
    # written once, at commit, as one UPDATE with one version increment.
    with db.session.no_autoflush:
        escalation.steps.append(
            EscalationStep(
                at=now,
                user_id=user.id if user else None,
                kind=kind.value,
                from_state=from_state,
                to_state=to_state,
                detail=detail,
            )
        )
        record_event(
            AuditAction.ESCALATION_CHANGED,
            object_type="escalation",
            object_id=escalation.id,
            detail=f"{kind.value}: {detail}"[:500],
            user_id=user.id if user else None,
            username=user.username if user else "systeem",
            now=now,
        )


def commit_change(escalation: Escalation, now: datetime) -> None:
    """Store a change (a concurrent one surfaces as StaleDataError, see below)."""
    escalation.updated_at = now
    db.session.commit()


def refuses_stale_changes(message: str = CONFLICT_MESSAGE) -> Callable[[F], F]:
    """Refuse a change to an item someone else changed first (see kcc/concurrency.py)."""
    return concurrency.refuses_stale_changes(message)


def escalate_question(
    question_id: int, data: EscalateInput, *, user: User, now: datetime | None = None
) -> Escalation:
    """Escalate a question registered earlier; it needs a way to reach the caller."""
    now = now or utcnow()
    question = get_question(question_id)
    if question.escalation is not None:
        raise Conflict("Deze vraag is al doorgezet.")
    priority = parse_priority(data.priority)
    if question.contact is None:
        errors: dict[str, list[str]] = {}
        for field, message in contact_rule_violations(data.contact or ContactInput()):
            errors.setdefault(field, []).append(message)
        if errors:
            raise ValidationFailed.from_errors(errors)
        question.contact = build_contact(data.contact or ContactInput())
        question.contact.created_at = now
    check_text(data.reason, "reason")
    question.is_escalated = True
    question.status = QuestionStatus.DOORGEZET.value
    escalation = opening.open_escalation(
        question, user_id=user.id, now=now, chosen_priority=priority, reason=data.reason
    )
    db.session.add(escalation)
    db.session.flush()
    record_event(
        AuditAction.ESCALATION_CHANGED,
        object_type="escalation",
        object_id=escalation.id,
        detail=f"doorgezet: {question.reference}",
        user_id=user.id,
        username=user.username,
        now=now,
    )
    emit_event(WebhookEvent.QUESTION_ESCALATED, escalation, now=now)
    db.session.commit()
    return escalation


def parse_priority(value: str | None) -> Priority | None:
    """A priority code, or None when empty; anything else is a clear error."""
    if not value:
        return None
    try:
        return Priority(value)
    except ValueError:
        raise ValidationFailed("Kies spoed, hoog, normaal of laag.", field="priority") from None


def check_text(value: str, field: str, *, required: str | None = None) -> None:
    """Notes and reasons: not too long, no NUL, and present when `required` says why."""
    if NUL in value:
        raise ValidationFailed("De tekst bevat een onzichtbaar NUL-teken.", field=field)
    if len(value) > MAX_NOTE_LENGTH:
        raise ValidationFailed(
            f"De tekst is te lang: maximaal {MAX_NOTE_LENGTH} tekens.", field=field
        )
    if required and not value.strip():
        raise ValidationFailed(required, field=field)


@refuses_stale_changes(
    "Iemand anders was u net voor en heeft deze vraag opgepakt. Kies een andere vraag."
)
def claim(
    escalation_id: int, *, user: User, seen_version: int | None = None, now: datetime | None = None
) -> Escalation:
    """Make the user the owner of an unowned item; of two simultaneous claims one wins."""
    now = now or utcnow()
    escalation = get_escalation_for_claim(escalation_id, user)
    check_version(escalation, seen_version)
    if not escalation.is_open:
        raise Conflict(CLOSED_MESSAGE)
    if escalation.assignee_id is not None:
        owner = "u" if escalation.assignee_id == user.id else escalation.assignee.display_name
        raise Conflict(f"Deze vraag is al opgepakt door {owner}.")
    previous = escalation.state
    escalation.assignee_id = user.id
    if escalation.department_id is None and user.department_id is not None:
        escalation.department_id = user.department_id
    if escalation.state == S.NIEUW:
        escalation.state = S.TOEGEWEZEN.value
    log_step(
        escalation,
        user,
        StepKind.CLAIMED,
        now=now,
        from_state=previous,
        to_state=escalation.state,
        detail=f"Opgepakt door {user.display_name}.",
    )
    commit_change(escalation, now)
    return escalation


def get_escalation_for_claim(escalation_id: int, user: User) -> Escalation:
    """An item the user may claim (also one routed nowhere yet).

    An item someone already owns is a conflict, not a permission problem: the claim lost.
    """
    escalation = db.session.get(Escalation, escalation_id)
    if escalation is None:
        raise NotFound("Deze doorzetting bestaat niet.")
    if escalation.assignee_id is not None and role_has_permission(
        user.role, Permission.ANSWER_ESCALATIONS
    ):
        return escalation  # claim() answers with who has it
    if not can_claim(user, escalation):
        raise Forbidden("U kunt alleen vragen van uw eigen afdeling oppakken.")
    return escalation


@refuses_stale_changes()
def assign(
    escalation_id: int,
    *,
    user: User,
    department_id: int | None,
    assignee_id: int | None,
    seen_version: int | None = None,
    now: datetime | None = None,
) -> Escalation:
    """The coordinator routes an item to a department and/or a specialist."""
    now = now or utcnow()
    if not can_manage(user):
        raise Forbidden("Alleen de coördinator wijst vragen toe.")
    escalation = get_escalation(escalation_id, user)
    check_version(escalation, seen_version)
    if not escalation.is_open:
        raise Conflict(CLOSED_MESSAGE)
    department, assignee = routing_targets(department_id, assignee_id)
    if department is None and assignee is None:
        raise ValidationFailed("Kies een afdeling of een behandelaar.", field="department_id")
    if assignee is not None and assignee.role == Role.SPECIALIST and assignee.department:
        # A specialist works for one department: the item goes where the person is.
        department = assignee.department
    elif assignee is not None and department is None:
        department = assignee.department
    previous = escalation.state
    escalation.department_id = department.id if department else None
    escalation.assignee_id = assignee.id if assignee else None
    if escalation.state == S.NIEUW:
        escalation.state = S.TOEGEWEZEN.value
    target = ", ".join(
        part
        for part in (
            f"afdeling {department.name}" if department else "",
            assignee.display_name if assignee else "",
        )
        if part
    )
    log_step(
        escalation,
        user,
        StepKind.ASSIGNED,
        now=now,
        from_state=previous,
        to_state=escalation.state,
        detail=f"Toegewezen aan {target}.",
    )
    commit_change(escalation, now)
    if assignee is not None and assignee.id != user.id:
        notify_assignment(escalation, now=now)
    return escalation


def routing_targets(
    department_id: int | None, assignee_id: int | None
) -> tuple[Department | None, User | None]:
    """Look up and check the department and specialist an item is assigned to."""
    department = db.session.get(Department, department_id) if department_id else None
    if department_id and (department is None or not department.is_active):
        raise ValidationFailed("Kies een bestaande afdeling.", field="department_id")
    assignee = db.session.get(User, assignee_id) if assignee_id else None
    if assignee_id and (
        assignee is None
        or not assignee.is_enabled
        or not role_has_permission(assignee.role, Permission.ANSWER_ESCALATIONS)
    ):
        raise ValidationFailed("Kies een behandelaar die vragen beantwoordt.", field="assignee_id")
    return department, assignee


@refuses_stale_changes()
def transition(
    escalation_id: int,
    to_state: str,
    *,
    user: User,
    note: str = "",
    seen_version: int | None = None,
    now: datetime | None = None,
) -> Escalation:
    """Move an item to its next state, if that move is allowed and its conditions hold."""
    now = now or utcnow()
    escalation = get_escalation(escalation_id, user)
    if not can_work_on(user, escalation):
        raise Forbidden("Alleen de behandelaar of de coördinator kan de status wijzigen.")
    check_version(escalation, seen_version)
    try:
        target = S(to_state)
    except ValueError:
        raise ValidationFailed("Onbekende status.", field="state") from None
    current = S(escalation.state)
    if target not in ALLOWED_TRANSITIONS[current]:
        raise Conflict(f"Van '{current.label}' kan een vraag niet naar '{target.label}'.")
    needs_reason = (current, target) in REASON_REQUIRED
    check_text(note, "note", required=REASON_MESSAGE if needs_reason else None)
    check_transition_conditions(escalation, current, target)
    apply_transition(escalation, current, target, now=now)
    detail = f"{current.label} → {target.label}."
    if note.strip():
        detail += f" {note.strip()}"
    log_step(
        escalation,
        user,
        StepKind.STATE_CHANGED,
        now=now,
        from_state=current.value,
        to_state=target.value,
        detail=detail,
    )
    commit_change(escalation, now)
    return escalation


def check_transition_conditions(
    escalation: Escalation, current: EscalationState, target: EscalationState
) -> None:
    """Treatment needs an owner; an answered item needs its final answer."""
    if target == S.IN_BEHANDELING and escalation.assignee_id is None:
        raise Conflict("Pak de vraag eerst op of wijs haar toe aan een behandelaar.")
    if target == S.BEANTWOORD and not escalation.final_answer:
        raise Conflict("Leg eerst het definitieve antwoord vast.")


def apply_transition(
    escalation: Escalation,
    current: EscalationState,
    target: EscalationState,
    *,
    now: datetime,
) -> None:
    """Set the state and what goes with it (owner, open flag, timestamps, question status)."""
    escalation.state = target.value
    escalation.is_open = target != S.AFGESLOTEN
    question = escalation.question
    if target == S.NIEUW:
        escalation.assignee_id = None
    if target == S.BEANTWOORD:
        escalation.answered_at = now
        emit_event(WebhookEvent.QUESTION_ANSWERED, escalation, now=now)
    if target == S.AFGESLOTEN:
        escalation.closed_at = now
        question.status = QuestionStatus.AFGESLOTEN.value
    if current == S.AFGESLOTEN:
        escalation.closed_at = None
        question.status = QuestionStatus.DOORGEZET.value


@refuses_stale_changes()
def change_priority(
    escalation_id: int,
    priority: str,
    *,
    user: User,
    seen_version: int | None = None,
    now: datetime | None = None,
) -> Escalation:
    """The coordinator sets the priority by hand (the deadline stays as agreed)."""
    now = now or utcnow()
    if not can_manage(user):
        raise Forbidden("Alleen de coördinator wijzigt de prioriteit.")
    escalation = get_escalation(escalation_id, user)
    check_version(escalation, seen_version)
    chosen = parse_priority(priority)
    if chosen is None:
        raise ValidationFailed("Kies een prioriteit.", field="priority")
    previous = Priority(escalation.priority)
    escalation.priority = chosen.value
    escalation.priority_rank = chosen.rank
    log_step(
        escalation,
        user,
        StepKind.PRIORITY_CHANGED,
        now=now,
        detail=f"Prioriteit {previous.label.lower()} → {chosen.label.lower()}.",
    )
    commit_change(escalation, now)
    return escalation


@refuses_stale_changes()
def add_follow_up(
    escalation_id: int,
    kind: str,
    *,
    user: User,
    outcome: str | None = None,
    body: str = "",
    seen_version: int | None = None,
    now: datetime | None = None,
) -> FollowUp:
    """Log a call attempt, a note or the final answer (e-mails go through `mailing`)."""
    now = now or utcnow()
    escalation = get_escalation(escalation_id, user)
    if not can_work_on(user, escalation):
        raise Forbidden("Alleen de behandelaar of de coördinator legt follow-up vast.")
    check_version(escalation, seen_version)
    follow_up = build_follow_up(kind, outcome, body)
    # A closed item keeps its answer; a note (the caller rang to say thanks) may still be added.
    if not escalation.is_open and follow_up.kind != FollowUpKind.NOTE:
        raise Conflict(CLOSED_MESSAGE)
    follow_up.created_by_id = user.id
    follow_up.created_at = now
    escalation.follow_ups.append(follow_up)
    if follow_up.kind == FollowUpKind.ANSWER:
        store_final_answer(escalation, follow_up.body)
    # A follow-up changes the item too: it takes part in the version check.
    commit_change(escalation, now)
    return follow_up


def build_follow_up(kind: str, outcome: str | None, body: str) -> FollowUp:
    """Check a follow-up's fields against its kind and build it."""
    try:
        follow_up_kind = FollowUpKind(kind)
    except ValueError:
        raise ValidationFailed("Kies telefoon, notitie of antwoord.", field="kind") from None
    if follow_up_kind == FollowUpKind.EMAIL:
        raise ValidationFailed("E-mails verstuurt u met het e-mailformulier.", field="kind")
    if follow_up_kind == FollowUpKind.CALL:
        try:
            outcome = CallOutcome(outcome or "").value
        except ValueError:
            raise ValidationFailed(
                "Kies de uitkomst: bereikt, niet bereikt, voicemail of verkeerd nummer.",
                field="outcome",
            ) from None
        check_text(body, "body")
    else:
        outcome = None
        required = (
            "Vul het antwoord in."
            if follow_up_kind == FollowUpKind.ANSWER
            else ("Vul de notitie in.")
        )
        check_text(body, "body", required=required)
    return FollowUp(kind=follow_up_kind.value, outcome=outcome, body=body.strip())


def store_final_answer(escalation: Escalation, answer: str) -> None:
    """The final answer goes back to the question, where suggestions and the FAQ reuse it."""
    escalation.final_answer = answer
    question = escalation.question
    question.answer = answer
    question.answer_masked = mask_personal_data(answer)


def saved_views_of(user: User) -> list[SavedView]:
    """The user's own saved queue views, by name."""
    return list(
        db.session.execute(
            select(SavedView).where(SavedView.user_id == user.id).order_by(SavedView.name)
        ).scalars()
    )


def save_view(name: str, query: str, *, user: User) -> SavedView:
    """Save (or overwrite) a named queue filter for this user."""
    name = name.strip()
    if not name or len(name) > 80 or NUL in name:
        raise ValidationFailed("Geef de weergave een naam van hoogstens 80 tekens.", field="name")
    if len(query) > 1000 or NUL in query:
        raise ValidationFailed("Deze filters zijn te lang om te bewaren.", field="name")
    view = db.session.execute(
        select(SavedView).where(SavedView.user_id == user.id, SavedView.name == name)
    ).scalar_one_or_none() or SavedView(user_id=user.id, name=name)
    view.query = query
    db.session.add(view)
    db.session.commit()
    return view


def delete_view(view_id: int, *, user: User) -> None:
    """Remove one of the user's saved views."""
    view = db.session.get(SavedView, view_id)
    if view is None or view.user_id != user.id:
        raise NotFound("Deze weergave bestaat niet.")
    db.session.delete(view)
    db.session.commit()
