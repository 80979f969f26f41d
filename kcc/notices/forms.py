"""Forms of the notice screens: writing a notice, confirming one, withdrawing one."""

from __future__ import annotations

from datetime import UTC, datetime

from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields import DateTimeLocalField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from kcc.auth.models import ROLE_LABELS, Role
from kcc.intake.forms import DutchForm, optional_int
from kcc.localtime import LOCAL_TIMEZONE
from kcc.notices.models import Notice
from kcc.notices.services import BODY_MAX, TITLE_MAX, NoticeInput
from kcc.reference.models import Crisis, Municipality

# The browser's datetime-local field sends "2026-11-23T09:30"; people think in Dutch time.
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
DATETIME_MESSAGE = "Vul een datum en tijd in, bijvoorbeeld 23-11-2026 09:30."
EVERY_CRISIS = SelectChoice("", "Alle crises")
EVERY_MUNICIPALITY = SelectChoice("", "Alle gemeenten")
EVERY_ROLE = SelectChoice("", "Iedereen")


def as_utc(moment: datetime | None) -> datetime | None:
    """A moment typed in Dutch local time, as UTC (the way kcc stores time)."""
    return moment.astimezone(UTC) if moment is not None else None


def optional_role(value: object) -> str | None:
    """Coerce the role select's value; empty means every role."""
    return str(value) if value not in (None, "", "None") else None


class NoticeForm(DutchForm):
    """A notice: its text, whether it must be confirmed, when it shows and to whom."""

    title = StringField(
        "Titel",
        validators=[
            DataRequired("Vul een titel in."),
            Length(max=TITLE_MAX, message=f"Hoogstens {TITLE_MAX} tekens."),
        ],
        description="Kort en concreet, bijvoorbeeld: 'Vragen over leefgeld: doorzetten naar "
        "team Inkomen'.",
    )
    body = TextAreaField(
        "Bericht",
        validators=[Optional(), Length(max=BODY_MAX, message=f"Hoogstens {BODY_MAX} tekens.")],
        description="Wat moet de KCC-medewerker weten of doen? Schrijf in korte zinnen.",
        render_kw={"rows": 6},
    )
    is_important = BooleanField(
        "Belangrijk: medewerkers moeten bevestigen dat ze het gelezen hebben",
    )
    visible_from = DateTimeLocalField(
        "Zichtbaar vanaf",
        format=DATETIME_FORMATS,
        tz=LOCAL_TIMEZONE,
        invalid_value_message=DATETIME_MESSAGE,
        validators=[InputRequired(DATETIME_MESSAGE)],
    )
    visible_until = DateTimeLocalField(
        "Zichtbaar tot",
        format=DATETIME_FORMATS,
        tz=LOCAL_TIMEZONE,
        invalid_value_message=DATETIME_MESSAGE,
        validators=[Optional()],
        description="Leeg laten: zichtbaar tot u het bericht intrekt.",
    )
    crisis_id = SelectField("Crisis", coerce=optional_int, validate_choice=False)
    municipality_id = SelectField("Gemeente", coerce=optional_int, validate_choice=False)
    role = SelectField(
        "Voor wie",
        coerce=optional_role,
        choices=[EVERY_ROLE, *(SelectChoice(role.value, ROLE_LABELS[role]) for role in Role)],
        validators=[Optional()],
    )

    def fill_choices(self, crises: list[Crisis], municipalities: list[Municipality]) -> None:
        """Offer the crises and municipalities, each with 'all' first."""
        self.crisis_id.choices = [EVERY_CRISIS, *(SelectChoice(str(c.id), c.name) for c in crises)]
        self.municipality_id.choices = [
            EVERY_MUNICIPALITY,
            *(SelectChoice(str(m.id), m.name) for m in municipalities),
        ]

    def fill_from(self, notice: Notice) -> None:
        """Show a stored notice in the form."""
        self.title.data = notice.title
        self.body.data = notice.body
        self.is_important.data = notice.is_important
        self.visible_from.data = notice.visible_from
        self.visible_until.data = notice.visible_until
        self.crisis_id.data = notice.crisis_id
        self.municipality_id.data = notice.municipality_id
        self.role.data = notice.role

    def to_input(self) -> NoticeInput:
        """The service input the form describes (times in UTC)."""
        visible_from = as_utc(self.visible_from.data)
        assert visible_from is not None  # InputRequired
        return NoticeInput(
            title=self.title.data or "",
            body=self.body.data or "",
            visible_from=visible_from,
            visible_until=as_utc(self.visible_until.data),
            is_important=bool(self.is_important.data),
            crisis_id=self.crisis_id.data,
            municipality_id=self.municipality_id.data,
            role=self.role.data,
        )


class EditNoticeForm(NoticeForm):
    """A change to a notice, which may ask everyone to confirm the new text."""

    ask_again = BooleanField(
        "Iedereen moet het gewijzigde bericht opnieuw bevestigen",
        description="Wie het bericht al gelezen had, ziet het weer als ongelezen.",
    )


class AcknowledgeForm(DutchForm):
    """'Gelezen': the page to return to rides along (checked before it is followed)."""

    next = HiddenField()


class WithdrawForm(DutchForm):
    """Withdraw a notice: nothing to fill in but the CSRF token."""
