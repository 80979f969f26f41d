"""The FAQ editorial workflow: concept → ter review → gepubliceerd → ingetrokken.

Nothing reaches the public page without a person approving it: publishing copies the working
text to the live text, and (four-eyes, FAQ_FOUR_EYES) the publisher may not be the entry's
author or the last person who changed its text. Every step is a numbered revision with who,
when, the text after it and why; every change names the version it saw, so no edit is lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app
from sqlalchemy import select

from kcc.auth.models import User
from kcc.concurrency import refuses_stale_changes
from kcc.exceptions import Conflict, Forbidden, NotFound, ValidationFailed
from kcc.extensions import db, utcnow
from kcc.faq.formatting import unsafe_links
from kcc.faq.models import (
    TRANSLATION_LANGUAGES,
    EntryState,
    FaqEntry,
    FaqRevision,
    FaqTranslation,
    QuestionCluster,
)
from kcc.governance.audit import record_event
from kcc.governance.models import AuditAction
from kcc.insight.models import CrisisEvent
from kcc.reference.models import Crisis, Municipality, Topic
from kcc.webhooks.events import WebhookEvent
from kcc.webhooks.services import emit_event

E = EntryState

CONFLICT_MESSAGE = (
    "Iemand anders heeft deze vraag intussen gewijzigd. Laad de pagina opnieuw en bekijk de "
    "nieuwe versie voordat u verdergaat."
)
QUESTION_MAX = 300
ANSWER_MAX = 10_000

# What each action does to the working copy's state; editing has its own rule (edit_state).
TRANSITIONS: dict[str, tuple[frozenset[EntryState], EntryState]] = {
    "submit": (frozenset({E.CONCEPT}), E.TER_REVIEW),
    "send_back": (frozenset({E.TER_REVIEW}), E.CONCEPT),
    "publish": (frozenset({E.TER_REVIEW}), E.GEPUBLICEERD),
    "withdraw": (frozenset({E.GEPUBLICEERD, E.CONCEPT, E.TER_REVIEW}), E.INGETROKKEN),
}
ACTION_LABELS = {
    "created": "Aangemaakt",
    "edited": "Gewijzigd",
    "submit": "Ter review aangeboden",
    "send_back": "Teruggestuurd",
    "publish": "Gepubliceerd",
    "withdraw": "Ingetrokken",
    "checked": "Gecontroleerd",
    "flagged": "Controleren",
}


@dataclass(frozen=True)
class EntryInput:
    """What an editor fills in for an entry; translations map a language to (vraag, antwoord)."""

    crisis_id: int
    question: str
    answer: str
    topic_id: int | None = None
    municipality_id: int | None = None
    replaces_entry_id: int | None = None
    depends_on_event_id: int | None = None
    depends_on_date: date | None = None
    translations: dict[str, tuple[str, str]] = field(default_factory=dict)


def get_entry(entry_id: int) -> FaqEntry:
    """The entry with this id, or NotFound."""
    entry = db.session.get(FaqEntry, entry_id)
    if entry is None:
        raise NotFound("Deze veelgestelde vraag bestaat niet.")
    return entry


def check_version(entry: FaqEntry, seen_version: int | None) -> None:
    """Refuse a change based on an older view of the entry than the current one."""
    if seen_version is not None and seen_version != entry.version:
        raise Conflict(CONFLICT_MESSAGE)


def entry_input_errors(data: EntryInput) -> dict[str, list[str]]:
    """Every rule the input breaks, per field (empty when it is fine)."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if not data.question.strip():
        add("question", "Vul de vraag in.")
    elif len(data.question) > QUESTION_MAX:
        add("question", f"De vraag mag hoogstens {QUESTION_MAX} tekens lang zijn.")
    if not data.answer.strip():
        add("answer", "Vul het antwoord in.")
    elif len(data.answer) > ANSWER_MAX:
        add("answer", f"Het antwoord mag hoogstens {ANSWER_MAX} tekens lang zijn.")
    for target in unsafe_links(data.answer):
        add("answer", f"Link '{target[:60]}' is niet toegestaan: gebruik https, mailto of tel.")
    for language, (question, answer) in data.translations.items():
        if bool(question.strip()) != bool(answer.strip()):
            add(f"{language}_question", "Vul bij een vertaling zowel de vraag als het antwoord in.")
        for target in unsafe_links(answer):
            add(f"{language}_answer", f"Link '{target[:60]}' is niet toegestaan.")
    add_reference_errors(data, add)
    return errors


def add_reference_errors(data: EntryInput, add) -> None:  # type: ignore[no-untyped-def]
    """Check that topic, municipality, replaced entry and measure belong to the entry's crisis."""
    if db.session.get(Crisis, data.crisis_id) is None:
        add("crisis_id", "Kies een crisis.")
        return
    if data.topic_id is not None:
        topic = db.session.get(Topic, data.topic_id)
        if topic is None or topic.crisis_id != data.crisis_id:
            add("topic_id", "Dit onderwerp hoort niet bij de gekozen crisis.")
    municipality_id = data.municipality_id
    if municipality_id is not None and db.session.get(Municipality, municipality_id) is None:
        add("municipality_id", "Kies een bestaande gemeente.")
    if data.replaces_entry_id is not None:
        replaced = db.session.get(FaqEntry, data.replaces_entry_id)
        if data.municipality_id is None:
            add("replaces_entry_id", "Alleen een gemeentelijke vraag kan een regionale vervangen.")
        elif replaced is None or replaced.crisis_id != data.crisis_id or replaced.municipality_id:
            add("replaces_entry_id", "Kies een regionale vraag van dezelfde crisis.")
    if data.depends_on_event_id is not None:
        event = db.session.get(CrisisEvent, data.depends_on_event_id)
        if event is None or event.crisis_id != data.crisis_id:
            add("depends_on_event_id", "Deze maatregel hoort niet bij de gekozen crisis.")


def validate(data: EntryInput) -> None:
    """Raise ValidationFailed with every broken rule at once."""
    errors = entry_input_errors(data)
    if errors:
        raise ValidationFailed.from_errors(errors)


def apply_input(entry: FaqEntry, data: EntryInput) -> None:
    """Copy the editor's input onto the working copy (translations included)."""
    entry.crisis_id = data.crisis_id
    entry.topic_id = data.topic_id
    entry.municipality_id = data.municipality_id
    entry.replaces_entry_id = data.replaces_entry_id
    entry.depends_on_event_id = data.depends_on_event_id
    entry.depends_on_date = data.depends_on_date
    entry.question = data.question.strip()
    entry.answer = data.answer.strip()
    for language in TRANSLATION_LANGUAGES:
        question, answer = (part.strip() for part in data.translations.get(language, ("", "")))
        existing = entry.translation(language)
        if question and answer:
            if existing is None:
                existing = FaqTranslation(language=language.value, question="", answer="")
                entry.translations.append(existing)
            existing.question, existing.answer = question, answer
        elif existing is not None:
            entry.translations.remove(existing)


def translations_snapshot(entry: FaqEntry) -> dict[str, dict[str, str]]:
    """The working translations as plain data, for a revision."""
    return {t.language: {"question": t.question, "answer": t.answer} for t in entry.translations}


def add_revision(
    entry: FaqEntry, action: str, user: User | None, now: datetime, note: str = ""
) -> FaqRevision:
    """Record the step and the text after it; numbers count up per entry."""
    revision = FaqRevision(
        number=len(entry.revisions) + 1,
        action=action,
        state=entry.state,
        question=entry.question,
        answer=entry.answer,
        translations=translations_snapshot(entry),
        note=note,
        user_id=user.id if user else None,
        at=now,
    )
    entry.revisions.append(revision)
    record_event(
        AuditAction.FAQ_CHANGED,
        object_type="faq_entry",
        object_id=entry.id if entry.id else "",
        detail=f"{ACTION_LABELS[action]}: {entry.question[:80]}",
        user_id=user.id if user else None,
        username=user.username if user else "",
        now=now,
    )
    return revision


def create_entry(
    data: EntryInput,
    *,
    user: User,
    now: datetime | None = None,
    cluster: QuestionCluster | None = None,
) -> FaqEntry:
    """Store a new concept entry, written by hand or drafted from a cluster."""
    now = now or utcnow()
    validate(data)
    entry = FaqEntry(
        state=E.CONCEPT.value,
        author_id=user.id,
        last_editor_id=user.id,
        created_at=now,
        updated_at=now,
    )
    apply_input(entry, data)
    db.session.add(entry)
    db.session.flush()
    add_revision(entry, "created", user, now, note=f"Uit cluster {cluster.id}" if cluster else "")
    if cluster is not None:
        cluster.drafted_entry_id = entry.id
    db.session.commit()
    return entry


def check_scope_unchanged_while_public(entry: FaqEntry, data: EntryInput) -> None:
    """Refuse moving a public entry to another crisis, municipality or replaced entry.

    Only the text has a working and a live copy; where an entry appears is read straight
    from the entry, so changing it would reach the public page without review. (The topic only
    groups entries on the page and may change.)
    """
    if not entry.is_public:
        return
    scope = (entry.crisis_id, entry.municipality_id, entry.replaces_entry_id)
    if scope != (data.crisis_id, data.municipality_id, data.replaces_entry_id):
        raise ValidationFailed(
            "Deze vraag staat online. Crisis, gemeente en vervangen vraag kunt u pas wijzigen "
            "nadat u hem hebt ingetrokken.",
            field="municipality_id",
        )


def edit_state(entry: FaqEntry) -> EntryState:
    """An edited entry goes back to concept: the changed text needs a new review."""
    return E.CONCEPT


@refuses_stale_changes(CONFLICT_MESSAGE)
def update_entry(
    entry_id: int,
    data: EntryInput,
    *,
    user: User,
    seen_version: int | None,
    now: datetime | None = None,
) -> FaqEntry:
    """Change the working copy; the public keeps the live text until the next publication."""
    now = now or utcnow()
    entry = get_entry(entry_id)
    check_version(entry, seen_version)
    validate(data)
    check_scope_unchanged_while_public(entry, data)
    apply_input(entry, data)
    entry.state = edit_state(entry).value
    entry.last_editor_id = user.id
    entry.updated_at = now
    add_revision(entry, "edited", user, now)
    db.session.commit()
    return entry


def allowed_actions(entry: FaqEntry) -> list[str]:
    """The workflow actions the entry's state allows, in button order."""
    return [
        action
        for action, (sources, _target) in TRANSITIONS.items()
        if EntryState(entry.state) in sources
        and not (action == "withdraw" and not entry.is_public and entry.state != E.CONCEPT)
    ]


def check_four_eyes(entry: FaqEntry, user: User) -> None:
    """Refuse publication by the entry's author or the last person who changed its text."""
    if not current_app.config["FAQ_FOUR_EYES"]:
        return
    if user.id in {entry.author_id, entry.last_editor_id}:
        raise Forbidden(
            "Vier ogen: u hebt deze vraag geschreven of als laatste gewijzigd. Een collega "
            "moet hem publiceren."
        )


def move(entry: FaqEntry, action: str, *, reason: str = "") -> None:
    """Apply a workflow action to the state, or refuse it with a Dutch message."""
    sources, target = TRANSITIONS[action]
    if EntryState(entry.state) not in sources:
        raise Conflict(
            f"Deze vraag is nu '{entry.state_label}'; '{ACTION_LABELS[action]}' kan niet."
        )
    if action in {"send_back", "withdraw"} and not reason.strip():
        raise ValidationFailed("Geef een reden op.", field="reason")
    entry.state = target.value


def publish_live_text(entry: FaqEntry, now: datetime) -> None:
    """Copy the approved working text (and translations) to what the public sees."""
    entry.live_question = entry.question
    entry.live_answer = entry.answer
    for translation in entry.translations:
        translation.live_question = translation.question
        translation.live_answer = translation.answer
    entry.is_public = True
    entry.live_changed_at = now
    entry.first_published_at = entry.first_published_at or now


@refuses_stale_changes(CONFLICT_MESSAGE)
def take_action(
    entry_id: int,
    action: str,
    *,
    user: User,
    seen_version: int | None,
    reason: str = "",
    now: datetime | None = None,
) -> FaqEntry:
    """Submit, send back, publish or withdraw an entry, logged as a revision."""
    if action not in TRANSITIONS:
        raise NotFound("Onbekende actie.")
    now = now or utcnow()
    entry = get_entry(entry_id)
    check_version(entry, seen_version)
    if action == "publish":
        check_four_eyes(entry, user)
    move(entry, action, reason=reason)
    if action == "publish":
        publish_live_text(entry, now)
        entry.published_by_id = user.id
        entry.needs_check = False
        emit_event(WebhookEvent.FAQ_PUBLISHED, entry, now=now)
    elif action == "withdraw":
        entry.is_public = False
        entry.live_changed_at = now
    entry.updated_at = now
    add_revision(entry, action, user, now, note=reason.strip())
    db.session.commit()
    return entry


@refuses_stale_changes(CONFLICT_MESSAGE)
def mark_checked(
    entry_id: int, *, user: User, seen_version: int | None, now: datetime | None = None
) -> FaqEntry:
    """The coordinator looked at a flagged entry after a new measure; the flag goes."""
    now = now or utcnow()
    entry = get_entry(entry_id)
    check_version(entry, seen_version)
    entry.needs_check = False
    entry.check_reason = ""
    entry.updated_at = now
    add_revision(entry, "checked", user, now)
    db.session.commit()
    return entry


def flag_entries_after_measure(event: CrisisEvent, now: datetime) -> list[FaqEntry]:
    """Flag the crisis's live or pending entries that depend on an older measure or date.

    A municipal measure only touches regional entries and that municipality's own. The caller
    commits (the flags go with the measure that caused them).
    """
    candidates = db.session.scalars(
        select(FaqEntry).where(
            FaqEntry.crisis_id == event.crisis_id,
            FaqEntry.state != E.INGETROKKEN.value,
            (FaqEntry.depends_on_event_id.is_not(None)) | (FaqEntry.depends_on_date.is_not(None)),
        )
    ).all()
    flagged = []
    for entry in candidates:
        if event.municipality_id and entry.municipality_id not in (None, event.municipality_id):
            continue
        depends_on = (
            entry.depends_on_event.occurs_on if entry.depends_on_event else entry.depends_on_date
        )
        if entry.depends_on_event_id == event.id or depends_on is None:
            continue
        if depends_on <= event.occurs_on:
            entry.needs_check = True
            entry.check_reason = f"Nieuwe maatregel van {event.occurs_on:%d-%m-%Y}: {event.title}"
            add_revision(entry, "flagged", None, now, note=entry.check_reason)
            flagged.append(entry)
    return flagged
