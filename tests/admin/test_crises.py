"""Crises and their topics through the real forms, and the templates they can start from."""

from __future__ import annotations

from datetime import date

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from kcc.extensions import db
from kcc.reference.crisis_templates import OEKRAINE
from kcc.reference.models import Crisis, Department, Topic
from tests.helpers import post_form


def find_crisis(app: Flask, code: str) -> Crisis | None:
    """Read a crisis straight from the database."""
    with app.app_context():
        return db.session.execute(select(Crisis).where(Crisis.code == code)).scalar_one_or_none()


def topics_of(app: Flask, crisis_code: str) -> dict[str, str | None]:
    """Map each topic code of a crisis to the name of its default department."""
    with app.app_context():
        topics = db.session.execute(
            select(Topic).join(Crisis).where(Crisis.code == crisis_code)
        ).scalars()
        return {
            topic.code: topic.default_department.name if topic.default_department else None
            for topic in topics
        }


def department_id_of(app: Flask, name: str) -> int:
    """The id of a demo department."""
    with app.app_context():
        return db.session.execute(select(Department.id).where(Department.name == name)).scalar_one()


def new_crisis_form(**changes: str) -> dict[str, object]:
    """The answers for a new crisis, with some changed."""
    data: dict[str, object] = {
        "code": "overstroming-2026",
        "name": "Overstroming Vecht",
        "description": "Hoogwater langs de Vecht.",
        "start_date": "2026-01-12",
        "is_active": "y",
        "template": "",
    }
    data.update(changes)
    return data


def test_a_new_crisis_without_template_has_no_topics_and_is_listed(
    app: Flask, admin_client: FlaskClient
) -> None:
    response = post_form(admin_client, "/admin/crises/new", new_crisis_form())

    crisis = find_crisis(app, "overstroming-2026")
    assert crisis is not None
    assert response.headers["Location"] == f"/admin/crises/{crisis.id}"
    assert (crisis.name, crisis.start_date, crisis.is_active) == (
        "Overstroming Vecht",
        date(2026, 1, 12),
        True,
    )
    assert topics_of(app, "overstroming-2026") == {}
    listing = admin_client.get("/admin/crises").get_data(as_text=True)
    assert "Overstroming Vecht" in listing
    assert "12-01-2026" in listing


def test_a_template_adds_its_topics_with_their_default_departments(
    app: Flask, admin_client: FlaskClient
) -> None:
    response = post_form(
        admin_client,
        "/admin/crises/new",
        new_crisis_form(code="opvang-2026", name="Opvang 2026", template="oekraine"),
    )

    assert response.status_code == 302
    expected = {topic.code: topic.department for topic in OEKRAINE.topics}
    assert topics_of(app, "opvang-2026") == expected
    detail = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Crisis Opvang 2026 is toegevoegd met {len(expected)} onderwerpen." in detail
    assert "Bewerk Leefgeld" in detail
    assert "Werk en Inkomen" in detail


def test_a_crisis_code_in_use_is_refused(app: Flask, admin_client: FlaskClient) -> None:
    response = post_form(
        admin_client, "/admin/crises/new", new_crisis_form(code="corona", template="corona")
    )

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Er is al een crisis met de code corona." in page
    assert 'value="Overstroming Vecht"' in page
    assert 'value="2026-01-12"' in page
    corona = find_crisis(app, "corona")
    assert corona is not None and corona.name.startswith("Corona")


def test_an_invalid_crisis_code_and_date_are_refused_in_dutch(admin_client: FlaskClient) -> None:
    response = post_form(
        admin_client,
        "/admin/crises/new",
        new_crisis_form(code="Hoog water!", start_date="12-13-2026"),
    )

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Gebruik voor de code alleen kleine letters, cijfers, - en _." in page
    assert "Vul een geldige datum in." in page
    assert 'value="hoog water!"' in page


def test_editing_a_crisis_keeps_its_code(app: Flask, admin_client: FlaskClient) -> None:
    corona = find_crisis(app, "corona")
    assert corona is not None

    response = post_form(
        admin_client,
        f"/admin/crises/{corona.id}/edit",
        {
            "code": "iets-anders",
            "name": "Corona (afgesloten)",
            "description": "",
            "start_date": "2020-03-16",
        },
    )

    assert response.status_code == 302
    changed = find_crisis(app, "corona")
    assert changed is not None
    assert (changed.name, changed.start_date, changed.is_active, changed.description) == (
        "Corona (afgesloten)",
        date(2020, 3, 16),
        False,
        "",
    )
    assert find_crisis(app, "iets-anders") is None


def test_a_topic_is_added_to_a_crisis_and_shown_on_its_page(
    app: Flask, admin_client: FlaskClient
) -> None:
    corona = find_crisis(app, "corona")
    assert corona is not None
    page = admin_client.get(f"/admin/crises/{corona.id}").get_data(as_text=True)
    assert f'href="/admin/crises/{corona.id}/topics/new">Nieuw onderwerp</a>' in page
    new_topic_page = admin_client.get(f"/admin/crises/{corona.id}/topics/new")
    assert '<option selected value="">— geen —</option>' in new_topic_page.get_data(as_text=True)
    department_id = department_id_of(app, "Vergunningen")

    response = post_form(
        admin_client,
        f"/admin/crises/{corona.id}/topics/new",
        {
            "code": "avondklok",
            "name": "Avondklok",
            "description": "Uitzonderingen op de avondklok.",
            "default_department_id": str(department_id),
            "is_active": "y",
        },
    )

    assert response.status_code == 302
    assert topics_of(app, "corona")["avondklok"] == "Vergunningen"
    detail = admin_client.get(f"/admin/crises/{corona.id}").get_data(as_text=True)
    assert "Onderwerp Avondklok is toegevoegd aan" in detail
    assert "<td>avondklok</td>\n      <td>Avondklok</td>\n      <td>Vergunningen</td>" in detail


def test_a_topic_code_is_unique_within_its_crisis_only(
    app: Flask, admin_client: FlaskClient
) -> None:
    corona = find_crisis(app, "corona")
    assert corona is not None
    post_form(admin_client, "/admin/crises/new", new_crisis_form())
    flood = find_crisis(app, "overstroming-2026")
    assert flood is not None
    topic = {"code": "onderwijs", "name": "Scholen", "default_department_id": "", "is_active": "y"}

    refused = post_form(admin_client, f"/admin/crises/{corona.id}/topics/new", topic)
    accepted = post_form(admin_client, f"/admin/crises/{flood.id}/topics/new", topic)

    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "heeft al een onderwerp met de code onderwijs." in page
    assert 'value="Scholen"' in page
    assert accepted.status_code == 302
    assert topics_of(app, "overstroming-2026") == {"onderwijs": None}


def test_editing_a_topic_changes_its_department_and_deactivates_it(
    app: Flask, admin_client: FlaskClient
) -> None:
    with app.app_context():
        topic = db.session.execute(
            select(Topic).join(Crisis).where(Crisis.code == "corona", Topic.code == "reizen")
        ).scalar_one()
        topic_id, crisis_id = topic.id, topic.crisis_id
    edit_page = admin_client.get(f"/admin/topics/{topic_id}/edit").get_data(as_text=True)
    assert f'selected value="{department_id_of(app, "Publiekszaken")}"' in edit_page

    response = post_form(
        admin_client,
        f"/admin/topics/{topic_id}/edit",
        {"name": "Reizen en vakantie", "description": "", "default_department_id": ""},
    )

    assert response.headers["Location"] == f"/admin/crises/{crisis_id}"
    with app.app_context():
        changed = db.session.get(Topic, topic_id)
        assert changed is not None
        assert (changed.code, changed.name, changed.default_department_id) == (
            "reizen",
            "Reizen en vakantie",
            None,
        )
        assert not changed.is_active


def test_seed_demo_still_builds_the_template_crises(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["seed-demo"], env={"KCC_DEMO_PASSWORD": "x" * 16})

    assert result.exit_code == 0, result.output
    corona = find_crisis(app, "corona")
    assert corona is not None and corona.start_date == date(2020, 3, 15)
    assert topics_of(app, "oekraine") == {topic.code: topic.department for topic in OEKRAINE.topics}
