"""Forms of the review list and the model registry."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from kcc.classification.models import Sentiment
from kcc.reference.models import Topic


class LabelForm(FlaskForm):
    """Set or confirm the topic and sentiment of one question."""

    class Meta:
        locales = ["nl_NL", "nl"]

    topic_id = SelectField(
        "Onderwerp", coerce=int, validators=[InputRequired("Kies een onderwerp.")]
    )
    sentiment = SelectField(
        "Sentiment",
        choices=[SelectChoice(s.value, s.value.capitalize()) for s in Sentiment],
        validators=[InputRequired("Kies een sentiment.")],
    )
    submit = SubmitField("Vastleggen")

    def offer_topics(self, topics: list[Topic]) -> None:
        """The topics of the question's crisis."""
        self.topic_id.choices = [SelectChoice(str(t.id), t.name) for t in topics]


class ActivateForm(FlaskForm):
    """Activate (or roll back to) a model version: a button with a CSRF token."""

    submit = SubmitField("Activeer deze versie")


class TrainForm(FlaskForm):
    """Retrain every model now: a button with a CSRF token."""

    submit = SubmitField("Opnieuw trainen")
