"""Forms of the queue, the item page and the e-mail templates."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from kcc.auth.models import User
from kcc.escalation.mailing import MAX_SUBJECT_LENGTH
from kcc.escalation.models import CallOutcome, EscalationState, FollowUpKind, Priority
from kcc.escalation.queries import QueueFilter, QueueView
from kcc.escalation.services import MAX_NOTE_LENGTH
from kcc.intake.forms import ANY, DutchForm, optional_int
from kcc.reference.models import Crisis, Department, Municipality

PRIORITY_CHOICES = [SelectChoice(p.value, p.label) for p in Priority]
STATE_CHOICES = [SelectChoice(s.value, s.label) for s in EscalationState]
OUTCOME_CHOICES = [SelectChoice(o.value, o.label) for o in CallOutcome]
NOTE_LENGTH = Length(max=MAX_NOTE_LENGTH, message=f"Maximaal {MAX_NOTE_LENGTH} tekens.")


class VersionedForm(DutchForm):
    """A change to an item names the version the user saw (see services)."""

    version = HiddenField(filters=[lambda value: int(value) if str(value).isdigit() else None])


class QueueFilterForm(DutchForm):
    """The queue's filters; read from the query string, so no CSRF token."""

    class Meta:
        csrf = False

    view = SelectField(
        "Weergave",
        choices=[SelectChoice(v.value, v.label) for v in QueueView],
        validators=[Optional()],
    )
    state = SelectField("Status", choices=[ANY, *STATE_CHOICES], validators=[Optional()])
    priority = SelectField("Prioriteit", choices=[ANY, *PRIORITY_CHOICES], validators=[Optional()])
    crisis_id = SelectField("Crisis", coerce=optional_int, validate_choice=False)
    municipality_id = SelectField("Gemeente", coerce=optional_int, validate_choice=False)
    department_id = SelectField("Afdeling", coerce=optional_int, validate_choice=False)
    topic_id = SelectField("Onderwerp", coerce=optional_int, validate_choice=False)

    def fill_choices(
        self,
        crises: list[Crisis],
        municipalities: list[Municipality],
        departments: list[Department],
    ) -> None:
        """Offer every crisis with its topics, the municipalities and the departments."""
        self.crisis_id.choices = [ANY, *(SelectChoice(str(c.id), c.name) for c in crises)]
        self.municipality_id.choices = [
            ANY,
            *(SelectChoice(str(m.id), m.name) for m in municipalities),
        ]
        self.department_id.choices = [
            ANY,
            *(SelectChoice(str(d.id), d.name) for d in departments),
        ]
        self.topic_id.choices = [
            ANY,
            *(SelectChoice(str(t.id), f"{c.name}: {t.name}") for c in crises for t in c.topics),
        ]

    def to_filter(self, default_view: QueueView) -> QueueFilter:
        """The filter the form describes; invalid values are ignored."""
        view = self.view.data if self.view.data in set(QueueView) else default_view
        return QueueFilter(
            view=QueueView(view),
            state=self.state.data or "",
            priority=self.priority.data or "",
            crisis_id=self.crisis_id.data,
            municipality_id=self.municipality_id.data,
            department_id=self.department_id.data,
            topic_id=self.topic_id.data,
        )


class SavedViewForm(DutchForm):
    """Save the current filters under a name."""

    # Checked by the service: a flash message suits this one-field form in the queue's header.
    name = StringField("Naam van de weergave", validators=[Optional(), Length(max=80)])
    query = HiddenField(validators=[Length(max=1000)])


class ClaimForm(VersionedForm):
    """Take an item: it becomes yours."""


class AssignForm(VersionedForm):
    """Route an item to a department and/or a specialist."""

    department_id = SelectField("Afdeling", coerce=optional_int, validate_choice=False)
    assignee_id = SelectField("Behandelaar", coerce=optional_int, validate_choice=False)

    def fill_choices(self, departments: list[Department], specialists: list[User]) -> None:
        """Offer the active departments and the people who answer escalations."""
        self.department_id.choices = [
            SelectChoice("", "— geen —"),
            *(SelectChoice(str(d.id), d.name) for d in departments),
        ]
        self.assignee_id.choices = [
            SelectChoice("", "— nog niemand —"),
            *(
                SelectChoice(
                    str(u.id),
                    f"{u.display_name} ({u.department.name})" if u.department else u.display_name,
                )
                for u in specialists
            ),
        ]


class TransitionForm(VersionedForm):
    """Move an item to another state; the buttons carry the target state."""

    state = StringField(validators=[InputRequired(message="Kies een nieuwe status.")])
    note = TextAreaField(
        "Toelichting",
        validators=[Optional(), NOTE_LENGTH],
        render_kw={"rows": 2},
    )


class PriorityForm(VersionedForm):
    """The coordinator changes the priority."""

    priority = SelectField("Prioriteit", choices=PRIORITY_CHOICES)


class FollowUpForm(DutchForm):
    """Log a call attempt or an internal note."""

    kind = RadioField(
        "Soort",
        choices=[
            SelectChoice(FollowUpKind.CALL.value, "Belpoging"),
            SelectChoice(FollowUpKind.NOTE.value, "Interne notitie"),
        ],
        default=FollowUpKind.CALL.value,
        validators=[InputRequired(message="Kies belpoging of notitie.")],
    )
    outcome = SelectField(
        "Uitkomst van de belpoging",
        choices=[SelectChoice("", "—"), *OUTCOME_CHOICES],
        validators=[Optional()],
    )
    body = TextAreaField("Notitie", validators=[Optional(), NOTE_LENGTH], render_kw={"rows": 3})


class AnswerForm(VersionedForm):
    """The final answer: stored with the question for suggestions and the FAQ."""

    body = TextAreaField(
        "Definitief antwoord",
        validators=[DataRequired(message="Vul het antwoord in."), NOTE_LENGTH],
        render_kw={"rows": 6},
    )
    mark_answered = BooleanField("Markeer de vraag meteen als beantwoord", default=True)


class EmailForm(DutchForm):
    """An e-mail to the caller, prefilled from a template and editable before sending."""

    template_id = SelectField("Sjabloon", coerce=optional_int, validate_choice=False)
    to = EmailField(
        "Aan",
        validators=[DataRequired(message="Vul het e-mailadres in."), Length(max=254)],
    )
    subject = StringField(
        "Onderwerp",
        validators=[DataRequired(message="Vul het onderwerp in."), Length(max=MAX_SUBJECT_LENGTH)],
    )
    body = TextAreaField(
        "Tekst",
        validators=[DataRequired(message="Vul de tekst in."), NOTE_LENGTH],
        render_kw={"rows": 14},
    )


class RetryForm(DutchForm):
    """Send a failed e-mail again."""


class EscalateForm(DutchForm):
    """Escalate a question registered earlier; contact details only if it has none."""

    priority = SelectField(
        "Prioriteit",
        choices=[
            SelectChoice("", "Normaal (regels kunnen verhogen)"),
            *(choice for choice in PRIORITY_CHOICES if choice.value != Priority.NORMAAL),
        ],
        validators=[Optional()],
    )
    reason = TextAreaField(
        "Waarom doorzetten?", validators=[Optional(), NOTE_LENGTH], render_kw={"rows": 3}
    )
    contact_name = StringField("Naam", validators=[Optional(), Length(max=160)])
    contact_phone = StringField("Telefoonnummer", validators=[Optional(), Length(max=40)])
    contact_email = EmailField("E-mailadres", validators=[Optional(), Length(max=254)])
    contact_preference = RadioField(
        "Contact bij voorkeur via",
        choices=[SelectChoice("telefoon", "Telefoon"), SelectChoice("e-mail", "E-mail")],
        validators=[Optional()],
    )


class TemplateForm(DutchForm):
    """An e-mail template of a crisis."""

    crisis_id = SelectField("Crisis", coerce=optional_int, validate_choice=False)
    name = StringField(
        "Naam", validators=[DataRequired(message="Vul een naam in."), Length(max=120)]
    )
    subject = StringField(
        "Onderwerp",
        validators=[DataRequired(message="Vul het onderwerp in."), Length(max=MAX_SUBJECT_LENGTH)],
    )
    body = TextAreaField(
        "Tekst",
        validators=[DataRequired(message="Vul de tekst in."), NOTE_LENGTH],
        render_kw={"rows": 14},
    )
    is_active = BooleanField("Actief", default=True)

