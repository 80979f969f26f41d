"""Reading questions back: today's list, search with filters, a caller's earlier contacts."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal_column, or_, select, text
from sqlalchemy.orm import QueryableAttribute, selectinload

from kcc.extensions import db, utcnow
from kcc.intake.contact_rules import is_valid_email, normalise_email, normalise_phone
from kcc.intake.models import ContactDetails, Question
from kcc.intake.search_schema import POSTGRES_SEARCH_DOCUMENT, SQLITE_FTS_TABLE
from kcc.localtime import LOCAL_TIMEZONE, to_local
from kcc.reference.models import Topic

PER_PAGE = 25
# Counting every match of a broad search over millions of rows costs more than the page
# itself; past this number the list says "meer dan 1.000" (and narrowing the filters helps).
COUNT_CAP = 1_000
# Up to this many full-text matches, fetching them by id and sorting beats walking the index.
FEW_TEXT_MATCHES = 5_000
# Paging stops where counting does: deeper pages cost an ever larger OFFSET; filters help more.
MAX_PAGE = COUNT_CAP // PER_PAGE
WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class SearchCriteria:
    """What a user filters on; empty means 'any'."""

    text: str = ""
    crisis_id: int | None = None
    municipality_id: int | None = None
    topic_id: int | None = None
    topic_code: str | None = None  # the same topic code in any crisis (API filter)
    status: str | None = None
    channel: str | None = None
    date_from: date | None = None
    date_to: date | None = None


@dataclass
class SearchPage:
    """One page of results and how many there are in all (capped)."""

    items: list[Question]
    total: int
    page: int
    per_page: int = PER_PAGE
    total_is_capped: bool = False
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        self.pages = max(1, math.ceil(self.total / self.per_page))


def start_of_local_day(day: date) -> datetime:
    """The UTC moment a Dutch calendar day starts."""
    return datetime.combine(day, time.min, tzinfo=LOCAL_TIMEZONE)


def fts_query_for(words: list[str]) -> str:
    """FTS5 query where every word must occur; quoting makes each a literal term, not syntax."""
    return " ".join('"' + word.replace('"', '""') + '"' for word in words)


def fts_matching_ids(words: list[str]) -> Select[tuple[int]]:
    """The rowids of the SQLite full-text index that match every word."""
    return (
        select(literal_column("rowid"))
        .select_from(text(SQLITE_FTS_TABLE))
        .where(
            text(f"{SQLITE_FTS_TABLE} MATCH :fts_query").bindparams(fts_query=fts_query_for(words))
        )
    )


def count_fts_matches(words: list[str], *, cap: int) -> int:
    """How many questions match the words, counted in the index alone, up to cap + 1."""
    limited = fts_matching_ids(words).limit(cap + 1).subquery()
    return db.session.execute(select(func.count()).select_from(limited)).scalar_one()


def sqlite_text_condition(words: list[str], fts_matches: int) -> ColumnElement[bool]:
    """Match via FTS5, steering SQLite's plan by how common the words are.

    Few matches: look each one up by id and sort them. Many (a word like "leefgeld" in
    every tenth question): `id + 0` stops SQLite from fetching them all by id, so it walks
    the newest-first index instead and stops at the first page's worth.
    """
    if fts_matches <= FEW_TEXT_MATCHES:
        return Question.id.in_(fts_matching_ids(words))
    return (Question.id + 0).in_(fts_matching_ids(words))


def postgres_text_condition(words: list[str]) -> ColumnElement[bool]:
    """Match via the GIN index on the Dutch tsvector of the masked text."""
    return text(
        f"{POSTGRES_SEARCH_DOCUMENT} @@ plainto_tsquery('dutch'::regconfig, :search_words)"
    ).bindparams(search_words=" ".join(words))


def has_filters_besides_text(criteria: SearchCriteria) -> bool:
    """Tell whether anything but words narrows the search."""
    return any(
        [
            criteria.crisis_id,
            criteria.municipality_id,
            criteria.topic_id,
            criteria.topic_code,
            criteria.status,
            criteria.channel,
            criteria.date_from,
            criteria.date_to,
        ]
    )


def filtered_questions(criteria: SearchCriteria, words: list[str]) -> Select[tuple[Question]]:
    """A select of the questions matching the criteria (unordered)."""
    query = select(Question)
    if words and db.engine.dialect.name == "postgresql":
        query = query.where(postgres_text_condition(words))
    elif words:
        fts_matches = count_fts_matches(words, cap=FEW_TEXT_MATCHES)
        query = query.where(sqlite_text_condition(words, fts_matches))
    if criteria.crisis_id:
        query = query.where(Question.crisis_id == criteria.crisis_id)
    if criteria.municipality_id:
        query = query.where(Question.municipality_id == criteria.municipality_id)
    if criteria.topic_id:
        query = query.where(Question.topic_id == criteria.topic_id)
    if criteria.topic_code:
        query = query.join(Topic, Topic.id == Question.topic_id).where(
            Topic.code == criteria.topic_code
        )
    if criteria.status:
        query = query.where(Question.status == criteria.status)
    if criteria.channel:
        query = query.where(Question.channel == criteria.channel)
    if criteria.date_from:
        query = query.where(Question.received_at >= start_of_local_day(criteria.date_from))
    if criteria.date_to:
        next_day = criteria.date_to + timedelta(days=1)
        query = query.where(Question.received_at < start_of_local_day(next_day))
    return query


def newest_first(query: Select[tuple[Question]]) -> Select[tuple[Question]]:
    """Order by receipt, newest first; the id breaks ties so pages never overlap."""
    return query.order_by(Question.received_at.desc(), Question.id.desc())


def count_capped(
    query: Select[tuple[Question]], criteria: SearchCriteria, words: list[str]
) -> tuple[int, bool]:
    """Count matches up to COUNT_CAP + 1; say whether the cap was reached."""
    if words and db.engine.dialect.name == "sqlite" and not has_filters_besides_text(criteria):
        total = count_fts_matches(words, cap=COUNT_CAP)  # the index alone knows
    else:
        # Ordered like the page, so SQLite walks the same covering index and stops early.
        limited = newest_first(query.with_only_columns(Question.id)).limit(COUNT_CAP + 1)
        total = db.session.execute(
            select(func.count()).select_from(limited.subquery())
        ).scalar_one()
    return min(total, COUNT_CAP), total > COUNT_CAP


# What a list page shows of each question besides its own columns.
PAGE_RELATIONS = (Question.municipality, Question.crisis, Question.topic)


def search_questions(
    criteria: SearchCriteria,
    *,
    page: int = 1,
    load: Sequence[QueryableAttribute[Any]] = PAGE_RELATIONS,
) -> SearchPage:
    """Return one page of matching questions, newest first, with the `load` relations."""
    words = WORD.findall(criteria.text)[:12]
    query = filtered_questions(criteria, words)
    total, capped = count_capped(query, criteria, words)
    items = list(
        db.session.execute(
            newest_first(query)
            .limit(PER_PAGE)
            .offset((page - 1) * PER_PAGE)
            .options(*(selectinload(relation) for relation in load))
        ).scalars()
    )
    return SearchPage(items=items, total=total, page=page, total_is_capped=capped)


def registered_today_by(user_id: int, *, now: datetime | None = None) -> list[Question]:
    """The questions a user registered since the start of today (Dutch time)."""
    today = to_local(now or utcnow()).date()
    return list(
        db.session.execute(
            select(Question)
            .where(
                Question.created_by_id == user_id,
                Question.created_at >= start_of_local_day(today),
            )
            .order_by(Question.created_at.desc())
            .options(selectinload(Question.municipality), selectinload(Question.topic))
        ).scalars()
    )


def find_caller_history(phone: str, email: str, *, limit: int = 10) -> list[Question]:
    """Earlier questions from the same phone number or e-mail address, newest first."""
    conditions = []
    phone_key = normalise_phone(phone) if phone.strip() else None
    if phone_key:
        conditions.append(ContactDetails.phone_key == phone_key)
    if email.strip() and is_valid_email(email.strip()):
        conditions.append(ContactDetails.email_key == normalise_email(email))
    if not conditions:
        return []
    return list(
        db.session.execute(
            select(Question)
            .join(ContactDetails)
            .where(or_(*conditions))
            .order_by(Question.received_at.desc())
            .limit(limit)
            .options(selectinload(Question.contact), selectinload(Question.municipality))
        ).scalars()
    )
