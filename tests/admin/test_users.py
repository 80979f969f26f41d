"""Adding and editing users through the real forms; administrators cannot lock themselves out."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kcc.auth.models import User
from kcc.extensions import db
from kcc.reference.models import Department, Municipality
from tests.helpers import TEST_PASSWORD, AuthActions, post_form

NEW_PASSWORD = "lange-zin-als-wachtwoord"


def find_user(app: Flask, username: str) -> User | None:
    """Read a user straight from the database."""
    with app.app_context():
        return db.session.execute(
            select(User).where(User.username == username)
        ).scalar_one_or_none()


def reference_ids(app: Flask) -> tuple[int, int]:
    """Ids of the demo municipality Huizen and the department Publiekszaken."""
    with app.app_context():
        huizen = db.session.execute(
            select(Municipality.id).where(Municipality.name == "Huizen")
        ).scalar_one()
        publiekszaken = db.session.execute(
            select(Department.id).where(Department.name == "Publiekszaken")
        ).scalar_one()
        return huizen, publiekszaken


def user_form(user: User, **changes: str) -> dict[str, object]:
    """The edit form's answers for a user as stored, with some changed."""
    data: dict[str, object] = {
        "full_name": user.full_name,
        "email": user.email or "",
        "role": user.role,
        "municipality_id": str(user.municipality_id or ""),
        "department_id": str(user.department_id or ""),
        "password": "",
        "password_repeat": "",
    }
    if user.is_enabled:
        data["is_enabled"] = "y"
    data.update(changes)
    return data


def test_a_new_user_is_stored_listed_and_can_log_in(app: Flask, admin_client: FlaskClient) -> None:
    huizen, publiekszaken = reference_ids(app)

    response = post_form(
        admin_client,
        "/admin/users/new",
        {
            "username": "JdeVries",
            "full_name": "Jan de Vries",
            "email": "j.devries@huizen.nl",
            "role": "specialist",
            "municipality_id": str(huizen),
            "department_id": str(publiekszaken),
            "is_enabled": "y",
            "password": NEW_PASSWORD,
            "password_repeat": NEW_PASSWORD,
        },
    )

    assert response.status_code == 302
    user = find_user(app, "jdevries")
    assert user is not None
    assert (user.full_name, user.role, user.municipality_id, user.department_id) == (
        "Jan de Vries",
        "specialist",
        huizen,
        publiekszaken,
    )
    listing = admin_client.get("/admin/users").get_data(as_text=True)
    row = listing[listing.index("<td>jdevries</td>") :].split("</tr>")[0]
    for cell in ("Jan de Vries", "Vakspecialist", "Huizen", "Publiekszaken", "Ja", "nooit"):
        assert f"{cell}</" in row
    admin_row = listing[listing.index("<td>admin</td>") :].split("</tr>")[0]
    assert "<time datetime=" in admin_row  # the administrator's own login, just now
    AuthActions(admin_client).logout()
    assert AuthActions(admin_client).login("jdevries", NEW_PASSWORD).status_code == 302


def test_the_role_select_shows_dutch_labels(admin_client: FlaskClient) -> None:
    page = admin_client.get("/admin/users/new").get_data(as_text=True)

    assert '<option value="agent">KCC-medewerker</option>' in page
    assert '<option value="admin">Beheerder</option>' in page
    assert 'value="None"' not in page


def test_a_username_in_use_is_refused(app: Flask, admin_client: FlaskClient) -> None:
    response = post_form(
        admin_client,
        "/admin/users/new",
        {
            "username": "Agent",
            "full_name": "Tweede Agent",
            "role": "agent",
            "password": NEW_PASSWORD,
            "password_repeat": NEW_PASSWORD,
        },
    )

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "De gebruikersnaam &#39;agent&#39; bestaat al." in page
    assert 'value="Tweede Agent"' in page
    agent = find_user(app, "agent")
    assert agent is not None and agent.full_name != "Tweede Agent"


def test_short_or_differing_passwords_are_refused(app: Flask, admin_client: FlaskClient) -> None:
    base = {"username": "kees", "full_name": "Kees", "role": "agent"}

    differing = post_form(
        admin_client,
        "/admin/users/new",
        {**base, "password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD + "x"},
    )
    short = post_form(
        admin_client, "/admin/users/new", {**base, "password": "kort", "password_repeat": "kort"}
    )

    assert differing.status_code == 422
    assert "De wachtwoorden zijn niet gelijk." in differing.get_data(as_text=True)
    assert short.status_code == 422
    assert "minstens 12 tekens lang" in short.get_data(as_text=True)
    assert find_user(app, "kees") is None


def test_editing_changes_role_details_and_password(app: Flask, admin_client: FlaskClient) -> None:
    agent = find_user(app, "agent")
    assert agent is not None

    response = post_form(
        admin_client,
        f"/admin/users/{agent.id}/edit",
        user_form(
            agent,
            full_name="Agent Anders",
            role="coordinator",
            municipality_id="",
            password=NEW_PASSWORD,
            password_repeat=NEW_PASSWORD,
        ),
    )

    assert response.status_code == 302
    changed = find_user(app, "agent")
    assert changed is not None
    assert (changed.full_name, changed.role, changed.municipality_id) == (
        "Agent Anders",
        "coordinator",
        None,
    )
    assert changed.password_hash != agent.password_hash
    listing = admin_client.get("/admin/users").get_data(as_text=True)
    assert "Agent Anders" in listing and "Coördinator" in listing


def test_editing_without_a_new_password_keeps_the_old_one(
    app: Flask, admin_client: FlaskClient
) -> None:
    analyst = find_user(app, "analyst")
    assert analyst is not None

    response = post_form(
        admin_client, f"/admin/users/{analyst.id}/edit", user_form(analyst, email="a@laren.nl")
    )

    assert response.status_code == 302
    changed = find_user(app, "analyst")
    assert changed is not None
    assert changed.email == "a@laren.nl"
    assert changed.password_hash == analyst.password_hash


def test_an_administrator_can_disable_someone_else(app: Flask, admin_client: FlaskClient) -> None:
    agent = find_user(app, "agent")
    assert agent is not None
    data = user_form(agent)
    del data["is_enabled"]

    response = post_form(admin_client, f"/admin/users/{agent.id}/edit", data)

    assert response.status_code == 302
    changed = find_user(app, "agent")
    assert changed is not None and not changed.is_enabled
    AuthActions(admin_client).logout()
    assert AuthActions(admin_client).login("agent", TEST_PASSWORD).status_code == 200


def test_administrators_cannot_disable_themselves(app: Flask, admin_client: FlaskClient) -> None:
    admin = find_user(app, "admin")
    assert admin is not None
    data = user_form(admin, full_name="Nieuwe naam")
    del data["is_enabled"]

    response = post_form(admin_client, f"/admin/users/{admin.id}/edit", data)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "U kunt uw eigen account niet uitzetten" in page
    assert 'value="Nieuwe naam"' in page
    unchanged = find_user(app, "admin")
    assert unchanged is not None
    assert (unchanged.is_enabled, unchanged.full_name) == (True, admin.full_name)


def test_administrators_cannot_take_away_their_own_admin_role(
    app: Flask, admin_client: FlaskClient
) -> None:
    admin = find_user(app, "admin")
    assert admin is not None

    response = post_form(
        admin_client, f"/admin/users/{admin.id}/edit", user_form(admin, role="analyst")
    )

    assert response.status_code == 422
    assert "U kunt uw eigen beheerdersrol niet afnemen" in response.get_data(as_text=True)
    unchanged = find_user(app, "admin")
    assert unchanged is not None and unchanged.role == "admin"
    assert admin_client.get("/admin/users").status_code == 200


def test_an_inactive_municipality_is_kept_where_chosen_but_not_offered_anew(
    app: Flask, admin_client: FlaskClient
) -> None:
    with app.app_context():
        hilversum = db.session.execute(
            select(Municipality).where(Municipality.name == "Hilversum")
        ).scalar_one()
        hilversum.is_active = False
        db.session.commit()
        hilversum_id = hilversum.id
    agent = find_user(app, "agent")
    assert agent is not None and agent.municipality_id == hilversum_id

    new_page = admin_client.get("/admin/users/new").get_data(as_text=True)
    edit_page = admin_client.get(f"/admin/users/{agent.id}/edit").get_data(as_text=True)
    response = post_form(
        admin_client, f"/admin/users/{agent.id}/edit", user_form(agent, full_name="Agent B")
    )

    assert "Hilversum" not in new_page
    assert f'<option selected value="{hilversum_id}">Hilversum (niet actief)</option>' in edit_page
    assert response.status_code == 302
    changed = find_user(app, "agent")
    assert changed is not None
    assert (changed.full_name, changed.municipality_id) == ("Agent B", hilversum_id)
