"""Forms of the online-messages screen: import an export, choose crisis and period, delete."""

from __future__ import annotations

from datetime import date, timedelta

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import DateField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional, ValidationError

from kcc.insight.queries import MAX_PERIOD_DAYS
from kcc.intake.forms import DutchForm
from kcc.reference.models import Crisis

DEFAULT_PERIOD_DAYS = 30


def crisis_choices(crises: list[Crisis]) -> list[SelectChoice]:
    """Every crisis to choose from, in the order given (active ones first)."""
    return [SelectChoice(crisis.id, crisis.name) for crisis in crises]


class ImportForm(DutchForm):
    """Upload a media-monitoring export (CSV) for a crisis."""

    # Own ids: the period form on the same page has a crisis field too.
    crisis_id = SelectField(
        "Crisis", id="import-crisis", coerce=int, validators=[InputRequired("Kies een crisis.")]
    )
    export = FileField(
        "Export van de mediamonitor (CSV)",
        validators=[
            FileRequired("Kies een bestand."),
            FileAllowed(["csv", "txt"], "Kies een CSV-bestand (.csv)."),
        ],
    )

    def fill_choices(self, crises: list[Crisis]) -> None:
        """Offer every crisis."""
        self.crisis_id.choices = crisis_choices(crises)


class PeriodForm(FlaskForm):
    """Crisis and period of the comparison (query string: no CSRF)."""

    class Meta:
        csrf = False
        locales = ["nl_NL", "nl"]

    crisis_id = SelectField("Crisis", id="periode-crisis", coerce=int, validators=[Optional()])
    start = DateField("Van", id="periode-van", validators=[Optional()], format="%Y-%m-%d")
    end = DateField("Tot en met", id="periode-tot", validators=[Optional()], format="%Y-%m-%d")

    def fill_choices(self, crises: list[Crisis]) -> None:
        """Offer every crisis."""
        self.crisis_id.choices = crisis_choices(crises)

    def validate_end(self, field: DateField) -> None:
        """The end is not before the start, and the period at most MAX_PERIOD_DAYS long."""
        if field.data and self.start.data:
            if field.data < self.start.data:
                raise ValidationError("De einddatum ligt voor de begindatum.")
            if (field.data - self.start.data).days >= MAX_PERIOD_DAYS:
                raise ValidationError(f"Kies een periode van hoogstens {MAX_PERIOD_DAYS} dagen.")

    def period(self, today: date) -> tuple[date, date]:
        """The chosen period, or the last DEFAULT_PERIOD_DAYS days up to today."""
        if self.errors:
            return today - timedelta(days=DEFAULT_PERIOD_DAYS - 1), today
        end = self.end.data or today
        start = self.start.data or end - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
        if start > end:
            start = end - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
        return start, end


class DeleteImportForm(DutchForm):
    """Delete an import: only the CSRF token; the import is in the URL."""
