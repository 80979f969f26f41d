"""Forms of the cluster screens: start a run, merge, split, draft, compare two runs."""

from __future__ import annotations

import re

from wtforms import IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from kcc.faq.clusters import MAX_DAYS, ClusterRun
from kcc.intake.forms import DutchForm
from kcc.localtime import format_local
from kcc.reference.models import Crisis

DEFAULT_DAYS = 14
LABEL_SEPARATORS = re.compile(r"[\s,;]+")


class RunForm(DutchForm):
    """Cluster a crisis's questions of the last few days."""

    crisis_id = SelectField("Crisis", coerce=int, validators=[InputRequired("Kies een crisis.")])
    days = IntegerField(
        "Aantal dagen terug",
        default=DEFAULT_DAYS,
        validators=[
            InputRequired("Vul het aantal dagen in."),
            NumberRange(min=1, max=MAX_DAYS, message=f"Kies 1 tot {MAX_DAYS} dagen."),
        ],
    )

    def fill_choices(self, crises: list[Crisis]) -> None:
        """Offer every crisis, active ones first."""
        self.crisis_id.choices = [SelectChoice(c.id, c.name) for c in crises]


class DraftForm(DutchForm):
    """ "Maak FAQ": only the CSRF token; the cluster is in the URL."""


class MergeForm(DutchForm):
    """Merge other clusters of the run, named by their numbers, with this one."""

    labels = StringField(
        "Samenvoegen met cluster(s)",
        validators=[DataRequired("Vul een of meer clusternummers in."), Length(max=200)],
    )

    def validate_labels(self, field: StringField) -> None:
        """Numbers only, separated by commas or spaces."""
        parts = [part for part in LABEL_SEPARATORS.split(field.data or "") if part]
        if not parts or not all(part.isdigit() for part in parts):
            raise ValidationError("Vul clusternummers in, gescheiden door komma's.")

    def to_labels(self) -> list[int]:
        """The cluster numbers typed."""
        return [int(part) for part in LABEL_SEPARATORS.split(self.labels.data or "") if part]


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes, one per choice, each with its own label."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SplitForm(DutchForm):
    """The members ticked on this page become a cluster of their own."""

    question_ids = MultiCheckboxField(
        "Vragen die een eigen cluster worden",
        coerce=int,
        # The service checks that each ticked question is a member; the page only shows some.
        validate_choice=False,
        validators=[DataRequired("Kies de vragen die een eigen cluster worden.")],
    )

    def fill_choices(self, members: list[tuple[int, str]]) -> None:
        """One checkbox per member on the page: (question id, label text)."""
        self.question_ids.choices = [SelectChoice(qid, text) for qid, text in members]


class CompareForm(DutchForm):
    """Pick two runs of a crisis; read from the query string, so no CSRF token."""

    class Meta:
        csrf = False

    earlier = SelectField("Eerdere run", coerce=int, validators=[InputRequired()])
    later = SelectField("Latere run", coerce=int, validators=[InputRequired()])

    def fill_choices(self, runs: list[ClusterRun]) -> None:
        """Offer the given runs, labelled by number, date and period."""
        choices = [SelectChoice(run.id, run_label(run)) for run in runs]
        self.earlier.choices = choices
        self.later.choices = choices


def run_label(run: ClusterRun) -> str:
    """A run as a choice: its number, when it ran, and its period."""
    return f"Run {run.id} ({format_local(run.created_at)}, {run.days} dagen)"
