"""Forms of the webhook screens: an endpoint, a new secret, sending a delivery again."""

from __future__ import annotations

from wtforms import BooleanField, SelectMultipleField, StringField, URLField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from kcc.intake.forms import DutchForm
from kcc.webhooks.events import WebhookEvent
from kcc.webhooks.models import WebhookEndpoint
from kcc.webhooks.services import DESCRIPTION_MAX, URL_MAX, EndpointInput


class EndpointForm(DutchForm):
    """An endpoint: where to, what for, which events, and whether it is on."""

    url = URLField(
        "Adres",
        validators=[
            DataRequired("Vul het adres in waar kcc de meldingen naartoe stuurt."),
            Length(max=URL_MAX, message=f"Hoogstens {URL_MAX} tekens."),
        ],
        description="Begint met https://, bijvoorbeeld https://ontvanger.example.nl/kcc.",
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    description = StringField(
        "Omschrijving",
        validators=[
            Optional(),
            Length(max=DESCRIPTION_MAX, message=f"Hoogstens {DESCRIPTION_MAX} tekens."),
        ],
        description="Voor wie of waarvoor, bijvoorbeeld 'Dashboard veiligheidsregio'.",
    )
    events = SelectMultipleField(
        "Gebeurtenissen",
        choices=[SelectChoice(event.value, event.label) for event in WebhookEvent],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    is_active = BooleanField("Actief: meldingen worden verstuurd", default=True)

    def fill_from(self, endpoint: WebhookEndpoint) -> None:
        """Show a stored endpoint in the form."""
        self.url.data = endpoint.url
        self.description.data = endpoint.description
        self.events.data = endpoint.event_codes
        self.is_active.data = endpoint.is_active

    def to_input(self) -> EndpointInput:
        """The service input the form describes."""
        return EndpointInput(
            url=self.url.data or "",
            description=self.description.data or "",
            events=tuple(self.events.data or ()),
            is_active=bool(self.is_active.data),
        )


class RotateSecretForm(DutchForm):
    """'Nieuw geheim': only the CSRF token."""


class ResendForm(DutchForm):
    """'Opnieuw versturen': only the CSRF token; the delivery is in the URL."""
