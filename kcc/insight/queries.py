"""Aggregate figures of a crisis over a period: the dashboard's and the weekly report's numbers.

Every number is computed by the database with GROUP BY; only aggregates reach Python (a region
logs hundreds of thousands of questions per crisis). Each function takes an `InsightFilter`:
a crisis, a period of Dutch local calendar days (any length), and optional municipality,
channel and caller type.

Local days: a question at 00:30 in Amsterdam is stored as 22:30 or 23:30 UTC the day before,
so grouping by the UTC date would put it on the wrong day. PostgreSQL converts each timestamp
with `timezone('Europe/Amsterdam', received_at)`. SQLite has no time zones, so the period is cut
(in Python, from zoneinfo) into stretches with one UTC offset each - at most three for a year -
and each row gets `date(received_at, '<offset> minutes')` with the offset of its stretch. Both
give the same local day for every moment, daylight saving time included.

Question counts of closed days come from the daily roll-up (insight.rollup) where it is built
and not marked stale; today, stale days and days without roll-up rows are counted live, so the
figures are the same either way.

Median time to answer: SQL has no portable median, so the database counts the answered
escalations, sorts their durations and hands over the middle one or two (ORDER BY + OFFSET).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Case, ColumnElement, Select, and_, case, func, literal, or_, select
from sqlalchemy.sql.elements import KeyedColumnElement

from kcc.classification.models import Sentiment
from kcc.escalation.models import Escalation
from kcc.extensions import db, utcnow
from kcc.faq.models import ClusterRun, QuestionCluster
from kcc.insight import rollup
from kcc.insight.models import CrisisEvent, QuestionDayCount, QuestionDayStale
from kcc.intake.models import Question, QuestionStatus
from kcc.intake.queries import start_of_local_day
from kcc.localtime import LOCAL_TIMEZONE
from kcc.reference.models import Topic

# A year and a day: enough for "this year so far" and a year-on-year week, no more per request.
MAX_PERIOD_DAYS = 366
NO_TOPIC_NAME = "Geen onderwerp"
TOP_CLUSTERS = 5


@dataclass(frozen=True)
class InsightFilter:
    """What a figure covers: one crisis, local days start..end (inclusive), optional filters."""

    crisis_id: int
    start: date
    end: date
    municipality_id: int | None = None
    channel: str | None = None
    caller_type: str | None = None

    @property
    def days(self) -> list[date]:
        """Every local day of the period, oldest first."""
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    @property
    def utc_start(self) -> datetime:
        """The first moment of the period: local midnight of the first day, in UTC."""
        return local_midnight(self.start)

    @property
    def utc_end(self) -> datetime:
        """The moment the period ends (exclusive): local midnight after the last day, in UTC."""
        return local_midnight(self.end + timedelta(days=1))


@dataclass(frozen=True)
class DayTopicCount:
    """Questions of one local day and one topic (topic None: not classified)."""

    day: date
    topic_id: int | None
    questions: int
    # Questions with a sentiment label, and the negative ones among them.
    with_sentiment: int
    negative: int
    # Answered by the KCC itself: an answer given and never escalated.
    answered_first_line: int


@dataclass(frozen=True)
class TopicShare:
    """A topic's questions in the period and their share of all questions."""

    topic_id: int | None
    name: str
    questions: int
    share: float


@dataclass(frozen=True)
class DaySentiment:
    """Share of negative questions on one day, among those with a sentiment (None: none)."""

    day: date
    with_sentiment: int
    negative: int

    @property
    def negative_share(self) -> float | None:
        """Negative questions divided by questions with a sentiment; None without any."""
        return self.negative / self.with_sentiment if self.with_sentiment else None


@dataclass(frozen=True)
class FirstLineResolution:
    """Questions answered at the first line (without escalation) against all questions."""

    answered: int
    questions: int

    @property
    def rate(self) -> float | None:
        """The share answered at the first line; None when there were no questions."""
        return self.answered / self.questions if self.questions else None


@dataclass(frozen=True)
class QuestionOverview:
    """Everything the question counts of a period say, from one grouped scan."""

    per_day_and_topic: list[DayTopicCount]
    topic_shares: list[TopicShare]
    sentiment_per_day: list[DaySentiment]
    first_line: FirstLineResolution

    @property
    def total(self) -> int:
        """All questions in the period."""
        return self.first_line.questions


@dataclass(frozen=True)
class EscalationFigures:
    """Escalations opened and answered in the period; open and overdue ones right now."""

    opened: int
    answered: int
    open_now: int
    overdue_now: int
    # Hours from escalation to answer, median over those answered in the period.
    median_hours_to_answer: float | None


@dataclass(frozen=True)
class ClusterSummary:
    """A cluster as the dashboard lists it: masked example text, size and growth."""

    cluster_id: int
    run_id: int
    representative_text: str
    size: int
    this_week: int
    last_week: int

    @property
    def growth(self) -> int:
        """This week's questions minus last week's."""
        return self.this_week - self.last_week


@dataclass(frozen=True)
class TopClusters:
    """The largest and the fastest-growing clusters of the latest run of a crisis."""

    run_id: int
    run_created_at: datetime
    largest: list[ClusterSummary]
    growing: list[ClusterSummary]


# --- local days ---------------------------------------------------------------------------


def local_midnight(day: date) -> datetime:
    """The start of a Dutch local day, as a UTC moment (intake's day start, in UTC)."""
    return start_of_local_day(day).astimezone(UTC)


def offset_stretches(start: datetime, end: datetime) -> list[tuple[datetime, int]]:
    """Where the local UTC offset changes between start and end: (from, offset in minutes).

    Dutch clocks change on whole hours, so stepping by the hour finds every change exactly.
    """

    def offset_at(moment: datetime) -> int:
        """The local UTC offset at a moment, in minutes."""
        offset = moment.astimezone(LOCAL_TIMEZONE).utcoffset() or timedelta(0)
        return int(offset.total_seconds() // 60)

    stretches = [(start, offset_at(start))]
    day = start
    while day < end:
        next_day = min(day + timedelta(days=1), end)
        if offset_at(next_day) != stretches[-1][1]:
            moment = day
            while offset_at(moment) == stretches[-1][1]:
                moment += timedelta(hours=1)
            stretches.append((moment, offset_at(moment)))
        day = next_day
    return stretches


def local_day_of(column: KeyedColumnElement[datetime], criteria: InsightFilter) -> ColumnElement:
    """The Dutch local calendar day of a timestamp column, per database (see module doc)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone(LOCAL_TIMEZONE.key, column))
    stretches = offset_stretches(criteria.utc_start, criteria.utc_end)
    modifier: ColumnElement | Case = literal(f"{stretches[-1][1]:+d} minutes")
    if len(stretches) > 1:
        modifier = case(
            *(
                (column < until, literal(f"{offset:+d} minutes"))
                for (_, offset), (until, _) in zip(stretches, stretches[1:], strict=False)
            ),
            else_=literal(f"{stretches[-1][1]:+d} minutes"),
        )
    return func.date(column, modifier)


def as_date(value: object) -> date:
    """A day as the database returns it: a date (PostgreSQL) or 'YYYY-MM-DD' (SQLite)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


# --- questions ----------------------------------------------------------------------------


def question_conditions(criteria: InsightFilter) -> list[ColumnElement[bool]]:
    """The filter on questions: crisis, period (uses the crisis+received index), the rest."""
    conditions = [
        Question.crisis_id == criteria.crisis_id,
        Question.received_at >= criteria.utc_start,
        Question.received_at < criteria.utc_end,
    ]
    if criteria.municipality_id:
        conditions.append(Question.municipality_id == criteria.municipality_id)
    if criteria.channel:
        conditions.append(Question.channel == criteria.channel)
    if criteria.caller_type:
        conditions.append(Question.caller_type == criteria.caller_type)
    return conditions


def count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """SUM(CASE WHEN condition THEN 1 ELSE 0 END): a portable conditional count."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def count_questions_by_day_and_topic(criteria: InsightFilter) -> list[DayTopicCount]:
    """Questions per local day and topic, with sentiment and first-line counts (one scan)."""
    return counts_by_day_and_topic(criteria, rolled_up_days(criteria))


def rolled_up_days(criteria: InsightFilter) -> set[date]:
    """Days of the period the roll-up answers: before today, built, and not marked stale.

    A day without roll-up rows is read live: never built (or no questions, which is cheap).
    """
    today = rollup.local_day(utcnow())
    last = min(criteria.end, today - timedelta(days=1))
    if last < criteria.start:
        return set()
    in_period = (QuestionDayCount.day >= criteria.start, QuestionDayCount.day <= last)
    built = db.session.execute(
        select(QuestionDayCount.day)
        .where(QuestionDayCount.crisis_id == criteria.crisis_id, *in_period)
        .distinct()
    ).scalars()
    days = {as_date(day) for day in built}
    if not days:
        return days
    stale = db.session.execute(
        select(QuestionDayStale.day).where(
            QuestionDayStale.crisis_id == criteria.crisis_id,
            QuestionDayStale.day >= criteria.start,
            QuestionDayStale.day <= last,
        )
    ).scalars()
    return days - {as_date(day) for day in stale}


def counts_by_day_and_topic(criteria: InsightFilter, rolled_up: set[date]) -> list[DayTopicCount]:
    """Per day and topic: rolled-up days from the roll-up, the other days live."""
    if not rolled_up:
        return count_live_by_day_and_topic(criteria)
    counts = count_rolled_up_by_day_and_topic(criteria, rolled_up)
    # Each run of other days on its own: the (crisis, received_at) index then reads just those.
    live_days = [day for day in criteria.days if day not in rolled_up]
    for first, last in rollup.contiguous_ranges(live_days):
        counts += count_live_by_day_and_topic(replace(criteria, start=first, end=last))
    return sorted(
        counts, key=lambda count: (count.day, count.topic_id is not None, count.topic_id or 0)
    )


def count_rolled_up_by_day_and_topic(
    criteria: InsightFilter, days: Iterable[date]
) -> list[DayTopicCount]:
    """The roll-up's counts per day and topic for these days, with the period's filters."""
    row = QuestionDayCount
    conditions = [
        row.crisis_id == criteria.crisis_id,
        or_(*(row.day.between(first, last) for first, last in rollup.contiguous_ranges(days))),
    ]
    if criteria.municipality_id:
        conditions.append(row.municipality_id == criteria.municipality_id)
    if criteria.channel:
        conditions.append(row.channel == criteria.channel)
    if criteria.caller_type:
        conditions.append(row.caller_type == criteria.caller_type)
    query = (
        select(
            row.day,
            row.topic_id,
            func.sum(row.questions),
            func.sum(row.with_sentiment),
            func.sum(row.negative),
            func.sum(row.answered_first_line),
        )
        .where(*conditions)
        .group_by(row.day, row.topic_id)
    )
    return [
        DayTopicCount(
            day=as_date(day),
            topic_id=topic_id,
            questions=int(questions),
            with_sentiment=int(with_sentiment),
            negative=int(negative),
            answered_first_line=int(answered),
        )
        for day, topic_id, questions, with_sentiment, negative, answered in db.session.execute(
            query
        )
    ]


def count_live_by_day_and_topic(criteria: InsightFilter) -> list[DayTopicCount]:
    """Questions per local day and topic, counted in the question table (one scan)."""
    day = local_day_of(Question.received_at, criteria).label("day")
    answered_first_line = and_(
        Question.status == QuestionStatus.BEANTWOORD.value, Question.is_escalated.is_(False)
    )
    query = (
        select(
            day,
            Question.topic_id,
            func.count(),
            count_if(Question.sentiment.is_not(None)),
            count_if(Question.sentiment == Sentiment.NEGATIEF.value),
            count_if(answered_first_line),
        )
        .where(*question_conditions(criteria))
        .group_by(day, Question.topic_id)
    )
    return [
        DayTopicCount(
            day=as_date(row[0]),
            topic_id=row[1],
            questions=int(row[2]),
            with_sentiment=int(row[3]),
            negative=int(row[4]),
            answered_first_line=int(row[5]),
        )
        for row in db.session.execute(query)
    ]


def topic_names(crisis_id: int) -> dict[int | None, str]:
    """Topic names of a crisis by id, with None for questions without a topic."""
    names: dict[int | None, str] = {
        topic_id: name
        for topic_id, name in db.session.execute(
            select(Topic.id, Topic.name).where(Topic.crisis_id == crisis_id)
        )
    }
    names[None] = NO_TOPIC_NAME
    return names


def summarise_topics(
    counts: Iterable[DayTopicCount], names: dict[int | None, str]
) -> list[TopicShare]:
    """Questions per topic over the whole period and their shares, largest first."""
    totals: dict[int | None, int] = defaultdict(int)
    for count in counts:
        totals[count.topic_id] += count.questions
    everything = sum(totals.values())
    shares = [
        TopicShare(
            topic_id=topic_id,
            name=names.get(topic_id, NO_TOPIC_NAME),
            questions=questions,
            share=questions / everything if everything else 0.0,
        )
        for topic_id, questions in totals.items()
        if questions
    ]
    return sorted(shares, key=lambda share: (-share.questions, share.name))


def summarise_sentiment_by_day(
    counts: Iterable[DayTopicCount], days: Sequence[date]
) -> list[DaySentiment]:
    """Negative and labelled questions per day, for every day of the period (zeros included)."""
    labelled: dict[date, int] = defaultdict(int)
    negative: dict[date, int] = defaultdict(int)
    for count in counts:
        labelled[count.day] += count.with_sentiment
        negative[count.day] += count.negative
    return [
        DaySentiment(day=day, with_sentiment=labelled[day], negative=negative[day]) for day in days
    ]


def summarise_first_line(counts: Iterable[DayTopicCount]) -> FirstLineResolution:
    """Questions answered at the first line against all questions of the period."""
    answered = questions = 0
    for count in counts:
        answered += count.answered_first_line
        questions += count.questions
    return FirstLineResolution(answered=answered, questions=questions)


def question_overview(criteria: InsightFilter) -> QuestionOverview:
    """Per-day-and-topic counts, topic shares, negative share and first-line rate, one scan."""
    counts = count_questions_by_day_and_topic(criteria)
    return QuestionOverview(
        per_day_and_topic=counts,
        topic_shares=summarise_topics(counts, topic_names(criteria.crisis_id)),
        sentiment_per_day=summarise_sentiment_by_day(counts, criteria.days),
        first_line=summarise_first_line(counts),
    )


def topic_shares(criteria: InsightFilter) -> list[TopicShare]:
    """Questions per topic in the period and their shares, largest first."""
    rolled_up = rolled_up_days(criteria)
    if rolled_up:
        counts = counts_by_day_and_topic(criteria, rolled_up)
        return summarise_topics(counts, topic_names(criteria.crisis_id))
    topic = Question.topic_id
    rows = db.session.execute(
        select(topic, func.count()).where(*question_conditions(criteria)).group_by(topic)
    )
    counts = [
        DayTopicCount(criteria.start, topic_id, int(questions), 0, 0, 0)
        for topic_id, questions in rows
    ]
    return summarise_topics(counts, topic_names(criteria.crisis_id))


def negative_share_by_day(criteria: InsightFilter) -> list[DaySentiment]:
    """Per local day: questions with a sentiment and the negative ones among them."""
    return summarise_sentiment_by_day(count_questions_by_day_and_topic(criteria), criteria.days)


def first_line_resolution(criteria: InsightFilter) -> FirstLineResolution:
    """Questions answered at the first line (answer given, never escalated) against all."""
    rolled_up = rolled_up_days(criteria)
    if rolled_up:
        return summarise_first_line(counts_by_day_and_topic(criteria, rolled_up))
    answered_first_line = and_(
        Question.status == QuestionStatus.BEANTWOORD.value, Question.is_escalated.is_(False)
    )
    answered, questions = db.session.execute(
        select(count_if(answered_first_line), func.count()).where(*question_conditions(criteria))
    ).one()
    return FirstLineResolution(answered=int(answered), questions=int(questions))


# --- escalations --------------------------------------------------------------------------


def escalation_scope(query: Select, criteria: InsightFilter) -> Select:
    """Crisis and municipality from the escalation; channel and caller type from its question."""
    query = query.where(Escalation.crisis_id == criteria.crisis_id)
    if criteria.municipality_id:
        query = query.where(Escalation.municipality_id == criteria.municipality_id)
    if criteria.channel or criteria.caller_type:
        query = query.join(Question, Question.id == Escalation.question_id)
        if criteria.channel:
            query = query.where(Question.channel == criteria.channel)
        if criteria.caller_type:
            query = query.where(Question.caller_type == criteria.caller_type)
    return query


def within_period(
    column: KeyedColumnElement[datetime], criteria: InsightFilter
) -> ColumnElement[bool]:
    """The timestamp lies in the period's local days."""
    return and_(column >= criteria.utc_start, column < criteria.utc_end)


def seconds_between(
    start: KeyedColumnElement[datetime], end: KeyedColumnElement[datetime]
) -> ColumnElement[float]:
    """end - start in seconds, per database (SQLite counts in Julian days)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def median_hours_to_answer(criteria: InsightFilter, answered: int) -> float | None:
    """Median hours from escalation to answer, over the `answered` escalations of the period."""
    if not answered:
        return None
    duration = seconds_between(Escalation.created_at, Escalation.answered_at).label("seconds")
    middle = (
        escalation_scope(select(duration).select_from(Escalation), criteria)
        .where(within_period(Escalation.answered_at, criteria))
        .order_by(duration)
        .offset((answered - 1) // 2)
        .limit(1 if answered % 2 else 2)
    )
    values = [float(value) for value in db.session.execute(middle).scalars()]
    return sum(values) / len(values) / 3600.0


def count_escalations(criteria: InsightFilter, *conditions: ColumnElement[bool]) -> int:
    """How many of the crisis's (filtered) escalations meet the conditions."""
    query = escalation_scope(select(func.count()).select_from(Escalation), criteria)
    return int(db.session.execute(query.where(*conditions)).scalar_one())


def escalation_figures(criteria: InsightFilter, *, now: datetime) -> EscalationFigures:
    """Escalations opened and answered in the period, open and overdue now, median answer time."""
    opened_in_period = within_period(Escalation.created_at, criteria)
    answered_in_period = within_period(Escalation.answered_at, criteria)
    is_open = Escalation.is_open.is_(True)
    overdue = and_(is_open, Escalation.deadline < now)
    if criteria.channel or criteria.caller_type:
        # Channel and caller type live on the question: one pass over the join costs less
        # than joining once per count.
        query = escalation_scope(
            select(
                count_if(opened_in_period),
                count_if(answered_in_period),
                count_if(is_open),
                count_if(overdue),
            ).select_from(Escalation),
            criteria,
        ).where(or_(opened_in_period, answered_in_period, is_open))
        opened, answered, open_now, overdue_now = db.session.execute(query).one()
    else:
        # Four small counts, each a range in its own index (crisis + created_at, + answered_at,
        # + is_open and deadline), where one pass had to read every escalation of the crisis
        # that was open or touched in the period.
        opened = count_escalations(criteria, opened_in_period)
        answered = count_escalations(criteria, answered_in_period)
        open_now = count_escalations(criteria, is_open)
        overdue_now = count_escalations(criteria, overdue)
    return EscalationFigures(
        opened=int(opened),
        answered=int(answered),
        open_now=int(open_now),
        overdue_now=int(overdue_now),
        median_hours_to_answer=median_hours_to_answer(criteria, int(answered)),
    )


# --- clusters and events ------------------------------------------------------------------


def summarise_cluster(cluster: QuestionCluster) -> ClusterSummary:
    """The few fields of a cluster the dashboard and report show."""
    return ClusterSummary(
        cluster_id=cluster.id,
        run_id=cluster.run_id,
        representative_text=cluster.representative_text,
        size=cluster.size,
        this_week=cluster.this_week,
        last_week=cluster.last_week,
    )


def top_clusters(criteria: InsightFilter, *, limit: int = TOP_CLUSTERS) -> TopClusters | None:
    """Largest and fastest-growing clusters of the crisis's latest run made before the period
    ended. Clusters span the whole crisis: municipality, channel and caller type do not apply."""
    run = db.session.execute(
        select(ClusterRun)
        .where(ClusterRun.crisis_id == criteria.crisis_id, ClusterRun.created_at < criteria.utc_end)
        .order_by(ClusterRun.created_at.desc(), ClusterRun.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if run is None:
        return None
    in_run = QuestionCluster.run_id == run.id
    largest = db.session.execute(
        select(QuestionCluster)
        .where(in_run)
        .order_by(QuestionCluster.size.desc(), QuestionCluster.id)
        .limit(limit)
    ).scalars()
    growth = QuestionCluster.this_week - QuestionCluster.last_week
    growing = db.session.execute(
        select(QuestionCluster)
        .where(in_run, growth > 0)
        .order_by(growth.desc(), QuestionCluster.size.desc(), QuestionCluster.id)
        .limit(limit)
    ).scalars()
    return TopClusters(
        run_id=run.id,
        run_created_at=run.created_at,
        largest=[summarise_cluster(cluster) for cluster in largest],
        growing=[summarise_cluster(cluster) for cluster in growing],
    )


def events_in_period(criteria: InsightFilter) -> list[CrisisEvent]:
    """The crisis's measures and events in the period: region-wide ones and, when a
    municipality is chosen, that municipality's; otherwise every municipality's."""
    query = (
        select(CrisisEvent)
        .where(
            CrisisEvent.crisis_id == criteria.crisis_id,
            CrisisEvent.occurs_on >= criteria.start,
            CrisisEvent.occurs_on <= criteria.end,
        )
        .order_by(CrisisEvent.occurs_on, CrisisEvent.id)
    )
    if criteria.municipality_id:
        query = query.where(
            or_(
                CrisisEvent.municipality_id.is_(None),
                CrisisEvent.municipality_id == criteria.municipality_id,
            )
        )
    return list(db.session.execute(query).scalars())
