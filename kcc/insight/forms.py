"""Forms of the insight screens: the dashboard's filters and recording a measure or event."""

from __future__ import annotations

from datetime import date, timedelta

from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from kcc.insight.models import EventKind
from kcc.insight.queries import MAX_PERIOD_DAYS, InsightFilter
from kcc.insight.services import EventInput
from kcc.intake.forms import ANY, CALLER_TYPE_LABELS, CHANNEL_LABELS, DutchForm, optional_int
from kcc.reference.models import Crisis, Municipality

REGION = SelectChoice("", "Hele regio")
DEFAULT_PERIOD_DAYS = 30


class DashboardFilterForm(DutchForm):
    """The dashboard's filters; read from the query string, so no CSRF token."""

    class Meta:
        csrf = False

    crisis_id = SelectField("Crisis", coerce=optional_int, validate_choice=False)
    municipality_id = SelectField("Gemeente", coerce=optional_int, validate_choice=False)
    channel = SelectField(
        "Kanaal",
        choices=[ANY, *(SelectChoice(c.value, label) for c, label in CHANNEL_LABELS.items())],
        validators=[Optional()],
    )
    caller_type = SelectField(
        "Type beller",
        choices=[ANY, *(SelectChoice(c.value, label) for c, label in CALLER_TYPE_LABELS.items())],
        validators=[Optional()],
    )
    start = DateField(
        "Van", validators=[Optional()], format="%Y-%m-%d", render_kw={"autocomplete": "off"}
    )
    end = DateField(
        "Tot en met", validators=[Optional()], format="%Y-%m-%d", render_kw={"autocomplete": "off"}
    )

    def fill_choices(self, crises: list[Crisis], municipalities: list[Municipality]) -> None:
        """Offer the crises (no 'all': figures are per crisis) and the municipalities."""
        self.crisis_id.choices = [SelectChoice(str(c.id), c.name) for c in crises]
        self.municipality_id.choices = [
            ANY,
            *(SelectChoice(str(m.id), m.name) for m in municipalities),
        ]

    def validate_period(self, today: date) -> bool:
        """Check the crisis and the period: start before end, at most MAX_PERIOD_DAYS days."""
        start, end = self.period(today)
        ok = True
        known = {choice[0] for choice in self.crisis_id.iter_choices()}
        if self.crisis_id.data is not None and str(self.crisis_id.data) not in known:
            self.crisis_id.errors = [*self.crisis_id.errors, "Kies een crisis uit de lijst."]
            ok = False
        if start > end:
            self.end.errors = [*self.end.errors, "De einddatum ligt voor de begindatum."]
            ok = False
        elif (end - start).days + 1 > MAX_PERIOD_DAYS:
            self.start.errors = [
                *self.start.errors,
                f"Kies een periode van hoogstens {MAX_PERIOD_DAYS} dagen.",
            ]
            ok = False
        return ok

    def period(self, today: date) -> tuple[date, date]:
        """The chosen days; by default the last DEFAULT_PERIOD_DAYS days up to today."""
        end = self.end.data or today
        start = self.start.data or end - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
        return start, end

    def to_filter(self, today: date, default_crisis_id: int) -> InsightFilter:
        """The filter the form describes (call after validation)."""
        start, end = self.period(today)
        return InsightFilter(
            crisis_id=self.crisis_id.data or default_crisis_id,
            start=start,
            end=end,
            municipality_id=self.municipality_id.data,
            channel=self.channel.data or None,
            caller_type=self.caller_type.data or None,
        )


class EventForm(DutchForm):
    """Record a measure or event of a crisis."""

    crisis_id = SelectField("Crisis", coerce=optional_int, validators=[InputRequired()])
    municipality_id = SelectField("Geldt voor", coerce=optional_int, validate_choice=False)
    kind = SelectField(
        "Soort",
        choices=[SelectChoice(k.value, k.label) for k in EventKind],
        validators=[InputRequired()],
    )
    title = StringField("Titel", validators=[DataRequired("Vul een titel in."), Length(max=200)])
    description = TextAreaField("Toelichting", validators=[Optional(), Length(max=2000)])
    occurs_on = DateField(
        "Datum (ingang)",
        validators=[InputRequired("Vul de datum in (jjjj-mm-dd).")],
        format="%Y-%m-%d",
    )

    def fill_choices(self, crises: list[Crisis], municipalities: list[Municipality]) -> None:
        """Offer the crises and municipalities."""
        self.crisis_id.choices = [SelectChoice(str(c.id), c.name) for c in crises]
        self.municipality_id.choices = [
            REGION,
            *(SelectChoice(str(m.id), m.name) for m in municipalities),
        ]

    def to_input(self) -> EventInput:
        """The service input the form describes."""
        return EventInput(
            crisis_id=self.crisis_id.data,
            kind=self.kind.data or "",
            title=self.title.data or "",
            occurs_on=self.occurs_on.data,
            municipality_id=self.municipality_id.data,
            description=self.description.data or "",
        )


class EventFilterForm(DutchForm):
    """The timeline's crisis filter; read from the query string, so no CSRF token."""

    class Meta:
        csrf = False

    crisis_id = SelectField("Crisis", coerce=optional_int, validate_choice=False)

    def fill_choices(self, crises: list[Crisis]) -> None:
        """Offer every crisis, or all of them."""
        self.crisis_id.choices = [ANY, *(SelectChoice(str(c.id), c.name) for c in crises)]
