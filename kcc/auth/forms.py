"""Login form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    """Username and password."""

    class Meta:
        locales = ["nl_NL", "nl"]

    username = StringField(
        "Gebruikersnaam",
        validators=[DataRequired(message="Vul uw gebruikersnaam in."), Length(max=80)],
        render_kw={"autocomplete": "username", "autocapitalize": "none"},
    )
    password = PasswordField(
        "Wachtwoord",
        validators=[DataRequired(message="Vul uw wachtwoord in."), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField("Inloggen")


class CodeForm(FlaskForm):
    """The six-digit code from the authenticator app."""

    class Meta:
        locales = ["nl_NL", "nl"]

    code = StringField(
        "Code uit uw authenticator-app",
        validators=[DataRequired(message="Vul de code van zes cijfers in."), Length(max=12)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )
    submit = SubmitField("Doorgaan")


class NotificationForm(FlaskForm):
    """Whether work assigned to me and nearing deadlines reach me by e-mail."""

    notify_by_email = BooleanField("Stuur mij een e-mail bij nieuw werk en naderende termijnen")
