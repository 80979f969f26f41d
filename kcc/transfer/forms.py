"""Forms of the import and export screens."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, RadioField, SelectField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional, ValidationError

from kcc.intake.forms import CHANNEL_LABELS, DutchForm, optional_int
from kcc.reference.models import Crisis, Municipality
from kcc.transfer.exporting import ExportFilter
from kcc.transfer.mapping import REQUIRED_TARGETS, TARGET_LABELS, TARGETS, ColumnMapping

NOT_USED = SelectChoice("", "— niet gebruiken —")
ALL_OR_NOTHING = "alles"
SKIP_TICKED = "overslaan"


class UploadForm(DutchForm):
    """Step 1: the crisis the registrations belong to, and the file."""

    crisis_id = SelectField("Crisis", coerce=int, validators=[InputRequired("Kies een crisis.")])
    file = FileField("Bestand (CSV of Excel .xlsx)", validators=[FileRequired("Kies een bestand.")])

    def fill_choices(self, crises: list[Crisis]) -> None:
        """Offer every crisis (active ones first)."""
        self.crisis_id.choices = [SelectChoice(crisis.id, crisis.name) for crisis in crises]


class MappingForm(DutchForm):
    """Step 2: which column holds which field; one select per field (added below)."""

    def fill_choices(self, headers: list[str]) -> None:
        """Offer the file's columns for every field."""
        choices = [NOT_USED, *(SelectChoice(name, name) for name in dict.fromkeys(headers))]
        for target in TARGETS:
            self[target].choices = choices

    def fill_from(self, mapping: ColumnMapping) -> None:
        """Pre-select a remembered or guessed mapping."""
        for target in TARGETS:
            self[target].data = mapping.get(target, "")

    def to_mapping(self) -> ColumnMapping:
        """Field -> column name for the chosen columns."""
        return {target: self[target].data for target in TARGETS if self[target].data}

    def validate(self, extra_validators: object = None) -> bool:  # type: ignore[override]
        """Also refuse one column for two fields (a date is never also the question)."""
        valid = super().validate(extra_validators)  # type: ignore[arg-type]
        seen: dict[str, str] = {}
        for target in TARGETS:
            column = self[target].data
            if not column:
                continue
            if column in seen:
                self[target].errors = [
                    *self[target].errors,
                    f"Kolom {column!r} is al gekozen voor {TARGET_LABELS[seen[column]]}.",
                ]
                valid = False
            seen.setdefault(column, target)
        return valid


for _target in TARGETS:
    _validators = (
        [InputRequired(f"Kies de kolom voor {TARGET_LABELS[_target].lower()}.")]
        if _target in REQUIRED_TARGETS
        else [Optional()]
    )
    setattr(
        MappingForm,
        _target,
        SelectField(TARGET_LABELS[_target], validators=_validators, validate_choice=False),
    )


class PreviewForm(DutchForm):
    """Step 3: all-or-nothing, or skip the ticked rows; the checkboxes are in the table."""

    mode = RadioField(
        "Hoe importeren?",
        choices=[
            SelectChoice(
                ALL_OR_NOTHING,
                "Alles of niets: importeer alleen als geen enkele rij een probleem heeft",
            ),
            SelectChoice(SKIP_TICKED, "Sla de aangevinkte rijen over en importeer de rest"),
        ],
        default=ALL_OR_NOTHING,
        validators=[InputRequired("Kies hoe u wilt importeren.")],
    )
    skip = SelectMultipleField("Overslaan", coerce=int, validate_choice=False)

    @property
    def all_or_nothing(self) -> bool:
        """Tell whether any problem must stop the import."""
        return self.mode.data != SKIP_TICKED


class ExportForm(FlaskForm):
    """The export's filter (query string: no CSRF, nothing changes)."""

    class Meta:
        csrf = False
        locales = ["nl_NL", "nl"]

    crisis_id = SelectField("Crisis", coerce=optional_int, validate_choice=False)
    municipality_id = SelectField("Gemeente", coerce=optional_int, validate_choice=False)
    start = DateField("Van", validators=[Optional()], format="%Y-%m-%d")
    end = DateField("Tot en met", validators=[Optional()], format="%Y-%m-%d")
    channel = SelectField(
        "Kanaal",
        choices=[SelectChoice("", "Alle kanalen")]
        + [SelectChoice(channel.value, label) for channel, label in CHANNEL_LABELS.items()],
        validators=[Optional()],
    )
    topic_id = SelectField("Onderwerp", coerce=optional_int, validate_choice=False)

    def fill_choices(self, crises: list[Crisis], municipalities: list[Municipality]) -> None:
        """Offer the crises, municipalities and every crisis's topics."""
        self.crisis_id.choices = [
            SelectChoice("", "Alle crises"),
            *(SelectChoice(str(crisis.id), crisis.name) for crisis in crises),
        ]
        self.municipality_id.choices = [
            SelectChoice("", "Alle gemeenten"),
            *(SelectChoice(str(m.id), m.name) for m in municipalities),
        ]
        self.topic_id.choices = [
            SelectChoice("", "Alle onderwerpen"),
            *(
                SelectChoice(str(topic.id), f"{crisis.name}: {topic.name}")
                for crisis in crises
                for topic in crisis.topics
            ),
        ]

    def validate_end(self, field: DateField) -> None:
        """The end is not before the start."""
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError("De einddatum ligt voor de begindatum.")

    def to_filter(self) -> ExportFilter:
        """The service's filter."""
        return ExportFilter(
            crisis_id=self.crisis_id.data,
            municipality_id=self.municipality_id.data,
            start=self.start.data,
            end=self.end.data,
            channel=self.channel.data or None,
            topic_id=self.topic_id.data,
        )
