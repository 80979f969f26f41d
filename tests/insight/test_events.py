"""The crisis timeline screen: who records measures and events; the old FAQ screen is gone."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kcc.extensions import db
from kcc.insight.models import CrisisEvent
from kcc.reference.models import Crisis
from tests.helpers import AuthActions, post_form


@pytest.fixture
def oekraine(app: Flask, demo: None) -> int:
    """The id of the demo oekraine crisis."""
    with app.app_context():
        return db.session.scalars(select(Crisis.id).where(Crisis.code == "oekraine")).one()


def event_form(crisis_id: int, **changes: str) -> dict[str, object]:
    """A filled-in event form."""
    return {
        "crisis_id": str(crisis_id),
        "municipality_id": "",
        "kind": "gebeurtenis",
        "title": "Informatieavond locatie Bussum",
        "occurs_on": "2026-11-20",
        "description": "In het gemeentehuis, 19.30 uur.",
        **changes,
    }


@pytest.mark.parametrize("role", ["coordinator", "analyst"])
def test_coordinators_and_advisers_record_an_event_on_the_timeline(
    app: Flask, client: FlaskClient, auth: AuthActions, oekraine: int, role: str
) -> None:
    auth.login(role)

    response = post_form(client, "/insights/events", event_form(oekraine))

    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "&#39;Informatieavond locatie Bussum&#39; vastgelegd" in page
    assert "20-11-2026" in page
    with app.app_context():
        event = db.session.scalars(select(CrisisEvent)).one()
        assert (event.crisis_id, event.kind, event.occurs_on) == (
            oekraine,
            "gebeurtenis",
            date(2026, 11, 20),
        )


def test_a_missing_title_is_shown_beside_the_field(
    client: FlaskClient, auth: AuthActions, oekraine: int
) -> None:
    auth.login("coordinator")

    response = post_form(client, "/insights/events", event_form(oekraine, title=""))

    assert response.status_code == 422
    assert "Vul een titel in." in response.get_data(as_text=True)


def test_admins_read_the_timeline_but_do_not_record(
    app: Flask, client: FlaskClient, auth: AuthActions, oekraine: int
) -> None:
    auth.login("admin")

    page = client.get("/insights/events")
    # The token comes from the page's logout form: a real session token, so only the
    # permission check can refuse the post.
    response = post_form(client, "/insights/events", event_form(oekraine))

    assert page.status_code == 200
    assert 'id="vastleggen"' not in page.get_data(as_text=True)
    assert response.status_code == 403
    with app.app_context():
        assert db.session.scalars(select(CrisisEvent)).first() is None


@pytest.mark.parametrize("role", ["agent", "specialist"])
def test_the_timeline_is_closed_to_agents_and_specialists(
    client: FlaskClient, auth: AuthActions, role: str
) -> None:
    auth.login(role)

    assert client.get("/insights/events").status_code == 403


def test_the_faq_screen_links_to_the_timeline(client: FlaskClient, auth: AuthActions) -> None:
    auth.login("coordinator")

    assert 'href="/insights/events"' in client.get("/editorial/").get_data(as_text=True)


def oekraine_and_corona(app: Flask) -> tuple[int, int]:
    """The ids of the two demo crises."""
    with app.app_context():
        ids = {c.code: c.id for c in db.session.scalars(select(Crisis))}
    return ids["oekraine"], ids["corona"]


def test_the_timeline_filters_by_crisis(
    app: Flask, client: FlaskClient, auth: AuthActions, oekraine: int
) -> None:
    auth.login("coordinator")
    recorded = post_form(client, "/insights/events", event_form(oekraine))
    client.get(recorded.headers["Location"])  # shows (and so clears) the flash message

    corona = oekraine_and_corona(app)[1]
    other = client.get(f"/insights/events?crisis_id={corona}").get_data(as_text=True)
    same = client.get(f"/insights/events?crisis_id={oekraine}").get_data(as_text=True)

    assert "Informatieavond locatie Bussum" in same
    assert "Informatieavond locatie Bussum" not in other
