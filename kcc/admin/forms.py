"""Forms for the administration screens: one per use case, Dutch labels, English names."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, Protocol

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FloatField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)

from kcc.auth.models import Role
from kcc.auth.services import MINIMUM_PASSWORD_LENGTH, UserInput
from kcc.reference.crisis_templates import CRISIS_TEMPLATES
from kcc.reference.services import (
    CBS_CODE_PATTERN,
    CRISIS_CODE_PATTERN,
    TOPIC_CODE_PATTERN,
    CrisisInput,
    DepartmentInput,
    MunicipalityInput,
    TopicInput,
)

NO_CHOICE_LABEL = "— geen —"
EMAIL_MESSAGE = "Vul een geldig e-mailadres in, bijvoorbeeld naam@gemeente.nl."


class AdminForm(FlaskForm):
    """Base for the admin forms: WTForms' own messages in Dutch."""

    class Meta:
        # Honoured because the config sets WTF_I18N_ENABLED = False (no Flask-Babel here).
        locales = ["nl_NL", "nl"]


class NamedRecord(Protocol):
    """A municipality or department as a select option."""

    id: int
    name: str
    is_active: bool


def strip(value: Any) -> Any:
    """Drop surrounding spaces people paste along."""
    return value.strip() if isinstance(value, str) else value


def upper(value: Any) -> Any:
    """Upper-case a code (gm0402 becomes GM0402)."""
    return value.upper() if isinstance(value, str) else value


def lower(value: Any) -> Any:
    """Lower-case a code (Corona becomes corona)."""
    return value.lower() if isinstance(value, str) else value


def optional_id(value: Any) -> int | None:
    """Coerce a select value to an id; the empty choice means none.

    The empty choice has the value "" rather than None: WTForms would render None as "None".
    """
    if value is None or value == "":
        return None
    return int(value)


def at_most(length: int) -> Length:
    """A Dutch maximum-length validator."""
    return Length(max=length, message=f"Gebruik hoogstens {length} tekens.")


def record_choices(
    records: Iterable[NamedRecord], *, current_id: int | None = None
) -> list[SelectChoice]:
    """Choices for a municipality or department select: an empty one, then active records.

    An inactive record stays selectable only where it is already chosen, so saving a form
    does not silently drop it.
    """
    choices = [SelectChoice("", NO_CHOICE_LABEL)]
    for record in records:
        if record.is_active:
            choices.append(SelectChoice(str(record.id), record.name))
        elif record.id == current_id:
            choices.append(SelectChoice(str(record.id), f"{record.name} (niet actief)"))
    return choices


ROLE_CHOICES = [SelectChoice(role.value, role.label) for role in Role]
TEMPLATE_CHOICES = [SelectChoice("", NO_CHOICE_LABEL)] + [
    SelectChoice(code, template.name) for code, template in CRISIS_TEMPLATES.items()
]


def active_field(label: str = "Actief", description: str = "") -> BooleanField:
    """A checkbox for whether something can be chosen, on by default."""
    return BooleanField(label, default=True, description=description)


def description_field() -> TextAreaField:
    """An optional free-text description."""
    return TextAreaField("Omschrijving", filters=[strip])


# Municipalities and departments: adding and editing ask the same.


class MunicipalityForm(AdminForm):
    """Add or edit a municipality."""

    cbs_code = StringField(
        "CBS-code",
        validators=[
            DataRequired(message="Vul de CBS-code in."),
            Regexp(
                CBS_CODE_PATTERN,
                message="Een CBS-code is GM met vier cijfers, bijvoorbeeld GM0402.",
            ),
        ],
        filters=[strip, upper],
        description="GM met vier cijfers, bijvoorbeeld GM0402.",
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    name = StringField(
        "Naam",
        validators=[DataRequired(message="Vul de naam van de gemeente in."), at_most(120)],
        filters=[strip],
    )
    is_active = active_field(description="Alleen actieve gemeenten zijn te kiezen.")
    submit = SubmitField("Opslaan")

    def to_municipality(self) -> MunicipalityInput:
        """The service input for these answers."""
        return MunicipalityInput(
            cbs_code=self.cbs_code.data or "",
            name=self.name.data or "",
            is_active=bool(self.is_active.data),
        )


class DepartmentForm(AdminForm):
    """Add or edit a department."""

    name = StringField(
        "Naam",
        validators=[DataRequired(message="Vul de naam van de afdeling in."), at_most(120)],
        filters=[strip],
    )
    email = EmailField(
        "E-mailadres",
        validators=[Optional(), Email(message=EMAIL_MESSAGE), at_most(254)],
        filters=[strip],
        description="Niet verplicht. Hierheen gaan meldingen over doorgezette vragen.",
        render_kw={"autocomplete": "off"},
    )
    is_active = active_field(description="Alleen actieve afdelingen zijn te kiezen.")
    submit = SubmitField("Opslaan")

    def to_department(self) -> DepartmentInput:
        """The service input for these answers."""
        return DepartmentInput(
            name=self.name.data or "",
            email=self.email.data or None,
            is_active=bool(self.is_active.data),
        )


# Crises and topics: the code is chosen once, so adding and editing differ.


def crisis_name_field() -> StringField:
    """The crisis name as users see it."""
    return StringField(
        "Naam",
        validators=[DataRequired(message="Vul de naam van de crisis in."), at_most(160)],
        filters=[strip],
    )


def start_date_field() -> DateField:
    """The day the crisis started."""
    return DateField(
        "Startdatum",
        validators=[InputRequired(message="Vul de startdatum in.")],
        invalid_value_message="Vul een geldige datum in.",
        default=date.today,
    )


def response_hours_field(*, required: bool) -> FloatField:
    """The escalation service level in working hours."""
    return FloatField(
        "Termijn doorzettingen (werkuren)",
        validators=[
            Optional(),
            NumberRange(min=0.5, max=425, message="Kies een termijn tussen 0,5 en 425 werkuren."),
        ],
        default=17.0 if required else None,
        description=(
            "Binnen hoeveel werkuren een doorgezette vraag beantwoord moet zijn; 17 is twee "
            "werkdagen (ook als u het leeg laat). Weekenden, feestdagen en uren buiten "
            "openingstijd tellen niet mee."
            if required
            else "Leeg laten: de termijn van de crisis geldt."
        ),
        render_kw={"inputmode": "decimal"},
    )


class CrisisCreateForm(AdminForm):
    """Add a crisis, optionally with the topics of a template."""

    code = StringField(
        "Code",
        validators=[
            DataRequired(message="Vul een code in."),
            Regexp(
                CRISIS_CODE_PATTERN,
                message="Gebruik voor de code alleen kleine letters, cijfers, - en _.",
            ),
            at_most(40),
        ],
        filters=[strip, lower],
        description="Kleine letters, cijfers, - en _, bijvoorbeeld overstroming-2026. "
        "De code ligt daarna vast.",
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    name = crisis_name_field()
    description = description_field()
    start_date = start_date_field()
    is_active = active_field(description="Op actieve crises registreren medewerkers vragen.")
    response_hours = response_hours_field(required=True)
    template = SelectField(
        "Sjabloon",
        choices=TEMPLATE_CHOICES,
        description="Neemt de onderwerpen van het sjabloon over, met hun standaardafdeling.",
    )
    submit = SubmitField("Crisis toevoegen")

    def to_crisis(self) -> CrisisInput:
        """The service input for the details (the code and template go alongside)."""
        return CrisisInput(
            name=self.name.data or "",
            start_date=self.start_date.data or date.today(),
            description=self.description.data or "",
            is_active=bool(self.is_active.data),
            response_hours=float(self.response_hours.data or 17.0),
        )


class CrisisEditForm(AdminForm):
    """Edit a crisis's details."""

    name = crisis_name_field()
    description = description_field()
    start_date = start_date_field()
    is_active = active_field(description="Op actieve crises registreren medewerkers vragen.")
    response_hours = response_hours_field(required=True)
    submit = SubmitField("Opslaan")

    def to_crisis(self) -> CrisisInput:
        """The service input for these answers."""
        return CrisisInput(
            name=self.name.data or "",
            start_date=self.start_date.data or date.today(),
            description=self.description.data or "",
            is_active=bool(self.is_active.data),
            response_hours=float(self.response_hours.data or 17.0),
        )


def topic_name_field() -> StringField:
    """The topic name as agents see it."""
    return StringField(
        "Naam",
        validators=[DataRequired(message="Vul de naam van het onderwerp in."), at_most(160)],
        filters=[strip],
    )


def default_department_field() -> SelectField:
    """The department that usually answers; choices come from the database."""
    return SelectField(
        "Standaardafdeling",
        coerce=optional_id,
        choices=[],
        invalid_choice_message="Kies een afdeling uit de lijst.",
        description="De afdeling die vragen over dit onderwerp meestal beantwoordt.",
    )


class TopicCreateForm(AdminForm):
    """Add a topic to a crisis."""

    code = StringField(
        "Code",
        validators=[
            DataRequired(message="Vul een code in."),
            Regexp(
                TOPIC_CODE_PATTERN,
                message="Gebruik voor de code alleen kleine letters, cijfers en _.",
            ),
            at_most(40),
        ],
        filters=[strip, lower],
        description="Kleine letters, cijfers en _, bijvoorbeeld leefgeld. "
        "De code ligt daarna vast.",
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    name = topic_name_field()
    description = description_field()
    default_department_id = default_department_field()
    is_active = active_field(description="Alleen actieve onderwerpen zijn te kiezen.")
    response_hours = response_hours_field(required=False)
    submit = SubmitField("Onderwerp toevoegen")

    def to_topic(self) -> TopicInput:
        """The service input for the details (the code goes alongside)."""
        return TopicInput(
            name=self.name.data or "",
            description=self.description.data or "",
            default_department_id=self.default_department_id.data,
            is_active=bool(self.is_active.data),
            response_hours=self.response_hours.data,
        )


class TopicEditForm(AdminForm):
    """Edit a topic's details."""

    name = topic_name_field()
    description = description_field()
    default_department_id = default_department_field()
    is_active = active_field(description="Alleen actieve onderwerpen zijn te kiezen.")
    response_hours = response_hours_field(required=False)
    submit = SubmitField("Opslaan")

    def to_topic(self) -> TopicInput:
        """The service input for these answers."""
        return TopicInput(
            name=self.name.data or "",
            description=self.description.data or "",
            default_department_id=self.default_department_id.data,
            is_active=bool(self.is_active.data),
            response_hours=self.response_hours.data,
        )


# Users: the username is chosen once; a new password is optional when editing.


def full_name_field() -> StringField:
    """The user's full name."""
    return StringField(
        "Volledige naam",
        validators=[DataRequired(message="Vul de naam in."), at_most(160)],
        filters=[strip],
        render_kw={"autocomplete": "off"},
    )


def user_email_field() -> EmailField:
    """The user's optional e-mail address."""
    return EmailField(
        "E-mailadres",
        validators=[Optional(), Email(message=EMAIL_MESSAGE), at_most(254)],
        filters=[strip],
        description="Niet verplicht.",
        render_kw={"autocomplete": "off"},
    )


def role_field() -> SelectField:
    """The role, which decides what the user may reach."""
    return SelectField(
        "Rol",
        choices=ROLE_CHOICES,
        invalid_choice_message="Kies een rol uit de lijst.",
    )


def municipality_field() -> SelectField:
    """The municipality the user works for; choices come from the database."""
    return SelectField(
        "Gemeente",
        coerce=optional_id,
        choices=[],
        invalid_choice_message="Kies een gemeente uit de lijst.",
    )


def department_field() -> SelectField:
    """The department the user works in; choices come from the database."""
    return SelectField(
        "Afdeling",
        coerce=optional_id,
        choices=[],
        invalid_choice_message="Kies een afdeling uit de lijst.",
        description="Voor vakspecialisten: hier komen de doorgezette vragen binnen.",
    )


def enabled_field() -> BooleanField:
    """Whether the user may log in."""
    return BooleanField(
        "Actief", default=True, description="Alleen actieve gebruikers kunnen inloggen."
    )


PASSWORD_HINT = f"Minstens {MINIMUM_PASSWORD_LENGTH} tekens."
PASSWORDS_DIFFER = "De wachtwoorden zijn niet gelijk."


class UserCreateForm(AdminForm):
    """Add a user with a first password."""

    username = StringField(
        "Gebruikersnaam",
        validators=[DataRequired(message="Vul een gebruikersnaam in."), at_most(80)],
        filters=[strip],
        description="Hiermee logt de gebruiker in. De gebruikersnaam ligt daarna vast.",
        render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"},
    )
    full_name = full_name_field()
    email = user_email_field()
    role = role_field()
    municipality_id = municipality_field()
    department_id = department_field()
    is_enabled = enabled_field()
    password = PasswordField(
        "Wachtwoord",
        validators=[DataRequired(message="Vul een wachtwoord in.")],
        description=PASSWORD_HINT,
        render_kw={"autocomplete": "new-password"},
    )
    password_repeat = PasswordField(
        "Herhaal wachtwoord",
        validators=[
            DataRequired(message="Herhaal het wachtwoord."),
            EqualTo("password", message=PASSWORDS_DIFFER),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Gebruiker toevoegen")

    def to_user(self) -> UserInput:
        """The service input for these answers (the password goes alongside)."""
        return UserInput(
            username=self.username.data or "",
            role=self.role.data or "",
            full_name=self.full_name.data or "",
            email=self.email.data or None,
            municipality_id=self.municipality_id.data,
            department_id=self.department_id.data,
            is_enabled=bool(self.is_enabled.data),
        )


class UserEditForm(AdminForm):
    """Edit a user; the username stays, a new password is optional."""

    full_name = full_name_field()
    email = user_email_field()
    role = role_field()
    municipality_id = municipality_field()
    department_id = department_field()
    is_enabled = enabled_field()
    # Named `password` like the service's field, so its refusals land on this field.
    password = PasswordField(
        "Nieuw wachtwoord",
        validators=[Optional()],
        description=f"Laat leeg om het wachtwoord te houden. {PASSWORD_HINT}",
        render_kw={"autocomplete": "new-password"},
    )
    password_repeat = PasswordField(
        "Herhaal nieuw wachtwoord",
        validators=[EqualTo("password", message=PASSWORDS_DIFFER)],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Opslaan")

    def to_user(self, username: str) -> UserInput:
        """The service input for these answers; the username is the stored one."""
        return UserInput(
            username=username,
            role=self.role.data or "",
            full_name=self.full_name.data or "",
            email=self.email.data or None,
            municipality_id=self.municipality_id.data,
            department_id=self.department_id.data,
            is_enabled=bool(self.is_enabled.data),
        )
