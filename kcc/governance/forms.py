"""The audit log's search form (query string: no CSRF)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from kcc.governance.models import AuditAction

ACTION_LABELS = {
    AuditAction.LOGIN: "Ingelogd",
    AuditAction.LOGIN_FAILED: "Inloggen mislukt",
    AuditAction.LOGOUT: "Uitgelogd",
    AuditAction.VIEW_PERSONAL_DATA: "Persoonsgegevens bekeken",
    AuditAction.SEARCH_PERSONAL_DATA: "Gezocht op persoonsgegevens",
    AuditAction.QUESTION_REGISTERED: "Vraag geregistreerd",
    AuditAction.LABELS_CONFIRMED: "Onderwerp vastgesteld",
    AuditAction.USER_CHANGED: "Gebruiker gewijzigd",
    AuditAction.PURGE: "Verlopen gegevens verwijderd",
}


class AuditSearchForm(FlaskForm):
    """Filters of the audit log."""

    class Meta:
        csrf = False
        locales = ["nl_NL", "nl"]

    username = StringField("Gebruikersnaam", validators=[Optional(), Length(max=80)])
    action = SelectField(
        "Handeling",
        choices=[
            SelectChoice("", "Alle"),
            *(SelectChoice(action.value, label) for action, label in ACTION_LABELS.items()),
        ],
        validators=[Optional()],
    )
    object_id = StringField("Nummer van het record", validators=[Optional(), Length(max=40)])
    date_from = DateField("Vanaf datum", validators=[Optional()])
    date_to = DateField("Tot en met datum", validators=[Optional()])
