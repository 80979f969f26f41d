"""Notices for agents: window, audience, order, acknowledging, readers, rights and screens."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from kcc.auth.models import User
from kcc.exceptions import Conflict, Forbidden, NotFound, ValidationFailed
from kcc.extensions import db, utcnow
from kcc.governance.models import AuditEvent
from kcc.notices import services
from kcc.notices.models import Notice, NoticeRead
from kcc.notices.services import NoticeInput
from kcc.reference.models import Crisis, Municipality
from tests.helpers import AuthActions, csrf_token_from, post_form

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Desk:
    """The demo records the notice tests use, by id (so no test holds an app context)."""

    hilversum: int
    huizen: int
    oekraine: int
    corona: int
    user_ids: dict[str, int]

    def user(self, name: str) -> User:
        """A user in the current app context's session."""
        return db.session.get(User, self.user_ids[name])


def add_user(
    username: str, role: str, municipality_id: int | None, password_hash: str, *, enabled=True
) -> User:
    """A user besides the demo ones (e.g. an agent of another municipality)."""
    user = User(
        username=username,
        full_name=f"Test {username}",
        role=role,
        municipality_id=municipality_id,
        password_hash=password_hash,
        is_enabled=enabled,
    )
    db.session.add(user)
    return user


@pytest.fixture
def desk(app: Flask, demo: None) -> Desk:
    """The demo region plus an agent in Huizen and a disabled agent in Hilversum."""
    with app.app_context():
        crises = {c.code: c.id for c in db.session.scalars(select(Crisis))}
        municipalities = {m.name: m.id for m in db.session.scalars(select(Municipality))}
        # The demo's hash (of TEST_PASSWORD): hashing again costs time and tests nothing here.
        password_hash = db.session.scalars(select(User.password_hash)).first()
        add_user("agent_huizen", "agent", municipalities["Huizen"], password_hash)
        add_user("agent_weg", "agent", municipalities["Hilversum"], password_hash, enabled=False)
        db.session.commit()
        return Desk(
            hilversum=municipalities["Hilversum"],
            huizen=municipalities["Huizen"],
            oekraine=crises["oekraine"],
            corona=crises["corona"],
            user_ids={u.username: u.id for u in db.session.scalars(select(User))},
        )


@pytest.fixture
def in_app(app: Flask) -> Iterator[None]:
    """Service tests run inside an app context (screen tests must not: requests share it)."""
    with app.app_context():
        yield


def publish(desk: Desk, title: str = "Vanaf vandaag geldt het nieuwe loket", **changes) -> Notice:
    """The coordinator publishes a notice, visible from an hour before NOW unless changed."""
    values: dict[str, object] = {
        "title": title,
        "body": "Verwijs bellers naar het loket in het gemeentehuis.",
        "visible_from": NOW - HOUR,
    }
    values.update(changes)
    return services.create_notice(
        NoticeInput(**values),  # type: ignore[arg-type]
        user=desk.user("coordinator"),
        now=NOW - 2 * HOUR,
    )


def titles_for(desk: Desk, name: str, now: datetime = NOW, crisis_id: int | None = None):
    """The titles a user sees at a moment, in the order shown."""
    return [item.notice.title for item in services.notices_for(desk.user(name), now, crisis_id)]


def test_a_notice_shows_only_within_its_window(desk: Desk, in_app: None) -> None:
    publish(desk, "Tijdelijk", visible_until=NOW + HOUR)
    publish(desk, "Blijvend")

    assert titles_for(desk, "agent", NOW - 2 * HOUR) == []
    assert set(titles_for(desk, "agent", NOW - HOUR)) == {"Tijdelijk", "Blijvend"}
    assert titles_for(desk, "agent", NOW + HOUR) == ["Blijvend"]  # the end is exclusive
    assert titles_for(desk, "agent", NOW + 1000 * HOUR) == ["Blijvend"]


def test_a_notice_reaches_only_its_municipality_and_role(desk: Desk, in_app: None) -> None:
    publish(desk, "Regio")
    publish(desk, "Huizen", municipality_id=desk.huizen)
    publish(desk, "Coordinatoren", role="coordinator")
    publish(desk, "Agenten Huizen", municipality_id=desk.huizen, role="agent")

    assert sorted(titles_for(desk, "agent")) == ["Regio"]
    assert sorted(titles_for(desk, "agent_huizen")) == ["Agenten Huizen", "Huizen", "Regio"]
    assert sorted(titles_for(desk, "coordinator")) == ["Coordinatoren", "Regio"]


def test_a_crisis_notice_shows_for_that_crisis_or_while_the_crisis_is_active(
    desk: Desk, in_app: None
) -> None:
    publish(desk, "Alle crises")
    publish(desk, "Oekraine", crisis_id=desk.oekraine)
    publish(desk, "Corona", crisis_id=desk.corona)

    assert sorted(titles_for(desk, "agent", crisis_id=desk.oekraine)) == ["Alle crises", "Oekraine"]
    assert sorted(titles_for(desk, "agent")) == ["Alle crises", "Corona", "Oekraine"]
    db.session.get(Crisis, desk.corona).is_active = False
    db.session.commit()
    assert sorted(titles_for(desk, "agent")) == ["Alle crises", "Oekraine"]


def test_unconfirmed_important_notices_come_first_then_newest(desk: Desk, in_app: None) -> None:
    publish(desk, "Oud belangrijk", is_important=True, visible_from=NOW - 3 * HOUR)
    publish(desk, "Nieuw gewoon", visible_from=NOW - HOUR)
    publish(desk, "Middel gewoon", visible_from=NOW - 2 * HOUR)
    agent = desk.user("agent")

    current = services.notices_for(agent, NOW)
    assert [item.notice.title for item in current] == [
        "Oud belangrijk",
        "Nieuw gewoon",
        "Middel gewoon",
    ]
    assert [item.needs_acknowledgement for item in current] == [True, False, False]

    services.acknowledge(current[0].notice.id, agent, now=NOW)
    assert titles_for(desk, "agent") == ["Nieuw gewoon", "Middel gewoon", "Oud belangrijk"]


def test_acknowledging_twice_keeps_the_first_moment(desk: Desk, in_app: None) -> None:
    notice = publish(desk, is_important=True)
    agent = desk.user("agent")

    first = services.acknowledge(notice.id, agent, now=NOW)
    again = services.acknowledge(notice.id, agent, now=NOW + HOUR)

    assert again.id == first.id and again.read_at == NOW
    assert db.session.scalar(select(func.count()).select_from(NoticeRead)) == 1
    assert services.notices_for(agent, NOW + HOUR)[0].read_at == NOW


def test_only_the_audience_can_acknowledge_a_published_notice(desk: Desk, in_app: None) -> None:
    for_huizen = publish(desk, municipality_id=desk.huizen, is_important=True)
    planned = publish(desk, "Morgen", visible_from=NOW + 24 * HOUR)

    with pytest.raises(Forbidden):
        services.acknowledge(for_huizen.id, desk.user("agent"), now=NOW)
    with pytest.raises(NotFound):
        services.acknowledge(planned.id, desk.user("agent"), now=NOW)
    with pytest.raises(NotFound):
        services.acknowledge(9999, desk.user("agent"), now=NOW)
    assert db.session.scalar(select(func.count()).select_from(NoticeRead)) == 0


def test_readers_shows_who_read_when_and_who_has_not_yet(desk: Desk, in_app: None) -> None:
    notice = publish(desk, is_important=True, role="agent")
    services.acknowledge(notice.id, desk.user("agent_huizen"), now=NOW + HOUR)
    services.acknowledge(notice.id, desk.user("agent"), now=NOW)

    found = services.readers(notice.id)

    assert [(r.user.username, r.read_at) for r in found.reads] == [
        ("agent", NOW),
        ("agent_huizen", NOW + HOUR),
    ]
    assert found.not_yet == []  # the disabled agent is no longer in the audience
    for_everyone = publish(desk, "Voor iedereen in Hilversum", municipality_id=desk.hilversum)
    services.acknowledge(for_everyone.id, desk.user("agent"), now=NOW)
    not_yet = {user.username for user in services.readers(for_everyone.id).not_yet}
    assert not_yet == {"coordinator", "specialist", "analyst", "admin"}


def test_the_list_counts_reads_against_each_audience(desk: Desk, in_app: None) -> None:
    notice = publish(desk, is_important=True, role="agent")
    services.acknowledge(notice.id, desk.user("agent"), now=NOW)

    [summary] = services.list_notices()

    assert (summary.read_count, summary.audience_size) == (1, 2)


BROKEN_RULES: list[tuple[dict[str, object], str]] = [
    ({"title": "  "}, "title"),
    ({"title": "x" * 201}, "title"),
    ({"body": "x" * 5001}, "body"),
    ({"visible_until": NOW - HOUR}, "visible_until"),
    ({"visible_until": NOW - 2 * HOUR}, "visible_until"),
    ({"municipality_id": 9999}, "municipality_id"),
    ({"crisis_id": 9999}, "crisis_id"),
    ({"role": "baas"}, "role"),
]


def test_a_notice_that_breaks_a_rule_is_refused(desk: Desk, in_app: None) -> None:
    for changes, field in BROKEN_RULES:
        with pytest.raises(ValidationFailed) as refused:
            publish(desk, **changes)
        assert field in refused.value.errors, changes

    assert db.session.scalar(select(func.count()).select_from(Notice)) == 0


def test_only_coordinators_write_notices(desk: Desk, in_app: None) -> None:
    data = NoticeInput(title="Mag dit?", body="", visible_from=NOW)
    for name in ("agent", "specialist", "analyst", "admin"):
        with pytest.raises(Forbidden):
            services.create_notice(data, user=desk.user(name), now=NOW)
    notice = publish(desk)
    with pytest.raises(Forbidden):
        services.withdraw_notice(notice.id, user=desk.user("agent"), now=NOW)
    with pytest.raises(Forbidden):
        services.update_notice(notice.id, data, user=desk.user("agent"), now=NOW)


def test_withdrawing_ends_the_window_now_and_is_logged(desk: Desk, in_app: None) -> None:
    notice = publish(desk)
    planned = publish(desk, "Morgen", visible_from=NOW + 24 * HOUR)

    services.withdraw_notice(notice.id, user=desk.user("coordinator"), now=NOW)
    services.withdraw_notice(planned.id, user=desk.user("coordinator"), now=NOW)

    assert notice.visible_until == NOW
    assert titles_for(desk, "agent", NOW) == []
    assert titles_for(desk, "agent", NOW + 48 * HOUR) == []  # the planned one never shows
    with pytest.raises(Conflict):
        services.withdraw_notice(notice.id, user=desk.user("coordinator"), now=NOW + HOUR)
    logged = db.session.scalars(
        select(AuditEvent.detail).where(
            AuditEvent.object_type == "notice", AuditEvent.object_id == str(notice.id)
        )
    ).all()
    assert [detail.split(":")[0] for detail in logged] == [
        "Bericht geplaatst",
        "Bericht ingetrokken",
    ]


def test_a_change_may_ask_everyone_to_confirm_again(desk: Desk, in_app: None) -> None:
    notice = publish(desk, is_important=True)
    services.acknowledge(notice.id, desk.user("agent"), now=NOW)
    changed = NoticeInput(
        title="Nieuw loket", body="Nieuwe tekst.", visible_from=NOW - HOUR, is_important=True
    )

    services.update_notice(notice.id, changed, user=desk.user("coordinator"), now=NOW)
    assert not services.notices_for(desk.user("agent"), NOW)[0].needs_acknowledgement

    services.update_notice(
        notice.id, changed, user=desk.user("coordinator"), now=NOW, ask_again=True
    )
    assert services.notices_for(desk.user("agent"), NOW)[0].needs_acknowledgement
    assert notice.title == "Nieuw loket" and notice.updated_at == NOW


# Screens: the coordinator writes through the form, the agent reads and confirms.


def publish_now(app: Flask, desk: Desk, **changes: object) -> int:
    """A notice visible from a minute ago in real time (the screens use the clock)."""
    with app.app_context():
        values: dict[str, object] = {
            "title": "Bij vragen over leefgeld: doorzetten naar team Inkomen",
            "body": "Zet de vraag door; beloof geen bedrag.",
            "visible_from": utcnow() - timedelta(minutes=1),
            "is_important": True,
        }
        values.update(changes)
        return services.create_notice(
            NoticeInput(**values),  # type: ignore[arg-type]
            user=desk.user("coordinator"),
        ).id


def test_the_coordinator_publishes_through_the_form_in_dutch_time(
    app: Flask, client: FlaskClient, auth: AuthActions, desk: Desk
) -> None:
    auth.login("coordinator")
    form = client.get("/notices/new").get_data(as_text=True)
    assert 'type="datetime-local"' in form

    response = post_form(
        client,
        "/notices/new",
        {
            "title": "Vanaf maandag nieuw loket",
            "body": "Verwijs naar het loket.",
            "is_important": "y",
            "visible_from": "2026-11-23T10:00",  # winter: Dutch time is UTC+1
            "visible_until": "2026-11-30T17:00",
            "role": "agent",
            "municipality_id": str(desk.hilversum),
            "crisis_id": "",
        },
    )

    assert response.status_code == 302
    with app.app_context():
        notice = db.session.scalars(select(Notice)).one()
        assert notice.visible_from == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
        assert notice.visible_until == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
        assert (notice.role, notice.municipality_id, notice.crisis_id) == (
            "agent",
            desk.hilversum,
            None,
        )
        assert notice.is_important and notice.created_by_id == desk.user_ids["coordinator"]
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Vanaf maandag nieuw loket" in detail and "Nog niet bevestigd (1)" in detail
    edit = client.get(f"/notices/{notice.id}/edit").get_data(as_text=True)
    assert 'value="2026-11-23T10:00"' in edit  # shown again in Dutch time


def test_a_refused_form_keeps_what_was_typed(
    app: Flask, client: FlaskClient, auth: AuthActions, desk: Desk
) -> None:
    auth.login("coordinator")
    response = post_form(
        client,
        "/notices/new",
        {
            "title": "Verkeerd venster",
            "visible_from": "2026-11-23T10:00",
            "visible_until": "2026-11-22T10:00",
            "role": "",
        },
    )

    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Het einde moet na het begin liggen." in text and "Verkeerd venster" in text
    assert 'aria-invalid="true"' in text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Notice)) == 0


def test_the_agent_confirms_and_returns_to_the_page_of_the_button(
    app: Flask, client: FlaskClient, auth: AuthActions, desk: Desk
) -> None:
    notice_id = publish_now(app, desk)
    publish_now(app, desk, title="Gewoon nieuws", is_important=False)
    auth.login("agent")

    page = client.get("/notices/mine")
    text = page.get_data(as_text=True)
    assert "Bij vragen over leefgeld" in text and ">Gelezen</button>" in text
    assert "<summary>Gewoon nieuws" in text
    assert 'name="next" value="/notices/mine"' in text
    response = client.post(
        f"/notices/{notice_id}/acknowledge",
        data={"csrf_token": csrf_token_from(page), "next": "/questions/new?crisis=2"},
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/questions/new?crisis=2"
    after = client.get("/notices/mine").get_data(as_text=True)
    assert ">Gelezen</button>" not in after and "(belangrijk, gelezen)" in after
    with app.app_context():
        [read] = services.readers(notice_id).reads
        assert read.user_id == desk.user_ids["agent"]


OFF_SITE_TARGETS = [
    "//evil.example/",
    "https://evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "/questions/new\r\nSet-Cookie: x=1",
    "",
]


def test_acknowledging_never_redirects_off_the_site(
    app: Flask, client: FlaskClient, auth: AuthActions, desk: Desk
) -> None:
    notice_id = publish_now(app, desk)
    auth.login("agent")
    token = csrf_token_from(client.get("/notices/mine"))

    for target in OFF_SITE_TARGETS:
        response = client.post(
            f"/notices/{notice_id}/acknowledge", data={"csrf_token": token, "next": target}
        )
        assert response.status_code == 302, target
        assert response.headers["Location"] == "/notices/mine", target


def test_acknowledging_needs_the_audience_and_a_token(
    app: Flask, client: FlaskClient, auth: AuthActions, desk: Desk
) -> None:
    for_huizen = publish_now(app, desk, municipality_id=desk.huizen)
    regional = publish_now(app, desk)
    auth.login("agent")
    token = csrf_token_from(client.get("/notices/mine"))

    assert (
        client.post(f"/notices/{for_huizen}/acknowledge", data={"csrf_token": token}).status_code
        == 403
    )
    assert client.post("/notices/9999/acknowledge", data={"csrf_token": token}).status_code == 404
    no_token = client.post(f"/notices/{regional}/acknowledge", data={"next": "/questions/new"})
    assert no_token.status_code == 400  # CSRF protection refuses it before the view runs
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(NoticeRead)) == 0


def test_only_coordinators_open_the_writing_screens(
    app: Flask, client: FlaskClient, auth: AuthActions, desk: Desk
) -> None:
    notice_id = publish_now(app, desk)
    pages = ["/notices/", "/notices/new", f"/notices/{notice_id}", f"/notices/{notice_id}/edit"]
    for role in ("agent", "specialist", "analyst", "admin"):
        auth.login(role)
        assert [client.get(url).status_code for url in pages] == [403] * 4, role
        assert client.get("/notices/mine").status_code == 200
        token = csrf_token_from(client.get("/notices/mine"))
        refused = client.post(f"/notices/{notice_id}/withdraw", data={"csrf_token": token})
        assert refused.status_code == 403
        auth.logout()
    auth.login("coordinator")
    assert [client.get(url).status_code for url in pages] == [200] * 4
    assert client.get("/notices/9999").status_code == 404
    anonymous = app.test_client().get("/notices/mine")
    assert anonymous.headers["Location"].startswith("/login?next=")


def test_the_coordinator_withdraws_through_the_detail_page(
    app: Flask, client: FlaskClient, auth: AuthActions, desk: Desk
) -> None:
    notice_id = publish_now(app, desk)
    auth.login("coordinator")
    page = client.get(f"/notices/{notice_id}")

    response = client.post(
        f"/notices/{notice_id}/withdraw",
        data={"csrf_token": csrf_token_from(page)},
        follow_redirects=True,
    )

    text = response.get_data(as_text=True)
    assert "Bericht ingetrokken" in text and "Afgelopen" in text
    assert ">Intrekken</button>" not in text
    auth.logout()
    auth.login("agent")
    assert "Er zijn nu geen berichten voor u." in client.get("/notices/mine").get_data(as_text=True)
