"""What the public FAQ shows: live entries only, per crisis and municipality, per language.

Only the live copy is public: an entry with `is_public`, its `live_question`/`live_answer` and
its live translations. A municipality's page shows the regional entries plus that
municipality's own, where a municipal entry takes the place of the regional one it replaces.
A crisis has hundreds of entries at most, so grouping, search and language choice happen in
Python over one query's rows. No request objects here: the pages, the JSON feed and the
static export all read the FAQ through these functions.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, case, exists, func, select
from sqlalchemy.orm import joinedload, selectinload

from kcc.exceptions import NotFound
from kcc.extensions import db
from kcc.faq.formatting import plain_answer, render_answer
from kcc.faq.models import LANGUAGE_LABELS, FaqEntry, FaqVote, Language
from kcc.localtime import to_local
from kcc.reference.models import Crisis, Municipality

GENERAL_TOPIC = "Algemeen"
SEARCH_MAX = 100
DUTCH_MONTHS = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)


@dataclass(frozen=True)
class FaqVersion:
    """A cheap fingerprint of a crisis's FAQ: it changes whenever the public page may change.

    `updated_at` is in it because an entry's topic and municipality are not part of the live
    copy: editing them moves a published entry at once, without a new `live_changed_at`.
    """

    crisis_id: int
    public_count: int
    live_changed_at: datetime | None
    updated_at: datetime | None

    @property
    def last_modified(self) -> datetime | None:
        """The latest moment anything shown may have changed (for Last-Modified)."""
        moments = [moment for moment in (self.live_changed_at, self.updated_at) if moment]
        return max(moments) if moments else None

    @property
    def tag(self) -> str:
        """The version as a short string for ETags and cache keys."""
        stamps = (
            f"{moment.timestamp():.6f}" if moment else "0"
            for moment in (self.live_changed_at, self.updated_at)
        )
        return f"{self.crisis_id}-{self.public_count}-" + "-".join(stamps)


@dataclass(frozen=True)
class CrisisVersion:
    """A crisis as the public pages name it, with the version of its FAQ."""

    code: str
    name: str
    version: FaqVersion


@dataclass(frozen=True)
class PublicEntry:
    """One entry as the public reads it, in one language."""

    id: int
    question: str
    answer: str
    language: str
    topic_code: str
    topic_name: str
    municipality_code: str | None
    municipality_name: str | None
    changed_at: datetime | None
    languages: tuple[str, ...]

    @property
    def changed_on_text(self) -> str:
        """The "laatst gewijzigd" date in Dutch words, e.g. "3 maart 2026"."""
        return dutch_date(to_local(self.changed_at).date()) if self.changed_at else ""

    @property
    def other_languages(self) -> tuple[str, ...]:
        """The languages this entry is also available in, besides the one shown."""
        return tuple(language for language in self.languages if language != self.language)


@dataclass(frozen=True)
class TopicGroup:
    """The entries of one topic, under the topic's name."""

    code: str
    name: str
    entries: tuple[PublicEntry, ...]


def dutch_date(day: date) -> str:
    """A date the way Dutch readers write it: "3 maart 2026"."""
    return f"{day.day} {DUTCH_MONTHS[day.month - 1]} {day.year}"


def language_label(language: str) -> str:
    """A language's name in the language itself."""
    return LANGUAGE_LABELS[Language(language)]


def normalise_language(value: str | None) -> str:
    """A language code we offer, Dutch for anything else."""
    return value if value in {language.value for language in Language} else Language.NL.value


def normalise_search(value: str | None) -> str:
    """The search words, trimmed, single-spaced and capped in length."""
    return " ".join((value or "").split())[:SEARCH_MAX]


def version_columns() -> tuple[Any, ...]:
    """Public entry count and latest changes: what every version is made of."""
    return (
        func.count(case((FaqEntry.is_public, FaqEntry.id))),
        func.max(FaqEntry.live_changed_at),
        func.max(FaqEntry.updated_at),
    )


# Built once: every public request runs one of these, and building a statement costs more
# than running it on a crisis's few hundred rows. Core execution skips the ORM's bookkeeping.
VERSION_BY_CRISIS_CODE = (
    select(Crisis.id, Crisis.code, Crisis.name, *version_columns())
    .outerjoin(FaqEntry, FaqEntry.crisis_id == Crisis.id)
    .where(Crisis.code == bindparam("code"))
    .group_by(Crisis.id, Crisis.code, Crisis.name)
)
OVERALL_VERSION = select(*version_columns())


def find_crisis_version(code: str) -> CrisisVersion | None:
    """The crisis with this code and its FAQ version in one query, or None when unknown."""
    row = db.session.connection().execute(VERSION_BY_CRISIS_CODE, {"code": code}).one_or_none()
    if row is None:
        return None
    crisis_id, crisis_code, name, count, live_changed_at, updated_at = row
    return CrisisVersion(
        crisis_code, name, FaqVersion(crisis_id, count, live_changed_at, updated_at)
    )


def overall_version() -> FaqVersion:
    """The version of the whole public FAQ (every crisis), for the list of crises."""
    count, live_changed_at, updated_at = db.session.connection().execute(OVERALL_VERSION).one()
    return FaqVersion(0, count, live_changed_at, updated_at)


def list_public_crises() -> list[Crisis]:
    """Crises with at least one public entry, by name."""
    has_public_entry = exists().where(FaqEntry.crisis_id == Crisis.id, FaqEntry.is_public)
    return list(db.session.scalars(select(Crisis).where(has_public_entry).order_by(Crisis.name)))


def find_crisis(code: str) -> Crisis | None:
    """The crisis with this code."""
    return db.session.scalars(select(Crisis).where(Crisis.code == code)).one_or_none()


def find_municipality(cbs_code: str) -> Municipality | None:
    """The municipality with this CBS code (upper or lower case)."""
    return db.session.scalars(
        select(Municipality).where(Municipality.cbs_code == cbs_code.upper())
    ).one_or_none()


def public_entry_rows(crisis_id: int) -> Sequence[FaqEntry]:
    """Every public entry of a crisis, with topic, municipality and translations loaded."""
    return db.session.scalars(
        select(FaqEntry)
        .where(FaqEntry.crisis_id == crisis_id, FaqEntry.is_public)
        .options(
            joinedload(FaqEntry.topic),
            joinedload(FaqEntry.municipality),
            selectinload(FaqEntry.translations),
        )
        .order_by(FaqEntry.id)
    ).all()


def entries_for_place(entries: Iterable[FaqEntry], municipality_id: int | None) -> list[FaqEntry]:
    """The entries that hold in a municipality (or, with None, in the whole region).

    A municipal entry that replaces a regional one takes its place on that municipality's
    page; the regional page shows regional entries only.
    """
    entries = list(entries)
    own = [entry for entry in entries if entry.municipality_id == municipality_id]
    if municipality_id is None:
        return own
    replaced = {entry.replaces_entry_id for entry in own if entry.replaces_entry_id}
    regional = [
        entry for entry in entries if entry.municipality_id is None and entry.id not in replaced
    ]
    return sorted(regional + own, key=lambda entry: entry.id)


def live_languages(entry: FaqEntry) -> tuple[str, ...]:
    """Dutch plus every language the entry has a live translation in."""
    translated = {t.language for t in entry.translations if t.is_live}
    return tuple(
        language.value
        for language in Language
        if language == Language.NL or (language.value in translated)
    )


def present(entry: FaqEntry, language: str) -> PublicEntry:
    """The entry's live text in the language asked for, or in Dutch when it has none."""
    translation = entry.translation(language) if language != Language.NL else None
    if translation is not None and translation.is_live:
        question, answer, shown = translation.live_question, translation.live_answer, language
    else:
        question, answer, shown = entry.live_question, entry.live_answer, Language.NL.value
    return PublicEntry(
        id=entry.id,
        question=question or "",
        answer=answer or "",
        language=shown,
        topic_code=entry.topic.code if entry.topic else "algemeen",
        topic_name=entry.topic.name if entry.topic else GENERAL_TOPIC,
        municipality_code=entry.municipality.cbs_code if entry.municipality else None,
        municipality_name=entry.municipality.name if entry.municipality else None,
        changed_at=entry.live_changed_at,
        languages=live_languages(entry),
    )


def published_entries(
    crisis_id: int, *, municipality_id: int | None = None, language: str = Language.NL.value
) -> list[PublicEntry]:
    """The public entries of a crisis for the region or one municipality, in a language."""
    rows = entries_for_place(public_entry_rows(crisis_id), municipality_id)
    return [present(entry, language) for entry in rows]


def public_entry(crisis_id: int, entry_id: int, *, language: str) -> PublicEntry:
    """One public entry of the crisis, or NotFound (also for withdrawn and draft entries)."""
    entry = db.session.get(FaqEntry, entry_id)
    if entry is None or entry.crisis_id != crisis_id or not entry.is_public:
        raise NotFound("Deze vraag staat niet (meer) op de website.")
    return present(entry, language)


def matches(entry: PublicEntry, words: Sequence[str]) -> bool:
    """Whether every search word occurs in the entry's question or answer (any case)."""
    text = f"{entry.question}\n{entry.answer}".casefold()
    return all(word in text for word in words)


def search_entries(entries: Iterable[PublicEntry], query: str) -> list[PublicEntry]:
    """The entries that contain every word of the query; all of them for an empty query."""
    words = normalise_search(query).casefold().split()
    return [entry for entry in entries if matches(entry, words)]


def group_by_topic(entries: Iterable[PublicEntry]) -> list[TopicGroup]:
    """Entries per topic, topics by name; entries without a topic under "Algemeen"."""
    groups: dict[tuple[str, str], list[PublicEntry]] = {}
    for entry in entries:
        groups.setdefault((entry.topic_name, entry.topic_code), []).append(entry)
    return [
        TopicGroup(code, name, tuple(members))
        for (name, code), members in sorted(groups.items(), key=lambda item: item[0][0].casefold())
    ]


def languages_offered(entries: Iterable[PublicEntry]) -> tuple[str, ...]:
    """The languages at least one entry can be read in, Dutch first."""
    present_languages = {language for entry in entries for language in entry.languages}
    return tuple(language.value for language in Language if language.value in present_languages)


def municipalities_with_own_entries(crisis_id: int) -> list[Municipality]:
    """Municipalities that have public entries of their own in this crisis, by name."""
    return list(
        db.session.scalars(
            select(Municipality)
            .where(
                exists().where(
                    FaqEntry.municipality_id == Municipality.id,
                    FaqEntry.crisis_id == crisis_id,
                    FaqEntry.is_public,
                )
            )
            .order_by(Municipality.name)
        )
    )


def record_vote(entry_id: int, helpful: bool, today: date) -> None:
    """Count one anonymous "was dit antwoord nuttig?" answer; only public entries take votes."""
    entry = db.session.get(FaqEntry, entry_id)
    if entry is None or not entry.is_public:
        raise NotFound("Deze vraag staat niet (meer) op de website.")
    db.session.add(FaqVote(entry_id=entry_id, helpful=helpful, on=today))
    db.session.commit()


def vote_counts(entry_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """Per entry: (helpful, not helpful) votes; entries without votes get (0, 0)."""
    ids = list(entry_ids)
    counts = {entry_id: (0, 0) for entry_id in ids}
    if not ids:
        return counts
    rows = db.session.execute(
        select(FaqVote.entry_id, FaqVote.helpful, func.count())
        .where(FaqVote.entry_id.in_(ids))
        .group_by(FaqVote.entry_id, FaqVote.helpful)
    )
    for entry_id, helpful, count in rows:
        yes, no = counts[entry_id]
        counts[entry_id] = (yes + count, no) if helpful else (yes, no + count)
    return counts


def entry_json(entry: PublicEntry, url: str) -> dict[str, Any]:
    """One entry for the JSON feed and the export: plain text and safe HTML side by side."""
    return {
        "id": entry.id,
        "question": entry.question,
        "answer": plain_answer(entry.answer),
        "answer_html": str(render_answer(entry.answer)),
        "language": entry.language,
        "languages": list(entry.languages),
        "topic": {"code": entry.topic_code, "name": entry.topic_name},
        "municipality": (
            {"cbs_code": entry.municipality_code, "name": entry.municipality_name}
            if entry.municipality_code
            else None
        ),
        "last_changed": entry.changed_at.isoformat() if entry.changed_at else None,
        "url": url,
    }


def feed_json(
    crisis: CrisisVersion,
    municipality: Municipality | None,
    language: str,
    entries: Sequence[PublicEntry],
    url_for_entry: Callable[[PublicEntry], str],
) -> dict[str, Any]:
    """The public feed of one crisis (for the region or one municipality) as plain data."""
    last_modified = crisis.version.last_modified
    return {
        "crisis": {"code": crisis.code, "name": crisis.name},
        "municipality": (
            {"cbs_code": municipality.cbs_code, "name": municipality.name} if municipality else None
        ),
        "language": language,
        "last_changed": last_modified.isoformat() if last_modified else None,
        "entries": [entry_json(entry, url_for_entry(entry)) for entry in entries],
    }


def faq_page_json_ld(entries: Sequence[PublicEntry], language: str) -> dict[str, Any]:
    """schema.org FAQPage data for search engines: each question with its accepted answer."""
    return {
        "@context": "https://schema.org",
        "@type": "FAQPage",
        "inLanguage": language,
        "mainEntity": [
            {
                "@type": "Question",
                "name": entry.question,
                "inLanguage": entry.language,
                "acceptedAnswer": {
                    "@type": "Answer",
                    "text": plain_answer(entry.answer),
                    "inLanguage": entry.language,
                },
            }
            for entry in entries
        ],
    }


@dataclass(frozen=True)
class CachedPage:
    """A rendered page, the FAQ version it was made from, and when."""

    body: bytes
    etag: str
    version_tag: str
    stored_at: float


class PageCache:
    """Rendered public pages in process memory, least recently used out first.

    A page is served again only while the FAQ version it was made from is current and it is
    younger than max_age seconds; the age bound catches what the version cannot see (a topic
    or crisis renamed). Safe to share between threads.
    """

    def __init__(self, size: int, max_age: float) -> None:
        self.size = size
        self.max_age = max_age
        self._pages: OrderedDict[tuple[str, ...], CachedPage] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, ...], version_tag: str, now: float) -> CachedPage | None:
        """The page stored under key, if made from this version and not too old."""
        with self._lock:
            page = self._pages.get(key)
            if page is None:
                return None
            if page.version_tag != version_tag or now - page.stored_at > self.max_age:
                del self._pages[key]
                return None
            self._pages.move_to_end(key)
            return page

    def put(self, key: tuple[str, ...], version_tag: str, body: bytes, now: float) -> CachedPage:
        """Store a rendered page, dropping the least recently used beyond the size."""
        page = CachedPage(body, body_etag(body), version_tag, now)
        with self._lock:
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)
        return page

    def __len__(self) -> int:
        return len(self._pages)


def body_etag(body: bytes) -> str:
    """A strong validator for a rendered page: a hash of its bytes."""
    return hashlib.blake2b(body, digest_size=12).hexdigest()
