"""The registration form; the API fills the same form, so both share every rule."""

from __future__ import annotations

from collections.abc import Mapping

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TelField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from kcc.classification.models import Sentiment
from kcc.escalation.models import Priority
from kcc.exceptions import ValidationFailed
from kcc.intake.models import (
    AnswerSource,
    CallerType,
    Channel,
    ContactPreference,
    QuestionEventKind,
    QuestionStatus,
)
from kcc.intake.queries import SearchCriteria
from kcc.intake.services import (
    MAX_ANSWER_LENGTH,
    MAX_QUESTION_LENGTH,
    ContactInput,
    QuestionInput,
)
from kcc.reference.models import Crisis, Municipality

CHANNEL_LABELS = {
    Channel.TELEFOON: "Telefoon",
    Channel.EMAIL: "E-mail",
    Channel.BALIE: "Balie",
    Channel.CHAT: "Chat",
    Channel.SOCIAL_MEDIA: "Social media",
    Channel.BRIEF: "Brief",
}
CALLER_TYPE_LABELS = {
    CallerType.INWONER: "Inwoner",
    CallerType.ONDERNEMER: "Ondernemer",
    CallerType.INSTELLING: "Instelling",
    CallerType.PERS: "Pers",
    CallerType.OVERIG: "Overig",
}
STATUS_LABELS = {
    QuestionStatus.BEANTWOORD: "Beantwoord",
    QuestionStatus.DOORGEZET: "Doorgezet",
    QuestionStatus.OPEN: "Open",
    QuestionStatus.AFGESLOTEN: "Afgesloten",
}
EVENT_LABELS = {
    QuestionEventKind.REGISTERED: "Geregistreerd",
    QuestionEventKind.LINKED: "Gekoppeld aan een eerder contact",
    QuestionEventKind.EMAIL_REPLY: "Reactie per e-mail ontvangen",
}
CONTACT_PREFERENCE_LABELS = {
    ContactPreference.TELEFOON: "Telefoon",
    ContactPreference.EMAIL: "E-mail",
}


ANY = SelectChoice("", "Alle")  # the filter that does not filter


def optional_int(value: object) -> int | None:
    """Coerce a hidden/select value to int; empty means None."""
    if value in (None, "", "None"):
        return None
    return int(str(value))


def attach_service_errors(
    form: FlaskForm,
    error: ValidationFailed,
    *,
    aliases: Mapping[str, str] | None = None,
    fallback: str | None = None,
) -> None:
    """Show each of a service's rule violations next to its field.

    `aliases` maps a service's field name to the form's; a message about a field the form does
    not have goes to `fallback` (or the first field), so no message is ever dropped.
    """
    for service_field, messages in error.errors.items():
        name = (aliases or {}).get(service_field, service_field)
        if name not in form:
            name = fallback or next(iter(form)).name
        field = form[name]
        field.errors = [*field.errors, *messages]


class DutchForm(FlaskForm):
    """WTForms' own messages in Dutch (the config sets WTF_I18N_ENABLED = False)."""

    class Meta:
        locales = ["nl_NL", "nl"]


class QuestionForm(DutchForm):
    """Register one question: the KCC agent's main screen."""

    channel = SelectField(
        "Kanaal",
        choices=[SelectChoice(c.value, label) for c, label in CHANNEL_LABELS.items()],
        validators=[InputRequired(message="Kies het kanaal.")],
    )
    caller_type = SelectField(
        "Type beller",
        choices=[SelectChoice(c.value, label) for c, label in CALLER_TYPE_LABELS.items()],
        validators=[InputRequired(message="Kies het type beller.")],
    )
    municipality_id = SelectField(
        "Gemeente", coerce=optional_int, validators=[InputRequired(message="Kies de gemeente.")]
    )
    crisis_id = SelectField(
        "Crisis", coerce=optional_int, validators=[InputRequired(message="Kies de crisis.")]
    )
    text = TextAreaField(
        "Vraag",
        validators=[
            DataRequired(message="Vul de vraag in."),
            Length(
                max=MAX_QUESTION_LENGTH,
                message=f"De vraag is te lang: maximaal {MAX_QUESTION_LENGTH} tekens.",
            ),
        ],
        render_kw={"rows": 5, "maxlength": MAX_QUESTION_LENGTH, "autofocus": True},
    )
    answer = TextAreaField(
        "Gegeven antwoord",
        validators=[
            Optional(),
            Length(
                max=MAX_ANSWER_LENGTH,
                message=f"Het antwoord is te lang: maximaal {MAX_ANSWER_LENGTH} tekens.",
            ),
        ],
        render_kw={"rows": 4, "maxlength": MAX_ANSWER_LENGTH},
    )
    # Optional: left empty the classifier decides; chosen by the agent they become labels.
    topic_id = SelectField("Onderwerp", coerce=optional_int, validate_choice=False)
    sentiment = SelectField(
        "Sentiment",
        choices=[
            SelectChoice("", "— automatisch —"),
            *(SelectChoice(s.value, s.value.capitalize()) for s in Sentiment),
        ],
        validators=[Optional()],
    )
    escalate = BooleanField("Doorzetten naar coördinator")
    callback_requested = BooleanField("Beller wil teruggebeld of gemaild worden")
    # Escalations only; empty is normaal, and rules raise it (pers, negative sentiment).
    priority = SelectField(
        "Prioriteit bij doorzetten",
        choices=[
            SelectChoice("", "Normaal"),
            *(SelectChoice(p.value, p.label) for p in Priority if p != Priority.NORMAAL),
        ],
        validators=[Optional()],
    )
    contact_name = StringField("Naam", validators=[Optional(), Length(max=160)])
    contact_phone = TelField(
        "Telefoonnummer",
        validators=[Optional(), Length(max=40)],
        render_kw={"autocomplete": "off", "inputmode": "tel"},
    )
    contact_email = EmailField(
        "E-mailadres",
        validators=[
            Optional(),
            Length(max=254),
            Email(message="Dit is geen geldig e-mailadres.", check_deliverability=False),
        ],
        render_kw={"autocomplete": "off"},
    )
    preferred_contact = RadioField(
        "Gewenste manier van contact",
        choices=[SelectChoice(p.value, label) for p, label in CONTACT_PREFERENCE_LABELS.items()],
        validators=[Optional()],
        default=ContactPreference.TELEFOON.value,
    )
    # Chosen from the caller's earlier contacts; the options are rendered by the template.
    related_question_id = RadioField(
        "Koppelen aan een eerder contact", coerce=optional_int, validate_choice=False
    )
    answer_source_kind = HiddenField(validators=[Optional()], filters=[lambda value: value or None])
    answer_source_id = HiddenField(filters=[optional_int])
    submission_token = HiddenField(validators=[Length(max=64)])
    submit = SubmitField("Opslaan")
    lookup_history = SubmitField("Zoek eerdere contacten")

    def fill_choices(self, municipalities: list[Municipality], crises: list[Crisis]) -> None:
        """Offer the active municipalities, crises and their topics (grouped per crisis)."""
        self.municipality_id.choices = [
            SelectChoice(str(m.id), f"{m.name} ({m.cbs_code})") for m in municipalities
        ]
        self.crisis_id.choices = [SelectChoice(str(c.id), c.name) for c in crises]
        self.topic_id.choices = [
            SelectChoice("", "— automatisch —"),
            *(
                SelectChoice(str(t.id), t.name, optgroup=c.name)
                for c in crises
                for t in c.topics
                if t.is_active
            ),
        ]

    def validate_answer_source_kind(self, field: HiddenField) -> None:
        """Only known suggestion sources are recorded."""
        if field.data and field.data not in {source.value for source in AnswerSource}:
            field.data = None

    def to_question_input(self) -> QuestionInput:
        """Build the service input from the validated form."""
        return QuestionInput(
            channel=self.channel.data or "",
            caller_type=self.caller_type.data or "",
            municipality_id=self.municipality_id.data or 0,
            crisis_id=self.crisis_id.data or 0,
            text=self.text.data or "",
            answer=self.answer.data or "",
            escalate=bool(self.escalate.data),
            callback_requested=bool(self.callback_requested.data),
            contact=self.to_contact_input(),
            related_question_id=self.related_question_id.data,
            answer_source_kind=self.answer_source_kind.data,
            answer_source_id=self.answer_source_id.data,
            submission_token=self.submission_token.data or None,
            topic_id=self.topic_id.data,
            priority=self.priority.data or None,
            sentiment=self.sentiment.data or None,
        )

    def to_contact_input(self) -> ContactInput:
        """The contact part of the form."""
        return ContactInput(
            name=self.contact_name.data or "",
            phone=self.contact_phone.data or "",
            email=self.contact_email.data or "",
            preferred_contact=self.preferred_contact.data or "",
        )


# The service names fields by their meaning; the form prefixes the contact ones.
SERVICE_FIELD_TO_FORM_FIELD = {
    "phone": "contact_phone",
    "email": "contact_email",
    "name": "contact_name",
}


class SearchForm(DutchForm):
    """Filters of the question list; read from the query string, so no CSRF token."""

    class Meta:
        csrf = False

    q = StringField("Zoekwoorden", validators=[Optional(), Length(max=200)])
    crisis_id = SelectField("Crisis", coerce=optional_int, validate_choice=False)
    municipality_id = SelectField("Gemeente", coerce=optional_int, validate_choice=False)
    topic_id = SelectField("Onderwerp", coerce=optional_int, validate_choice=False)
    status = SelectField(
        "Status",
        choices=[ANY, *(SelectChoice(s.value, label) for s, label in STATUS_LABELS.items())],
        validators=[Optional()],
    )
    channel = SelectField(
        "Kanaal",
        choices=[ANY, *(SelectChoice(c.value, label) for c, label in CHANNEL_LABELS.items())],
        validators=[Optional()],
    )
    date_from = DateField("Vanaf datum", validators=[Optional()], render_kw={"autocomplete": "off"})
    date_to = DateField("Tot en met datum", validators=[Optional()])

    def fill_choices(self, municipalities: list[Municipality], crises: list[Crisis]) -> None:
        """Offer every crisis (closed ones too: people look back), its topics, municipalities."""
        self.crisis_id.choices = [ANY, *(SelectChoice(str(c.id), c.name) for c in crises)]
        self.municipality_id.choices = [
            ANY,
            *(SelectChoice(str(m.id), m.name) for m in municipalities),
        ]
        self.topic_id.choices = [
            ANY,
            *(SelectChoice(str(t.id), f"{c.name}: {t.name}") for c in crises for t in c.topics),
        ]

    def validate_date_to(self, field: DateField) -> None:
        """An end before the start finds nothing; say so instead."""
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("De einddatum ligt voor de begindatum.")

    def to_criteria(self) -> SearchCriteria:
        """The validated filters as query criteria."""
        return SearchCriteria(
            text=self.q.data or "",
            crisis_id=self.crisis_id.data,
            municipality_id=self.municipality_id.data,
            topic_id=self.topic_id.data,
            status=self.status.data or None,
            channel=self.channel.data or None,
            date_from=self.date_from.data,
            date_to=self.date_to.data,
        )
