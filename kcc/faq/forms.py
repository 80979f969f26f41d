"""Forms of the FAQ editorial screens: an entry, a workflow step, the list filters."""

from __future__ import annotations

from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from kcc.escalation.forms import VersionedForm
from kcc.faq.editorial import ANSWER_MAX, QUESTION_MAX, EntryInput
from kcc.faq.models import TRANSLATION_LANGUAGES, EntryState, FaqEntry
from kcc.insight.models import CrisisEvent
from kcc.intake.forms import ANY, DutchForm, optional_int
from kcc.reference.models import Crisis, Municipality

REGION = SelectChoice("", "Hele regio")
NONE = SelectChoice("", "Geen")
ANSWER_HELP = (
    "Gewone tekst. Witregel: nieuwe alinea. Regel met '- ': opsomming; '1. ': genummerde lijst. "
    "Link: [tekst](https://adres)."
)


def translation_field_names(language: str) -> tuple[str, str]:
    """The question and answer field names of a translation."""
    return f"{language}_question", f"{language}_answer"


class EntryForm(VersionedForm):
    """An FAQ entry with its translations, region or municipality, and what it depends on."""

    crisis_id = SelectField("Crisis", coerce=optional_int, validators=[InputRequired()])
    topic_id = SelectField("Onderwerp", coerce=optional_int, validate_choice=False)
    municipality_id = SelectField(
        "Geldt voor",
        coerce=optional_int,
        validate_choice=False,
        description="Een gemeentelijke vraag staat alleen op de pagina van die gemeente.",
    )
    replaces_entry_id = SelectField(
        "Vervangt regionale vraag",
        coerce=optional_int,
        validate_choice=False,
        description="Alleen voor een gemeentelijke vraag: die gemeente ziet deze in plaats "
        "van de regionale.",
    )
    question = TextAreaField(
        "Vraag",
        validators=[DataRequired("Vul de vraag in."), Length(max=QUESTION_MAX)],
        render_kw={"rows": 2},
    )
    answer = TextAreaField(
        "Antwoord",
        validators=[DataRequired("Vul het antwoord in."), Length(max=ANSWER_MAX)],
        description=ANSWER_HELP,
        render_kw={"rows": 10},
    )
    en_question = TextAreaField("Vraag (Engels)", validators=[Optional()], render_kw={"lang": "en"})
    en_answer = TextAreaField(
        "Antwoord (Engels)", validators=[Optional()], render_kw={"lang": "en"}
    )
    uk_question = TextAreaField(
        "Vraag (Oekraïens)", validators=[Optional()], render_kw={"lang": "uk"}
    )
    uk_answer = TextAreaField(
        "Antwoord (Oekraïens)", validators=[Optional()], render_kw={"lang": "uk"}
    )
    depends_on_event_id = SelectField(
        "Hangt af van maatregel",
        coerce=optional_int,
        validate_choice=False,
        description="Komt er een nieuwere maatregel, dan krijgt deze vraag de markering "
        "'controleren'.",
    )
    depends_on_date = DateField(
        "Of: geldig vanaf datum", validators=[Optional()], format="%Y-%m-%d"
    )

    def fill_choices(
        self,
        crises: list[Crisis],
        municipalities: list[Municipality],
        regional_entries: list[FaqEntry],
        events: list[CrisisEvent],
    ) -> None:
        """Offer the crises with their topics, municipalities, regional entries and measures."""
        self.crisis_id.choices = [SelectChoice(str(c.id), c.name) for c in crises]
        self.topic_id.choices = [
            NONE,
            *(SelectChoice(str(t.id), f"{c.name}: {t.name}") for c in crises for t in c.topics),
        ]
        self.municipality_id.choices = [
            REGION,
            *(SelectChoice(str(m.id), m.name) for m in municipalities),
        ]
        self.replaces_entry_id.choices = [
            NONE,
            *(SelectChoice(str(e.id), f"{e.id}: {e.question[:80]}") for e in regional_entries),
        ]
        self.depends_on_event_id.choices = [
            NONE,
            *(SelectChoice(str(e.id), f"{e.occurs_on:%d-%m-%Y} {e.title[:80]}") for e in events),
        ]

    def fill_from(self, entry: FaqEntry) -> None:
        """Show an entry's working copy (translations included) in the form."""
        for language in TRANSLATION_LANGUAGES:
            translation = entry.translation(language)
            question_name, answer_name = translation_field_names(language)
            if translation is not None:
                self[question_name].data = translation.question
                self[answer_name].data = translation.answer
        self.version.data = entry.version

    def to_input(self) -> EntryInput:
        """The service input the form describes."""
        translations = {
            language.value: (
                self[translation_field_names(language)[0]].data or "",
                self[translation_field_names(language)[1]].data or "",
            )
            for language in TRANSLATION_LANGUAGES
        }
        return EntryInput(
            crisis_id=self.crisis_id.data,
            question=self.question.data or "",
            answer=self.answer.data or "",
            topic_id=self.topic_id.data,
            municipality_id=self.municipality_id.data,
            replaces_entry_id=self.replaces_entry_id.data,
            depends_on_event_id=self.depends_on_event_id.data,
            depends_on_date=self.depends_on_date.data,
            translations=translations,
        )


class ActionForm(VersionedForm):
    """A workflow step on an entry; sending back and withdrawing need a reason."""

    action = StringField(validators=[DataRequired()])
    reason = TextAreaField(
        "Reden", validators=[Optional(), Length(max=1000)], render_kw={"rows": 2}
    )


class CheckedForm(VersionedForm):
    """The coordinator has checked a flagged entry."""


class EntryFilterForm(DutchForm):
    """The entry list's filters; read from the query string, so no CSRF token."""

    class Meta:
        csrf = False

    crisis_id = SelectField("Crisis", coerce=optional_int, validate_choice=False)
    state = SelectField(
        "Status",
        choices=[ANY, *(SelectChoice(s.value, s.label) for s in EntryState)],
        validators=[Optional()],
    )
    check = SelectField(
        "Markering",
        choices=[ANY, SelectChoice("controleren", "Controleren")],
        validators=[Optional()],
    )

    def fill_choices(self, crises: list[Crisis]) -> None:
        """Offer every crisis."""
        self.crisis_id.choices = [ANY, *(SelectChoice(str(c.id), c.name) for c in crises)]
