"""Signals: daily detection of spikes, negative sentiment and fast-growing clusters; storing them,
acknowledging them, and mailing them to subscribers. Also the `signals` command.

Detection of a day reads daily counts over the baseline window with a few GROUP BY queries
(per topic, per municipality, per busy topic × municipality pair, online messages per topic),
hands the arrays to the Flask-free detector (kcc/insight/spikes.py), and stores what it finds.
A signal is a finding about a day: detecting the same day again updates the same row (matched
NULL-safely by crisis × topic × municipality × day × kind × source; a cluster signal by its
cluster), so the daily job can run twice without doubling anything or mailing anyone twice.

The daily job is `flask --app kcc signals --crisis CODE`: it stores the day's signals and mails
the new ones, so run it once a day after the KCC closes (e.g. 21:00). Run earlier, today's
count is still growing and is tested against a whole day's expectation: it can only find
spikes too late, never invent one.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import click
import numpy as np
from flask import current_app, url_for
from flask.cli import with_appcontext
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import and_, case, func, select, tuple_

from kcc.auth.models import User
from kcc.classification.models import Sentiment
from kcc.escalation.notifications import wants_mail
from kcc.exceptions import KccError, NotFound
from kcc.extensions import db, utcnow
from kcc.faq.clusters import most_common_topic
from kcc.faq.models import ClusterRun, QuestionCluster
from kcc.insight import spikes
from kcc.insight.models import OnlineMessage, Signal, SignalKind, SignalSource, SignalSubscription
from kcc.insight.queries import (
    InsightFilter,
    as_date,
    count_if,
    count_questions_by_day_and_topic,
    local_day_of,
    local_midnight,
)
from kcc.intake.models import Question
from kcc.localtime import LOCAL_TIMEZONE, format_local
from kcc.mail import MailSettings, OutgoingMail, send_mail
from kcc.privacy.spreadsheet import spreadsheet_safe
from kcc.reference.models import Crisis
from kcc.webhooks.events import WebhookEvent
from kcc.webhooks.services import emit_event

# The sentiment baseline: the four weeks before the day.
SENTIMENT_BASELINE_DAYS = 28
# Cluster runs that ended this long before the day's end still say something about its week.
CLUSTER_RUN_MAX_AGE = timedelta(days=7)
CSV_HEADER = ("date", "topic", "municipality", "observed", "expected", "score")
# A series: (source, topic id, municipality id); None is "all".
SeriesKey = tuple[str, int | None, int | None]


@dataclass(frozen=True)
class Finding:
    """Something notable about a day, before it is stored as a Signal."""

    kind: str
    source: str
    topic_id: int | None
    municipality_id: int | None
    observed: float
    expected: float
    score: float
    detail: str = ""
    cluster_id: int | None = None


@dataclass
class MailReport:
    """How many signal e-mails went out, and why any failed."""

    sent: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass
class DetectionReport:
    """What one detection run found for a crisis and day."""

    day: date
    signals: list[Signal]
    created: int
    mail: MailReport


@dataclass
class DailySeries:
    """Counts per local day of the window (oldest first; the last day is the tested day)."""

    days: list[date]
    counts: dict[SeriesKey, np.ndarray] = field(default_factory=dict)
    negative: dict[SeriesKey, np.ndarray] = field(default_factory=dict)
    with_sentiment: dict[SeriesKey, np.ndarray] = field(default_factory=dict)

    def add(self, table: dict[SeriesKey, np.ndarray], key: SeriesKey, day: date, n: int) -> None:
        """Add `n` to one day of one series (created as zeros when new)."""
        if key not in table:
            table[key] = np.zeros(len(self.days))
        table[key][(day - self.days[0]).days] += n


# --- detection ------------------------------------------------------------------------------


def get_crisis_by_code(code: str) -> Crisis:
    """The crisis with this code, or NotFound (Dutch)."""
    crisis = db.session.execute(select(Crisis).where(Crisis.code == code)).scalar_one_or_none()
    if crisis is None:
        raise NotFound(f"Crisis '{code}' bestaat niet.")
    return crisis


def local_today(now: datetime) -> date:
    """The Dutch calendar day of a moment."""
    return now.astimezone(LOCAL_TIMEZONE).date()


def baseline_window(crisis: Crisis, day: date, settings: spikes.SpikeSettings) -> InsightFilter:
    """The tested day and the baseline before it, never before the crisis started."""
    start = max(day - timedelta(days=settings.baseline_days), min(crisis.start_date, day))
    return InsightFilter(crisis_id=crisis.id, start=start, end=day)


def kcc_series(window: InsightFilter, settings: spikes.SpikeSettings) -> DailySeries:
    """The KCC's questions per day: crisis-wide, per topic, per municipality, per busy pair."""
    series = DailySeries(days=window.days)
    kcc = SignalSource.KCC.value
    for row in count_questions_by_day_and_topic(window):
        # Questions without a topic count for the crisis, not as a topic of their own.
        keys = [(kcc, None, None)] + ([(kcc, row.topic_id, None)] if row.topic_id else [])
        for key in keys:
            series.add(series.counts, key, row.day, row.questions)
            series.add(series.negative, key, row.day, row.negative)
            series.add(series.with_sentiment, key, row.day, row.with_sentiment)
    for day, municipality_id, count in municipality_counts(window):
        series.add(series.counts, (kcc, None, municipality_id), day, count)
    for day, topic_id, municipality_id, count in busy_pair_counts(window, settings):
        series.add(series.counts, (kcc, topic_id, municipality_id), day, count)
    return series


def question_window(window: InsightFilter) -> list:
    """The conditions for a crisis's questions in the window (uses the crisis+received index)."""
    return [
        Question.crisis_id == window.crisis_id,
        Question.received_at >= window.utc_start,
        Question.received_at < window.utc_end,
    ]


def municipality_counts(window: InsightFilter) -> list[tuple[date, int, int]]:
    """Questions per local day and municipality (all topics)."""
    day = local_day_of(Question.received_at, window).label("day")
    query = (
        select(day, Question.municipality_id, func.count())
        .where(*question_window(window))
        .group_by(day, Question.municipality_id)
    )
    return [(as_date(row[0]), row[1], int(row[2])) for row in db.session.execute(query)]


def busy_pair_counts(
    window: InsightFilter, settings: spikes.SpikeSettings
) -> list[tuple[date, int, int, int]]:
    """Questions per local day of each topic × municipality pair busy enough to test.

    The database first picks the pairs (HAVING: at least `municipal_min_mean` a day over the
    window), so a national centre's thousands of quiet pairs never reach Python; then it
    counts the busy pairs per day. (A join on the first query as a subquery took SQLite 10 s
    on the million-question database; two queries take about 1.5 s.)
    """
    minimum = settings.municipal_min_mean * max(len(window.days) - 1, 1)
    pairs = db.session.execute(
        select(Question.topic_id, Question.municipality_id)
        .where(*question_window(window), Question.topic_id.is_not(None))
        .group_by(Question.topic_id, Question.municipality_id)
        .having(func.count() >= minimum)
    ).all()
    if not pairs:
        return []
    day = local_day_of(Question.received_at, window).label("day")
    query = (
        select(day, Question.topic_id, Question.municipality_id, func.count())
        .where(
            *question_window(window),
            tuple_(Question.topic_id, Question.municipality_id).in_(
                [tuple(pair) for pair in pairs]
            ),
        )
        .group_by(day, Question.topic_id, Question.municipality_id)
    )
    return [(as_date(r[0]), r[1], r[2], int(r[3])) for r in db.session.execute(query)]


def online_series(window: InsightFilter, series: DailySeries) -> None:
    """Add online messages per local day, crisis-wide and per topic (with sentiment counts)."""
    day = local_day_of(OnlineMessage.posted_at, window).label("day")
    query = (
        select(
            day,
            OnlineMessage.topic_id,
            func.count(),
            count_if(OnlineMessage.sentiment.is_not(None)),
            count_if(OnlineMessage.sentiment == Sentiment.NEGATIEF.value),
        )
        .where(
            OnlineMessage.crisis_id == window.crisis_id,
            OnlineMessage.posted_at >= window.utc_start,
            OnlineMessage.posted_at < window.utc_end,
        )
        .group_by(day, OnlineMessage.topic_id)
    )
    online = SignalSource.ONLINE.value
    for row in db.session.execute(query):
        topic_id = row[1]
        keys = [(online, None, None)] + ([(online, topic_id, None)] if topic_id else [])
        for key in keys:
            series.add(series.counts, key, as_date(row[0]), int(row[2]))
            series.add(series.with_sentiment, key, as_date(row[0]), int(row[3]))
            series.add(series.negative, key, as_date(row[0]), int(row[4]))


def flagged_days(window: InsightFilter) -> dict[SeriesKey, np.ndarray]:
    """Days of the baseline already flagged as volume spikes, per series (left out later)."""
    rows = db.session.execute(
        select(Signal.source, Signal.topic_id, Signal.municipality_id, Signal.day).where(
            Signal.crisis_id == window.crisis_id,
            Signal.kind == SignalKind.VOLUME.value,
            Signal.day >= window.start,
            Signal.day < window.end,
        )
    )
    flagged: dict[SeriesKey, np.ndarray] = {}
    for source, topic_id, municipality_id, day in rows:
        key = (source, topic_id, municipality_id)
        flagged.setdefault(key, np.zeros(len(window.days) - 1, dtype=bool))
        flagged[key][(day - window.start).days] = True
    return flagged


def volume_findings(
    series: DailySeries,
    flagged: dict[SeriesKey, np.ndarray],
    weekday: int,
    settings: spikes.SpikeSettings,
) -> list[Finding]:
    """Test every series's last day against its history; municipal ones only when busy."""
    findings = []
    for key, counts in series.counts.items():
        source, topic_id, municipality_id = key
        history = counts[:-1]
        if municipality_id is not None and not spikes.has_enough_volume(history, settings):
            continue
        verdict = spikes.assess_volume(
            counts[-1], history, weekday, excluded=flagged.get(key), settings=settings
        )
        if verdict and verdict.is_signal:
            findings.append(
                Finding(
                    kind=SignalKind.VOLUME.value,
                    source=source,
                    topic_id=topic_id,
                    municipality_id=municipality_id,
                    observed=verdict.observed,
                    expected=round(verdict.expected, 1),
                    score=round(verdict.score, 2),
                )
            )
    return findings


def percent(share: float) -> str:
    """A share as a whole Dutch percentage: 45%."""
    return f"{round(share * 100)}%"


def sentiment_findings(series: DailySeries) -> list[Finding]:
    """Crisis-wide and per-topic series whose share of negative questions rose today."""
    findings = []
    for key, negative in series.negative.items():
        source, topic_id, municipality_id = key
        labelled = series.with_sentiment[key]
        baseline = slice(-SENTIMENT_BASELINE_DAYS - 1, -1)
        verdict = spikes.assess_sentiment(
            int(negative[-1]),
            int(labelled[-1]),
            int(negative[baseline].sum()),
            int(labelled[baseline].sum()),
        )
        if verdict and verdict.is_signal:
            today_share = negative[-1] / labelled[-1]
            usual_share = verdict.expected / labelled[-1]
            findings.append(
                Finding(
                    kind=SignalKind.SENTIMENT.value,
                    source=source,
                    topic_id=topic_id,
                    municipality_id=municipality_id,
                    observed=verdict.observed,
                    expected=round(verdict.expected, 1),
                    score=round(verdict.score, 2),
                    detail=(
                        f"{int(negative[-1])} van {int(labelled[-1])} negatief "
                        f"({percent(today_share)}), gewoonlijk {percent(usual_share)}"
                    ),
                )
            )
    return findings


def latest_recent_run(crisis_id: int, day: date) -> ClusterRun | None:
    """The crisis's newest clustering that ended on the day or in the week before it."""
    day_end = local_midnight(day + timedelta(days=1))
    return db.session.execute(
        select(ClusterRun)
        .where(
            ClusterRun.crisis_id == crisis_id,
            ClusterRun.period_end <= day_end,
            ClusterRun.period_end > day_end - CLUSTER_RUN_MAX_AGE,
        )
        .order_by(ClusterRun.period_end.desc(), ClusterRun.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def shorten(text: str, limit: int = 120) -> str:
    """The text cut at a word boundary with an ellipsis when longer than `limit`."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + "…"


def cluster_findings(crisis_id: int, day: date) -> list[Finding]:
    """Clusters of the latest recent run that grew fast (this week against last week)."""
    run = latest_recent_run(crisis_id, day)
    if run is None:
        return []
    settings = spikes.ClusterSettings()
    candidates = db.session.execute(
        select(QuestionCluster).where(
            QuestionCluster.run_id == run.id,
            QuestionCluster.this_week >= settings.min_this_week,
            QuestionCluster.this_week >= settings.min_growth_factor * QuestionCluster.last_week,
        )
    ).scalars()
    findings = []
    for cluster in candidates:
        verdict = spikes.assess_cluster_growth(cluster.this_week, cluster.last_week, settings)
        if not verdict.is_signal:
            continue
        findings.append(
            Finding(
                kind=SignalKind.CLUSTER.value,
                source=SignalSource.KCC.value,
                topic_id=most_common_topic(cluster),
                municipality_id=None,
                observed=verdict.observed,
                expected=verdict.expected,
                score=round(verdict.score, 2),
                # The representative text is masked already (it is copied that way).
                detail=(
                    f"{cluster.this_week} vragen deze week, vorige week {cluster.last_week}: "
                    f"\u201c{shorten(cluster.representative_text)}\u201d"
                ),
                cluster_id=cluster.id,
            )
        )
    return findings


# --- storing --------------------------------------------------------------------------------


def identity_of(signal: Signal | Finding) -> tuple:
    """What makes a signal the same signal: its cluster, or its place, kind and source."""
    if signal.cluster_id is not None:
        return ("cluster", signal.cluster_id)
    return (signal.topic_id, signal.municipality_id, signal.kind, signal.source)


def existing_signals(crisis_id: int, day: date, findings: list[Finding]) -> dict[tuple, Signal]:
    """The stored signals the findings may update, by identity (one query, NULL-safe in Python).

    A cluster signal is found by its cluster whatever its day: a growing cluster is reported
    on the first day it is seen, not again each day the same run is looked at.
    """
    cluster_ids = [f.cluster_id for f in findings if f.cluster_id is not None]
    same_day = and_(Signal.day == day, Signal.cluster_id.is_(None))
    condition = same_day
    if cluster_ids:
        condition = same_day | Signal.cluster_id.in_(cluster_ids)
    rows = db.session.execute(
        select(Signal).where(Signal.crisis_id == crisis_id, condition)
    ).scalars()
    return {identity_of(signal): signal for signal in rows}


def store_findings(
    crisis_id: int, day: date, findings: list[Finding], now: datetime
) -> tuple[list[Signal], int]:
    """Insert new signals and update the numbers of ones found before; return them all."""
    existing = existing_signals(crisis_id, day, findings)
    stored, created = [], 0
    for finding in findings:
        signal = existing.get(identity_of(finding))
        if signal is None:
            signal = Signal(
                crisis_id=crisis_id,
                day=day,
                kind=finding.kind,
                source=finding.source,
                topic_id=finding.topic_id,
                municipality_id=finding.municipality_id,
                cluster_id=finding.cluster_id,
                detected_at=now,
            )
            db.session.add(signal)
            created += 1
        signal.observed = finding.observed
        signal.expected = finding.expected
        signal.score = finding.score
        signal.detail = finding.detail
        stored.append(signal)
    return stored, created


def detect_signals(
    crisis_id: int,
    day: date,
    *,
    now: datetime,
    notify: bool = True,
    settings: spikes.SpikeSettings | None = None,
) -> DetectionReport:
    """Find, store and (unless told not to) mail the signals of one crisis on one local day."""
    settings = settings or spikes.SpikeSettings()
    crisis = db.session.get(Crisis, crisis_id)
    if crisis is None:
        raise NotFound("Deze crisis bestaat niet.")
    window = baseline_window(crisis, day, settings)
    series = kcc_series(window, settings)
    online_series(window, series)
    findings = [
        *volume_findings(series, flagged_days(window), day.weekday(), settings),
        *sentiment_findings(series),
        *cluster_findings(crisis.id, day),
    ]
    signals, created = store_findings(crisis.id, day, findings, now)
    raised = [signal for signal in signals if signal in db.session.new]  # not flushed yet
    db.session.flush()  # their ids, for the webhook payloads
    for signal in raised:
        emit_event(WebhookEvent.SIGNAL_RAISED, signal, now=now)
    db.session.commit()
    mail = notify_subscribers(crisis, day, now=now) if notify else MailReport()
    return DetectionReport(day=day, signals=signals, created=created, mail=mail)


# --- reading --------------------------------------------------------------------------------


def where_of(signal: Signal) -> str:
    """Where a signal is, in words: topic and municipality, or the whole crisis."""
    topic = f"onderwerp {signal.topic.name}" if signal.topic else "alle onderwerpen"
    place = f"gemeente {signal.municipality.name}" if signal.municipality else "alle gemeenten"
    return f"{topic}, {place}"


def whole_number(value: float) -> str:
    """A count as a whole number; an expectation rounded to one."""
    return str(round(value))


def describe_signal(signal: Signal) -> str:
    """Observed against expected in words: '47 vragen, verwacht 12'."""
    if signal.kind == SignalKind.VOLUME.value:
        what = "vragen" if signal.source == SignalSource.KCC.value else "berichten online"
        return f"{whole_number(signal.observed)} {what}, verwacht {whole_number(signal.expected)}"
    return signal.detail


def source_label(signal: Signal) -> str:
    """Dutch name of where the counted messages come from."""
    return "KCC" if signal.source == SignalSource.KCC.value else "online"


def signals_order() -> list:
    """Unacknowledged first, then the newest day, then the strongest."""
    return [
        case((Signal.acknowledged_at.is_(None), 0), else_=1),
        Signal.day.desc(),
        Signal.score.desc(),
        Signal.id.desc(),
    ]


def list_signals(crisis_id: int | None = None, *, page: int = 1, per_page: int = 50) -> Pagination:
    """One page of signals (of one crisis or all), unacknowledged and newest first."""
    query = select(Signal).order_by(*signals_order())
    if crisis_id is not None:
        query = query.where(Signal.crisis_id == crisis_id)
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def open_signals(crisis_id: int, limit: int = 5) -> list[Signal]:
    """The latest unacknowledged signals of a crisis, for the dashboard."""
    return list(
        db.session.execute(
            select(Signal)
            .where(Signal.crisis_id == crisis_id, Signal.acknowledged_at.is_(None))
            .order_by(*signals_order())
            .limit(limit)
        ).scalars()
    )


def signals_of_day(crisis_id: int, day: date) -> list[Signal]:
    """Every signal of a crisis on a day, strongest first."""
    return list(
        db.session.execute(
            select(Signal)
            .where(Signal.crisis_id == crisis_id, Signal.day == day)
            .order_by(Signal.kind, Signal.score.desc(), Signal.id)
        ).scalars()
    )


# --- acknowledging and subscribing ----------------------------------------------------------


def acknowledge(signal_id: int, *, user: User, now: datetime) -> Signal:
    """Mark a signal as seen and handled; the first acknowledgement stays."""
    signal = db.session.get(Signal, signal_id)
    if signal is None:
        raise NotFound("Dit signaal bestaat niet.")
    if signal.acknowledged_at is None:
        signal.acknowledged_by_id = user.id
        signal.acknowledged_at = now
        db.session.commit()
    return signal


def subscription_of(user: User, crisis_id: int | None) -> SignalSubscription | None:
    """The user's subscription to one crisis (None: to all crises), if any."""
    crisis_condition = (
        SignalSubscription.crisis_id.is_(None)
        if crisis_id is None
        else SignalSubscription.crisis_id == crisis_id
    )
    return db.session.execute(
        select(SignalSubscription).where(SignalSubscription.user_id == user.id, crisis_condition)
    ).scalar_one_or_none()


def subscribed_crises(user: User) -> set[int | None]:
    """The crises (None: all) whose signals the user receives by e-mail."""
    return set(
        db.session.execute(
            select(SignalSubscription.crisis_id).where(SignalSubscription.user_id == user.id)
        ).scalars()
    )


def subscribe(user: User, crisis_id: int | None) -> None:
    """Receive the signals of a crisis (None: of every crisis) by e-mail."""
    if crisis_id is not None and db.session.get(Crisis, crisis_id) is None:
        raise NotFound("Deze crisis bestaat niet.")
    if subscription_of(user, crisis_id) is None:
        db.session.add(SignalSubscription(user_id=user.id, crisis_id=crisis_id))
        db.session.commit()


def unsubscribe(user: User, crisis_id: int | None) -> None:
    """Stop receiving the signals of a crisis (None: the subscription to every crisis)."""
    subscription = subscription_of(user, crisis_id)
    if subscription is not None:
        db.session.delete(subscription)
        db.session.commit()


# --- e-mail ---------------------------------------------------------------------------------


def subscribers_of(crisis_id: int) -> list[User]:
    """Users subscribed to this crisis or to all, who want mail (each once)."""
    users = db.session.execute(
        select(User)
        .join(SignalSubscription, SignalSubscription.user_id == User.id)
        .where((SignalSubscription.crisis_id == crisis_id) | SignalSubscription.crisis_id.is_(None))
        .order_by(User.id)
    ).scalars()
    unique = {user.id: user for user in users}
    return [user for user in unique.values() if wants_mail(user)]


def signals_link(crisis_id: int) -> str:
    """A link to the crisis's signals, when a request or SERVER_NAME makes one possible."""
    try:
        return url_for("insight.signals", crisis_id=crisis_id, _external=True)
    except RuntimeError:
        return f"/insights/signals?crisis_id={crisis_id}"


def mail_body(crisis: Crisis, day: date, signals: Iterable[Signal]) -> str:
    """The e-mail's text: one line per signal, then the link."""
    lines = [f"Nieuwe signalen voor {crisis.name} op {day:%d-%m-%Y}:", ""]
    for signal in signals:
        lines.append(
            f"- {signal.kind_label} ({source_label(signal)}), {where_of(signal)}: "
            f"{describe_signal(signal)}"
        )
    lines += ["", f"Bekijk en bevestig ze: {signals_link(crisis.id)}", ""]
    return "\n".join(lines)


def notify_subscribers(crisis: Crisis, day: date, *, now: datetime) -> MailReport:
    """Mail each subscriber the day's signals nobody was told of yet, once, in one message.

    The signals are marked notified after the round even when a delivery failed: the failure
    is reported (the command exits with an error) and the signals are on the screen, while
    retrying would send the others the same signals twice.
    """
    report = MailReport()
    pending = [
        signal
        for signal in signals_of_day(crisis.id, day)
        if signal.notified_at is None and signal.acknowledged_at is None
    ]
    if not pending:
        return report
    settings = MailSettings.from_config(current_app.config)
    subject = f"Signalen {crisis.name} {day:%d-%m-%Y}: {len(pending)} nieuw"
    body = mail_body(crisis, day, pending)
    for user in subscribers_of(crisis.id):
        result = send_mail(OutgoingMail(to=user.email or "", subject=subject, body=body), settings)
        if result.delivered:
            report.sent += 1
        else:
            report.failed += 1
            report.errors.append(result.error)
    for signal in pending:
        signal.notified_at = now
    db.session.commit()
    return report


# --- the command ----------------------------------------------------------------------------


def csv_number(value: float, digits: int) -> str:
    """A number for CSV: a whole number without decimals, otherwise rounded with a point."""
    return str(int(value)) if float(value).is_integer() else f"{value:.{digits}f}"


def signals_csv(signals: Iterable[Signal]) -> str:
    """The volume signals as CSV rows `date,topic,municipality,observed,expected,score`.

    Names come from people (a topic called '=...'): every cell is made spreadsheet-safe.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for signal in signals:
        writer.writerow(
            spreadsheet_safe(cell)
            for cell in (
                signal.day.isoformat(),
                signal.topic.name if signal.topic else "",
                signal.municipality.name if signal.municipality else "",
                csv_number(signal.observed, 1),
                csv_number(signal.expected, 1),
                csv_number(signal.score, 2),
            )
        )
    return buffer.getvalue()


@click.command("signals")
@with_appcontext
@click.option("--crisis", "crisis_code", required=True, help="Code van de crisis.")
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="De dag (JJJJ-MM-DD); standaard vandaag (Nederlandse tijd).",
)
@click.option("--no-mail", is_flag=True, help="Signalen bewaren, maar niemand mailen.")
def signals_command(crisis_code: str, day: datetime | None, no_mail: bool) -> None:
    """Detect and store a day's signals, mail new ones, print the KCC volume signals as CSV.

    Run it daily after closing time (e.g. from cron at 21:00). Sentiment, cluster and online
    signals are stored and mailed too; a summary of them goes to standard error.
    """
    now = utcnow()
    try:
        crisis = get_crisis_by_code(crisis_code)
        report = detect_signals(
            crisis.id, day.date() if day else local_today(now), now=now, notify=not no_mail
        )
    except KccError as error:
        raise click.ClickException(str(error)) from error
    volume = [
        signal
        for signal in signals_of_day(crisis.id, report.day)
        if signal.kind == SignalKind.VOLUME.value and signal.source == SignalSource.KCC.value
    ]
    click.echo(signals_csv(volume), nl=False)
    kinds = defaultdict(int)
    for signal in report.signals:
        kinds[signal.kind_label.lower()] += 1
    summary = ", ".join(f"{count}× {kind}" for kind, count in sorted(kinds.items())) or "geen"
    click.echo(
        f"{report.day:%d-%m-%Y}: {len(report.signals)} signalen ({summary}), "
        f"{report.created} nieuw; e-mail: {report.mail.sent} verstuurd, "
        f"{report.mail.failed} mislukt (om {format_local(now)}).",
        err=True,
    )
    for error in report.mail.errors:
        click.echo(f"  {error}", err=True)
    if report.mail.failed:
        raise SystemExit(1)
