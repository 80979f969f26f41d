"""The review list and the model registry through the real pages."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kcc.classification.models import ModelKind, ModelVersion
from kcc.classification.services import active_version
from kcc.extensions import db
from kcc.intake.models import Question
from kcc.reference.models import Topic
from tests.classification.test_classification import register
from tests.helpers import AuthActions, csrf_token_from


def test_a_coordinator_labels_an_unsure_question(
    app: Flask, client: FlaskClient, auth: AuthActions, active_models: None
) -> None:
    unsure = register(app, "corona", "Dhr. de Vries (06-12345678) heeft een vraag")
    assert unsure.needs_review
    auth.login("coordinator")

    page = client.get("/classification/review")
    html = page.get_data(as_text=True)
    assert unsure.reference in html
    assert "06-12345678" not in html and "[TELEFOON]" in html  # reviewers see masked text
    with app.app_context():
        handhaving = db.session.execute(
            select(Topic.id).where(Topic.crisis_id == unsure.crisis_id, Topic.code == "handhaving")
        ).scalar_one()
    prefix = f"q{unsure.id}-"
    response = client.post(
        "/classification/review",
        data={
            "csrf_token": csrf_token_from(page),
            "question_id": unsure.id,
            f"{prefix}topic_id": handhaving,
            f"{prefix}sentiment": "negatief",
        },
    )

    assert response.status_code == 302
    with app.app_context():
        labelled = db.session.get(Question, unsure.id)
        assert labelled is not None
        assert (labelled.topic_id, labelled.sentiment) == (handhaving, "negatief")
        assert labelled.labels_confirmed_by is not None
        assert labelled.labels_confirmed_by.username == "coordinator"
    after = client.get("/classification/review").get_data(as_text=True)
    assert "vastgelegd" in after and "Er zijn geen vragen om te controleren." in after


def test_a_topic_of_another_crisis_is_refused(
    app: Flask, client: FlaskClient, auth: AuthActions, active_models: None
) -> None:
    unsure = register(app, "corona", "hallo ik heb een vraag")
    auth.login("analyst")
    page = client.get("/classification/review")
    with app.app_context():
        foreign = (
            db.session.execute(select(Topic.id).where(Topic.crisis_id != unsure.crisis_id))
            .scalars()
            .first()
        )

    response = client.post(
        "/classification/review",
        data={
            "csrf_token": csrf_token_from(page),
            "question_id": unsure.id,
            f"q{unsure.id}-topic_id": foreign,
            f"q{unsure.id}-sentiment": "neutraal",
        },
    )

    assert response.status_code == 422
    with app.app_context():
        assert db.session.get(Question, unsure.id).labels_confirmed_at is None  # type: ignore[union-attr]


def test_an_analyst_rolls_back_to_an_earlier_version(
    app: Flask, client: FlaskClient, auth: AuthActions, active_models: None, runner: object
) -> None:
    with app.app_context():
        first = active_version(ModelKind.SENTIMENT, None)
        assert first is not None
        first_id = first.id
    app.test_cli_runner().invoke(args=["train", "--crisis", "corona", "--force"])
    auth.login("analyst")

    listing = client.get("/classification/models").get_data(as_text=True)
    detail = client.get(f"/classification/models/{first_id}")
    rolled_back = client.post(
        f"/classification/models/{first_id}", data={"csrf_token": csrf_token_from(detail)}
    )

    assert "Verwarringsmatrix" in detail.get_data(as_text=True)
    assert listing.count("<tr>") >= 6  # header + at least five versions
    assert rolled_back.status_code == 302
    with app.app_context():
        active = db.session.execute(
            select(ModelVersion.id).where(ModelVersion.kind == "sentiment", ModelVersion.is_active)
        ).scalar_one()
        assert active == first_id


def test_an_analyst_retrains_from_the_models_page_and_an_agent_may_not(
    app: Flask, client: FlaskClient, auth: AuthActions, active_models: None
) -> None:
    def version_count() -> int:
        with app.app_context():
            return len(db.session.execute(select(ModelVersion.id)).all())

    before = version_count()
    auth.login("agent")
    refused = client.post(
        "/classification/models/train", data={"csrf_token": csrf_token_from(client.get("/"))}
    )
    auth.logout()
    auth.login("analyst")
    page = client.get("/classification/models")
    # Without Redis (the embedded default) the job runs in this request.
    trained = client.post(
        "/classification/models/train",
        data={"csrf_token": csrf_token_from(page)},
        follow_redirects=True,
    )

    assert refused.status_code == 403
    assert trained.status_code == 200
    assert "Modellen getraind" in trained.get_data(as_text=True)
    # One new version per active crisis's topic model and one sentiment model.
    assert version_count() == before + 3
