"""Adding and editing municipalities through the real forms."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kcc.extensions import db
from kcc.reference.models import Municipality
from tests.helpers import post_form


def find_municipality(app: Flask, cbs_code: str) -> Municipality | None:
    """Read a municipality straight from the database."""
    with app.app_context():
        return db.session.execute(
            select(Municipality).where(Municipality.cbs_code == cbs_code)
        ).scalar_one_or_none()


def test_a_new_municipality_is_stored_with_an_upper_case_code_and_listed(
    app: Flask, admin_client: FlaskClient
) -> None:
    response = post_form(
        admin_client,
        "/admin/municipalities/new",
        {"cbs_code": " gm0363 ", "name": "Amsterdam", "is_active": "y"},
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/municipalities"
    municipality = find_municipality(app, "GM0363")
    assert municipality is not None
    assert (municipality.name, municipality.is_active) == ("Amsterdam", True)
    listing = admin_client.get("/admin/municipalities").get_data(as_text=True)
    assert "Gemeente Amsterdam is toegevoegd." in listing
    assert "<td>GM0363</td>" in listing
    assert "Bewerk Amsterdam" in listing


def test_editing_changes_name_and_deactivates(app: Flask, admin_client: FlaskClient) -> None:
    hilversum = find_municipality(app, "GM0402")
    assert hilversum is not None and hilversum.is_active

    response = post_form(
        admin_client,
        f"/admin/municipalities/{hilversum.id}/edit",
        {"cbs_code": "GM0402", "name": "Hilversum (Mediastad)"},
    )

    assert response.status_code == 302
    changed = find_municipality(app, "GM0402")
    assert changed is not None
    assert (changed.name, changed.is_active) == ("Hilversum (Mediastad)", False)
    listing = admin_client.get("/admin/municipalities").get_data(as_text=True)
    assert "Hilversum (Mediastad)" in listing


def test_an_invalid_cbs_code_shows_the_typed_input_with_a_dutch_message(
    app: Flask, admin_client: FlaskClient
) -> None:
    response = post_form(
        admin_client,
        "/admin/municipalities/new",
        {"cbs_code": "GM12", "name": "Nergenshuizen", "is_active": "y"},
    )

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Een CBS-code is GM met vier cijfers, bijvoorbeeld GM0402." in page
    assert 'value="GM12"' in page
    assert 'value="Nergenshuizen"' in page
    assert 'aria-invalid="true"' in page
    assert find_municipality(app, "GM12") is None


def test_a_cbs_code_in_use_is_refused(app: Flask, admin_client: FlaskClient) -> None:
    response = post_form(
        admin_client,
        "/admin/municipalities/new",
        {"cbs_code": "gm0406", "name": "Tweede Huizen", "is_active": "y"},
    )

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "De CBS-code GM0406 is al in gebruik bij gemeente Huizen." in page
    assert 'value="Tweede Huizen"' in page
    with app.app_context():
        names = db.session.execute(
            select(Municipality.name).where(Municipality.cbs_code == "GM0406")
        ).scalars()
        assert list(names) == ["Huizen"]


def test_editing_to_another_municipalitys_code_is_refused(
    app: Flask, admin_client: FlaskClient
) -> None:
    laren = find_municipality(app, "GM0417")
    assert laren is not None

    response = post_form(
        admin_client,
        f"/admin/municipalities/{laren.id}/edit",
        {"cbs_code": "GM0406", "name": "Laren", "is_active": "y"},
    )

    assert response.status_code == 422
    assert "al in gebruik bij gemeente Huizen" in response.get_data(as_text=True)
    assert find_municipality(app, "GM0417") is not None
