"""Cold-start topic suggestions from descriptions alone: obvious cases right, all humble."""

from __future__ import annotations

import pytest

from kcc.nlp.coldstart import ColdStartSuggester
from kcc.reference.crisis_templates import CRISIS_TEMPLATES


def suggester_for(crisis: str) -> ColdStartSuggester:
    topics = CRISIS_TEMPLATES[crisis].topics
    return ColdStartSuggester(
        [(topic.code, f"{topic.name}. {topic.description}") for topic in topics]
    )


@pytest.fixture(scope="module")
def oekraine() -> ColdStartSuggester:
    return suggester_for("oekraine")


@pytest.fixture(scope="module")
def corona() -> ColdStartSuggester:
    return suggester_for("corona")


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("wanneer wordt het leefgeld betaald?", "leefgeld"),
        ("ik wil me inschrijven in de BRP en heb een BSN nodig", "inschrijving"),
        ("mijn kind moet naar school, zijn er taallessen?", "onderwijs"),
        ("buren klagen over overlast bij de locatie", "omwonenden"),
        ("ik wil graag vrijwilliger worden en kleding doneren", "hulpaanbod"),
        ("hoe vind ik een huisarts voor mijn moeder?", "zorg"),
    ],
)
def test_clear_oekraine_questions_get_the_obvious_topic(
    oekraine: ColdStartSuggester, question: str, topic: str
) -> None:
    assert oekraine.predict_one(question).label == topic


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("moet ik een mondkapje dragen in de bus?", "maatregelen"),
        ("waar is de GGD testlocatie?", "testen_vaccineren"),
        ("ik wil een overtreding melden", "handhaving"),
        ("mag de bruiloft met 50 gasten doorgaan, heb ik een vergunning nodig?", "evenementen"),
    ],
)
def test_clear_corona_questions_get_the_obvious_topic(
    corona: ColdStartSuggester, question: str, topic: str
) -> None:
    assert corona.predict_one(question).label == topic


def test_a_question_like_no_topic_goes_to_the_fallback(oekraine: ColdStartSuggester) -> None:
    prediction = oekraine.predict_one("xyzzy")

    assert prediction.label == "overig"
    assert prediction.needs_review


def test_the_confidence_is_the_similarity_to_the_suggested_topic(
    oekraine: ColdStartSuggester,
) -> None:
    questions = ["wanneer wordt het leefgeld betaald?", "mw vraagt hoe het zit met de opvang"]

    predictions = oekraine.predict_many(questions)

    similarities = oekraine.similarities(questions)
    assert [p.confidence for p in predictions] == pytest.approx(similarities.max(axis=1).tolist())
    assert all(0 <= p.confidence <= 1 for p in predictions)


def test_a_vague_question_is_flagged_for_review(oekraine: ColdStartSuggester) -> None:
    assert oekraine.predict_one("mw heeft een vraag, belt later terug").needs_review


def test_without_a_fallback_the_most_similar_topic_is_suggested() -> None:
    suggester = ColdStartSuggester(
        [("water", "drinkwater, kraanwater, koken"), ("stroom", "stroomstoring, elektriciteit")],
        fallback_code=None,
    )

    assert suggester.predict_one("mijn kraanwater is bruin").label == "water"
    assert suggester.labels == ("water", "stroom")


def test_topic_codes_must_be_unique() -> None:
    with pytest.raises(ValueError, match="unique"):
        ColdStartSuggester([("a", "een"), ("a", "twee")])
