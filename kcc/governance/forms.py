"""The audit log's search form (query string: no CSRF)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from kcc.governance.models import AuditAction
from kcc.governance.subject_requests import SubjectQuery

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
    AuditAction.SUBJECT_SEARCH: "Gegevens van een betrokkene gezocht",
    AuditAction.SUBJECT_EXPORT: "Inzageverzoek: gegevens geëxporteerd",
    AuditAction.SUBJECT_ERASURE: "Verwijderverzoek: gegevens geanonimiseerd",
    AuditAction.TWO_FACTOR_CHANGED: "Tweede factor gewijzigd",
    AuditAction.ESCALATION_CHANGED: "Doorzetting gewijzigd",
    AuditAction.EMAIL_SENT: "E-mail aan beller verstuurd",
    AuditAction.FAQ_CHANGED: "Veelgestelde vraag gewijzigd",
    AuditAction.CLUSTER_RUN: "Vragen geclusterd",
    AuditAction.NOTICE_CHANGED: "Bericht voor medewerkers gewijzigd",
    AuditAction.KLANTINTERACTIES_PUSHED: "Naar Open Klant verstuurd",
    AuditAction.ONLINE_IMPORT: "Online-export geïmporteerd of verwijderd",
    AuditAction.QUESTIONS_IMPORTED: "Vragen geïmporteerd",
    AuditAction.QUESTIONS_EXPORTED: "Vragen geëxporteerd",
    AuditAction.WEBHOOK_CHANGED: "Webhook gewijzigd",
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


class SubjectRequestForm(FlaskForm):
    """Who the request is about; the buttons say what to do."""

    class Meta:
        locales = ["nl_NL", "nl"]

    phone = StringField("Telefoonnummer", validators=[Optional(), Length(max=40)])
    email = StringField("E-mailadres", validators=[Optional(), Length(max=254)])
    name = StringField("Volledige naam", validators=[Optional(), Length(max=160)])
    confirm = BooleanField("Ik heb de identiteit van de verzoeker vastgesteld")
    search = SubmitField("Zoeken")
    export = SubmitField("Exporteer (inzage, JSON)")
    anonymise = SubmitField("Anonimiseer (verwijderverzoek)")

    def to_query(self) -> SubjectQuery:
        return SubjectQuery(
            phone=self.phone.data or "", email=self.email.data or "", name=self.name.data or ""
        )
