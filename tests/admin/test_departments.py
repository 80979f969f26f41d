"""Adding and editing departments through the real forms."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kcc.extensions import db
from kcc.reference.models import Department
from tests.helpers import post_form


def find_department(app: Flask, name: str) -> Department | None:
    """Read a department straight from the database."""
    with app.app_context():
        return db.session.execute(
            select(Department).where(Department.name == name)
        ).scalar_one_or_none()


def test_a_new_department_is_stored_and_listed(app: Flask, admin_client: FlaskClient) -> None:
    response = post_form(
        admin_client,
        "/admin/departments/new",
        {"name": "Sociaal Domein", "email": "sociaal@hilversum.nl", "is_active": "y"},
    )

    assert response.status_code == 302
    department = find_department(app, "Sociaal Domein")
    assert department is not None
    assert department.email == "sociaal@hilversum.nl"
    listing = admin_client.get("/admin/departments").get_data(as_text=True)
    assert "sociaal@hilversum.nl" in listing
    assert "Bewerk Sociaal Domein" in listing


def test_editing_clears_the_email_and_deactivates(app: Flask, admin_client: FlaskClient) -> None:
    department = find_department(app, "Vergunningen")
    assert department is not None

    response = post_form(
        admin_client,
        f"/admin/departments/{department.id}/edit",
        {"name": "Vergunningen en Toezicht", "email": ""},
    )

    assert response.status_code == 302
    changed = find_department(app, "Vergunningen en Toezicht")
    assert changed is not None
    assert (changed.id, changed.email, changed.is_active) == (department.id, None, False)


def test_an_invalid_email_is_refused_in_dutch(app: Flask, admin_client: FlaskClient) -> None:
    response = post_form(
        admin_client,
        "/admin/departments/new",
        {"name": "Archief", "email": "archief-at-hilversum", "is_active": "y"},
    )

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Vul een geldig e-mailadres in" in page
    assert 'value="archief-at-hilversum"' in page
    assert find_department(app, "Archief") is None


def test_a_name_in_use_is_refused_whatever_its_capitals(
    app: Flask, admin_client: FlaskClient
) -> None:
    response = post_form(
        admin_client, "/admin/departments/new", {"name": "publiekszaken", "is_active": "y"}
    )

    assert response.status_code == 422
    assert "Er is al een afdeling met de naam publiekszaken." in response.get_data(as_text=True)
    assert find_department(app, "publiekszaken") is None
