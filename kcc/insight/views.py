"""Insight screens for communication advisers and coordinators: the dashboard and the crisis
timeline (signals, the weekly report and online messages add their routes from their own
modules).

Who may do what: everyone with VIEW_INSIGHTS (analyst, coordinator, admin) reads the dashboard
and the timeline. Recording a measure or event needs CURATE_FAQ (coordinator, analyst): a new
measure flags the FAQ entries that depend on an older one, so it is an editorial act, and these
are the same people who could record measures on the FAQ side before this screen replaced it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from werkzeug.wrappers import Response

from kcc.exceptions import ValidationFailed
from kcc.extensions import utcnow
from kcc.insight import charts, queries
from kcc.insight import services as insight_services
from kcc.insight.forms import DashboardFilterForm, EventFilterForm, EventForm
from kcc.insight.models import CrisisEvent, Signal
from kcc.insight.signals import open_signals
from kcc.intake.forms import CALLER_TYPE_LABELS, CHANNEL_LABELS, attach_service_errors
from kcc.localtime import LOCAL_TIMEZONE
from kcc.reference import services as reference_services
from kcc.reference.models import Crisis, Municipality
from kcc.security import Permission, permission_required, user_can

bp = Blueprint("insight", __name__)


@bp.app_template_filter("count_nl")
def count_filter(value: float) -> str:
    """A whole number the Dutch way in a template: 79.899."""
    return charts.format_count(value)


@bp.app_template_filter("share_nl")
def share_filter(value: float | None) -> str:
    """A share as a Dutch percentage in a template: 17,8%."""
    return charts.format_share(value)


@dataclass(frozen=True)
class DayRow:
    """One line of the per-day table: the day, a count per topic (in series order), total."""

    day: date
    counts: list[int]
    total: int


@dataclass(frozen=True)
class Dashboard:
    """What the dashboard page shows for one filter."""

    criteria: queries.InsightFilter
    crisis: Crisis
    municipality: Municipality | None
    overview: queries.QuestionOverview
    escalations: queries.EscalationFigures
    clusters: queries.TopClusters | None
    events: list[CrisisEvent]
    series: list[charts.Series]
    day_rows: list[DayRow]
    per_day_chart: Markup
    per_day_legend: Markup
    topics_chart: Markup
    sentiment_chart: Markup

    @property
    def description(self) -> str:
        """The filter in words, for captions and chart descriptions."""
        parts = [
            self.crisis.name,
            f"{self.criteria.start:%d-%m-%Y} tot en met {self.criteria.end:%d-%m-%Y}",
        ]
        if self.municipality:
            parts.append(f"gemeente {self.municipality.name}")
        if self.criteria.channel:
            parts.append(f"kanaal {CHANNEL_LABELS.get(self.criteria.channel, '')}".lower())
        if self.criteria.caller_type:
            label = CALLER_TYPE_LABELS.get(self.criteria.caller_type, "")
            parts.append(f"type beller {label}".lower())
        return ", ".join(parts)


def local_today(now: datetime) -> date:
    """Today in the Netherlands."""
    return now.astimezone(LOCAL_TIMEZONE).date()


def event_marks(events: list[CrisisEvent]) -> list[charts.EventMark]:
    """Number the events in date order, as the list under the charts does."""
    return [
        charts.EventMark(number=number, day=event.occurs_on, title=event.title)
        for number, event in enumerate(events, start=1)
    ]


def topic_series(
    criteria: queries.InsightFilter, overview: queries.QuestionOverview
) -> list[charts.Series]:
    """One series per topic (largest first), with its count on every day of the period."""
    positions = {day: index for index, day in enumerate(criteria.days)}
    series = []
    for share in overview.topic_shares:
        values = [0] * len(positions)
        for count in overview.per_day_and_topic:
            if count.topic_id == share.topic_id and count.day in positions:
                values[positions[count.day]] += count.questions
        series.append(charts.Series(name=share.name, values=values, key=share.topic_id))
    return series


def day_rows(days: list[date], series: list[charts.Series]) -> list[DayRow]:
    """The per-day table: the same numbers the stacked bars draw."""
    rows = []
    for index, day in enumerate(days):
        counts = [int(serie.values[index]) for serie in series]
        rows.append(DayRow(day=day, counts=counts, total=sum(counts)))
    return rows


def events_in_words(events: list[CrisisEvent]) -> str:
    """The numbered events for a chart's description."""
    if not events:
        return "Geen maatregelen of gebeurtenissen in deze periode."
    listed = "; ".join(
        f"{number}: {event.occurs_on:%d-%m-%Y} {event.title}"
        for number, event in enumerate(events, start=1)
    )
    return f"Genummerde lijnen: {listed}."


def build_dashboard(criteria: queries.InsightFilter, *, now: datetime) -> Dashboard:
    """Run the aggregate queries for the filter and draw the charts."""
    crisis = reference_services.get_crisis(criteria.crisis_id)
    municipality = (
        reference_services.get_municipality(criteria.municipality_id)
        if criteria.municipality_id
        else None
    )
    overview = queries.question_overview(criteria)
    events = queries.events_in_period(criteria)
    marks = event_marks(events)
    series = topic_series(criteria, overview)
    rows = day_rows(criteria.days, series)
    busiest = max(rows, key=lambda row: row.total, default=None)
    per_day_description = (
        f"{charts.format_count(overview.total)} vragen in {len(criteria.days)} dagen"
        + (
            f", de drukste dag {busiest.day:%d-%m-%Y} met {charts.format_count(busiest.total)}"
            if busiest and busiest.total
            else ""
        )
        + f". {events_in_words(events)} De tabel hieronder geeft alle aantallen."
    )
    negative_days = [day for day in overview.sentiment_per_day if day.negative_share is not None]
    highest = max(negative_days, key=lambda day: day.negative_share or 0.0, default=None)
    sentiment_description = (
        (
            f"Hoogste aandeel negatief: {charts.format_share(highest.negative_share)} op "
            f"{highest.day:%d-%m-%Y}. "
            if highest
            else "Geen vragen met een sentiment in deze periode. "
        )
        + events_in_words(events)
        + " De tabel hieronder geeft alle aandelen."
    )
    top = overview.topic_shares[:3]
    topics_description = (
        "Grootste onderwerpen: "
        + "; ".join(f"{share.name} {charts.format_share(share.share)}" for share in top)
        + ". De tabel hieronder geeft alle onderwerpen."
        if top
        else "Geen vragen in deze periode."
    )
    return Dashboard(
        criteria=criteria,
        crisis=crisis,
        municipality=municipality,
        overview=overview,
        escalations=queries.escalation_figures(criteria, now=now),
        clusters=queries.top_clusters(criteria),
        events=events,
        series=series,
        day_rows=rows,
        per_day_chart=charts.stacked_bar_chart(
            "grafiek-per-dag",
            title="Vragen per dag, per onderwerp",
            description=per_day_description,
            days=criteria.days,
            series=series,
            events=marks,
        ),
        per_day_legend=charts.legend("grafiek-per-dag", series),
        topics_chart=charts.horizontal_bar_chart(
            "grafiek-onderwerpen",
            title="Aandeel per onderwerp",
            description=topics_description,
            bars=[
                charts.Bar(label=share.name, count=share.questions, share=share.share)
                for share in overview.topic_shares
            ],
        ),
        sentiment_chart=charts.line_chart(
            "grafiek-sentiment",
            title="Aandeel negatieve vragen per dag",
            description=sentiment_description,
            days=criteria.days,
            values=[day.negative_share for day in overview.sentiment_per_day],
            events=marks,
        ),
    )


@bp.route("/")
@permission_required(Permission.VIEW_INSIGHTS)
def dashboard() -> str:
    """Figures and charts of one crisis over a period, filtered by the form."""
    now = utcnow()
    crises = reference_services.list_crises_with_topics()
    form = DashboardFilterForm(request.args)
    form.fill_choices(crises, reference_services.list_municipalities())
    result = None
    signals: list[Signal] = []
    # `&`, not `and`: both checks run, so every error shows at once.
    if crises and form.validate() & form.validate_period(local_today(now)):
        criteria = form.to_filter(local_today(now), default_crisis_id=crises[0].id)
        result = build_dashboard(criteria, now=now)
        signals = open_signals(criteria.crisis_id, limit=5)
        form.crisis_id.data = criteria.crisis_id
        form.start.data, form.end.data = criteria.start, criteria.end
    return render_template(
        "insight/dashboard.html",
        form=form,
        result=result,
        signals=signals,
        has_crises=bool(crises),
        now=now,
    )


@bp.route("/events", methods=["GET", "POST"])
@permission_required(Permission.VIEW_INSIGHTS)
def events() -> Response | tuple[str, int]:
    """The crisis timeline; coordinators and advisers record measures and events on it."""
    crises = reference_services.list_crises_with_topics()
    municipalities = reference_services.list_municipalities()
    may_record = user_can(Permission.CURATE_FAQ)
    if request.method == "POST" and not may_record:
        abort(403)
    form = EventForm()
    form.fill_choices(crises, municipalities)
    if may_record and form.validate_on_submit():
        try:
            recorded = insight_services.record_crisis_event(form.to_input(), user=current_user)
        except ValidationFailed as error:
            attach_service_errors(form, error)
        else:
            flash(
                f"'{recorded.event.title}' vastgelegd; {recorded.flagged} veelgestelde "
                "vraag/vragen gemarkeerd om te controleren.",
                "success",
            )
            return redirect(url_for("insight.events", crisis_id=recorded.event.crisis_id))
    filters = EventFilterForm(request.args)
    filters.fill_choices(crises)
    crisis_id = filters.crisis_id.data if filters.validate() else None
    status = 422 if request.method == "POST" else 200
    return render_template(
        "insight/events.html",
        form=form,
        filters=filters,
        may_record=may_record,
        events=insight_services.list_events(crisis_id),
    ), status
