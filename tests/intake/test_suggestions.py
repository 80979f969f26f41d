"""Suggestion indexes: per crisis, masked, refreshed behind the scenes when stale."""

from __future__ import annotations

import time

from flask import Flask

from kcc.intake.services import QuestionInput, register_question
from kcc.intake.suggestions import index_cache, suggest_for
from tests.intake.conftest import DemoIds


def answer(app: Flask, ids: DemoIds, text: str, answer: str) -> None:
    with app.app_context():
        register_question(
            QuestionInput(
                channel="telefoon",
                caller_type="inwoner",
                municipality_id=ids.hilversum,
                crisis_id=ids.oekraine,
                text=text,
                answer=answer,
            ),
            user_id=None,
        )


def answers_for(app: Flask, ids: DemoIds, text: str) -> list[str]:
    with app.app_context():
        return [s["answer"] for s in suggest_for(ids.oekraine, text)["suggestions"]]


def test_a_stale_index_answers_at_once_and_is_replaced_in_the_background(
    app: Flask, ids: DemoIds
) -> None:
    answer(app, ids, "Wanneer komt het leefgeld?", "Elke twee weken op vrijdag.")
    assert answers_for(app, ids, "leefgeld") == ["Elke twee weken op vrijdag."]
    app.config.update(SUGGESTION_INDEX_TTL=0, SUGGESTION_INDEX_REFRESH_IN_BACKGROUND=True)
    answer(app, ids, "Is er leefgeld voor kinderen?", "Ja, per kind een vast bedrag.")

    stale = answers_for(app, ids, "leefgeld kinderen")
    with app.app_context():
        cache = index_cache()
    deadline = time.monotonic() + 10
    while cache.rebuilding and time.monotonic() < deadline:
        time.sleep(0.05)
    fresh = answers_for(app, ids, "leefgeld kinderen")

    assert stale == ["Elke twee weken op vrijdag."]
    assert fresh[0] == "Ja, per kind een vast bedrag."


def test_identical_answers_are_suggested_once(app: Flask, ids: DemoIds) -> None:
    for text in ("Waar is de opvang?", "Waar is de opvanglocatie?", "Adres van de opvang?"):
        answer(app, ids, text, "De opvang is aan de Stationsstraat.")
    answer(app, ids, "Mag ik op bezoek in de opvang?", "Bezoek kan tot 20:00 uur.")

    assert answers_for(app, ids, "waar is de opvang") == [
        "De opvang is aan de Stationsstraat.",
        "Bezoek kan tot 20:00 uur.",
    ]
