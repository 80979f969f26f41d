"""Signals on database data with known changes: a planted spike (crisis, topic, municipality),
a turn to negative sentiment, a fast-growing cluster; re-running, acknowledging, the e-mail to
a subscriber (exactly once) and the `signals` command's CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, insert, select

from kcc.auth.models import User
from kcc.extensions import db
from kcc.faq.models import ClusterRun, QuestionCluster
from kcc.insight.models import Signal
from kcc.insight.signals import detect_signals, open_signals
from kcc.intake.models import Question
from kcc.localtime import LOCAL_TIMEZONE
from kcc.reference.models import Crisis, Municipality, Topic
from tests.helpers import AuthActions, csrf_token_from
from tests.smtp_server import SmtpServer, configure_mail

CRISIS = "oekraine"
# A Monday in winter (one UTC offset for the whole baseline).
DAY = date(2026, 3, 2)
BASELINE_DAYS = 56
EVENING = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)


def local_noon(day: date) -> datetime:
    """Noon of a Dutch local day, in UTC."""
    return datetime.combine(day, time(12), tzinfo=LOCAL_TIMEZONE).astimezone(UTC)


def id_of(model: type, **where: object) -> int:
    """The id of the one row matching the criteria."""
    conditions = [getattr(model, name) == value for name, value in where.items()]
    return db.session.execute(select(model.id).where(*conditions)).scalar_one()


def question_rows(
    day: date, topic_id: int, municipality_id: int, count: int, negative: int
) -> list[dict[str, object]]:
    """`count` questions of one day, the first `negative` of them negative, the rest neutral."""
    crisis_id = id_of(Crisis, code=CRISIS)
    moment = local_noon(day)
    return [
        {
            "received_at": moment,
            "channel": "telefoon",
            "caller_type": "inwoner",
            "municipality_id": municipality_id,
            "crisis_id": crisis_id,
            "topic_id": topic_id,
            "sentiment": "negatief" if number < negative else "neutraal",
            "text": "Vraag over de opvang",
            "text_masked": "Vraag over de opvang",
            "status": "beantwoord",
            "created_at": moment,
            "updated_at": moment,
        }
        for number in range(count)
    ]


def plant_growing_cluster(crisis_id: int, day: date = DAY) -> None:
    """A cluster that grew from 4 to 30 questions in a week: a signal on `day`."""
    end = datetime.combine(day, time(18), tzinfo=LOCAL_TIMEZONE).astimezone(UTC)
    run = ClusterRun(
        crisis_id=crisis_id,
        period_start=end - timedelta(days=14),
        period_end=end,
        days=14,
        created_at=end,
    )
    run.clusters.append(
        QuestionCluster(
            label=0,
            size=34,
            this_week=30,
            last_week=4,
            representative_text="Wanneer komt het leefgeld van [NAAM]?",
        )
    )
    db.session.add(run)
    db.session.commit()


@pytest.fixture
def planted(app: Flask, demo: None) -> None:
    """Eight quiet weeks, then on DAY: leefgeld in Hilversum ×4, opvang turning negative, and a
    cluster that grew from 4 to 30 questions in a week."""
    with app.app_context():
        crisis_id = id_of(Crisis, code=CRISIS)
        leefgeld = id_of(Topic, crisis_id=crisis_id, code="leefgeld")
        opvang = id_of(Topic, crisis_id=crisis_id, code="opvang")
        hilversum = id_of(Municipality, cbs_code="GM0402")
        huizen = id_of(Municipality, cbs_code="GM0406")
        rows: list[dict[str, object]] = []
        for back in range(BASELINE_DAYS, 0, -1):
            day = DAY - timedelta(days=back)
            rows += question_rows(day, leefgeld, hilversum, 20, 0)
            rows += question_rows(day, opvang, huizen, 25, 3)
        rows += question_rows(DAY, leefgeld, hilversum, 80, 0)
        rows += question_rows(DAY, opvang, huizen, 25, 20)
        db.session.execute(insert(Question), rows)
        plant_growing_cluster(crisis_id)


def found(crisis_code: str = CRISIS) -> set[tuple[str, str | None, str | None]]:
    """The stored signals as (kind, topic code, municipality CBS code)."""
    signals = db.session.execute(select(Signal)).scalars()
    return {
        (
            signal.kind,
            signal.topic.code if signal.topic else None,
            signal.municipality.cbs_code if signal.municipality else None,
        )
        for signal in signals
    }


def test_the_planted_changes_become_signals_and_nothing_else(app: Flask, planted: None) -> None:
    with app.app_context():
        crisis_id = id_of(Crisis, code=CRISIS)
        report = detect_signals(crisis_id, DAY, now=EVENING, notify=False)

        signals = found()
        assert ("volume", "leefgeld", None) in signals
        assert ("volume", None, "GM0402") in signals
        assert ("volume", "leefgeld", "GM0402") in signals
        assert ("volume", None, None) in signals
        assert ("sentiment", "opvang", None) in signals
        assert ("cluster", None, None) in signals
        # Huizen and opvang had their usual number of questions.
        assert not {s for s in signals if s[0] == "volume" and ("opvang" in s or "GM0406" in s)}
        assert report.created == len(signals)

        topic_spike = next(
            s for s in report.signals if s.kind == "volume" and s.topic and not s.municipality
        )
        assert topic_spike.observed == 80
        assert topic_spike.expected == pytest.approx(20, abs=1)
        assert topic_spike.score > 5
        sentiment = next(s for s in report.signals if s.kind == "sentiment")
        assert sentiment.detail.startswith("20 van 25 negatief (80%)")
        cluster = next(s for s in report.signals if s.kind == "cluster")
        assert (cluster.observed, cluster.expected) == (30, 4)
        assert "[NAAM]" in cluster.detail


def test_running_again_updates_the_same_signals(app: Flask, planted: None) -> None:
    with app.app_context():
        crisis_id = id_of(Crisis, code=CRISIS)
        first = detect_signals(crisis_id, DAY, now=EVENING, notify=False)
        second = detect_signals(crisis_id, DAY, now=EVENING + timedelta(hours=1), notify=False)
        stored = db.session.execute(select(func.count(Signal.id))).scalar_one()
        assert second.created == 0
        assert stored == first.created == len(second.signals)


def test_a_quiet_day_raises_no_signal(app: Flask, planted: None) -> None:
    with app.app_context():
        quiet_day = DAY - timedelta(days=1)
        report = detect_signals(id_of(Crisis, code=CRISIS), quiet_day, now=EVENING, notify=False)
        assert report.signals == []


def subscribe_on_page(client: FlaskClient, crisis_id: int) -> None:
    """Switch the e-mail on through the button on the signals page."""
    page = client.get(f"/insights/signals?crisis_id={crisis_id}")
    assert "E-mail mij de signalen van" in page.get_data(as_text=True)
    response = client.post(
        "/insights/signals/subscription",
        data={"csrf_token": csrf_token_from(page), "crisis_id": crisis_id, "action": "on"},
    )
    assert response.status_code == 302


def test_the_daily_command_prints_csv_and_mails_a_subscriber_once(
    app: Flask,
    planted: None,
    client: FlaskClient,
    auth: AuthActions,
    runner: FlaskCliRunner,
    smtp_server: SmtpServer,
) -> None:
    configure_mail(app, smtp_server)
    with app.app_context():
        crisis_id = id_of(Crisis, code=CRISIS)
        # A name someone typed may start a spreadsheet formula; the CSV must defuse it.
        topic = db.session.get(Topic, id_of(Topic, crisis_id=crisis_id, code="leefgeld"))
        topic.name = "=Leefgeld"  # type: ignore[union-attr]
        db.session.commit()
        analyst = db.session.execute(select(User).where(User.username == "analyst")).scalar_one()
        analyst.email = "analist@gemeente.test"
        db.session.commit()
    auth.login("analyst")
    subscribe_on_page(client, crisis_id)

    first = runner.invoke(args=["signals", "--crisis", CRISIS, "--date", DAY.isoformat()])
    second = runner.invoke(args=["signals", "--crisis", CRISIS, "--date", DAY.isoformat()])

    assert first.exit_code == 0, first.output
    rows = list(csv.reader(io.StringIO(first.stdout)))
    assert rows[0] == ["date", "topic", "municipality", "observed", "expected", "score"]
    by_place = {(row[1], row[2]): row for row in rows[1:]}
    assert set(by_place) == {
        ("", ""),
        ("'=Leefgeld", ""),
        ("", "Hilversum"),
        ("'=Leefgeld", "Hilversum"),
    }
    assert by_place[("'=Leefgeld", "")][0] == "2026-03-02"
    assert by_place[("'=Leefgeld", "")][3:5] == ["80", "20"]
    assert second.exit_code == 0 and second.stdout == first.stdout
    messages = smtp_server.wait_for(1)
    assert "0 verstuurd" in second.stderr
    assert len(messages) == 1
    assert messages[0]["To"] == "analist@gemeente.test"
    body = messages[0].get_content()
    assert "80 vragen, verwacht 20" in body
    assert "20 van 25 negatief" in body
    assert "/insights/signals?crisis_id=" in body


def test_an_unknown_crisis_is_refused(app: Flask, demo: None, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["signals", "--crisis", "bestaat-niet"])
    assert result.exit_code != 0
    assert "bestaat niet" in result.output


def test_the_page_shows_signals_in_words_and_a_coordinator_acknowledges_one(
    app: Flask, planted: None, client: FlaskClient, auth: AuthActions
) -> None:
    with app.app_context():
        crisis_id = id_of(Crisis, code=CRISIS)
        detect_signals(crisis_id, DAY, now=EVENING, notify=False)
        before = len(open_signals(crisis_id, limit=50))
        topic_spike = db.session.execute(
            select(Signal.id).where(
                Signal.kind == "volume",
                Signal.topic_id.is_not(None),
                Signal.municipality_id.is_(None),
            )
        ).scalar_one()
    auth.login("coordinator")
    page = client.get(f"/insights/signals?crisis_id={crisis_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "80 vragen, verwacht 20" in html
    assert "onderwerp Leefgeld, alle gemeenten" in html

    response = client.post(
        f"/insights/signals/{topic_spike}/acknowledge?crisis_id={crisis_id}",
        data={"csrf_token": csrf_token_from(page)},
    )
    assert response.status_code == 302
    after = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Signaal bevestigd." in after
    assert "Bevestigd door" in after
    with app.app_context():
        assert len(open_signals(crisis_id, limit=50)) == before - 1
        assert db.session.get(Signal, topic_spike).acknowledged_at is not None  # type: ignore[union-attr]


def test_the_admin_sees_signals_but_does_not_acknowledge(
    app: Flask, planted: None, client: FlaskClient, auth: AuthActions
) -> None:
    with app.app_context():
        detect_signals(id_of(Crisis, code=CRISIS), DAY, now=EVENING, notify=False)
        signal_id = db.session.execute(select(Signal.id).limit(1)).scalar_one()
    auth.login("admin")
    page = client.get("/insights/signals")
    assert page.status_code == 200
    assert "Bevestigen" not in page.get_data(as_text=True)
    forbidden = client.post(
        f"/insights/signals/{signal_id}/acknowledge", data={"csrf_token": csrf_token_from(page)}
    )
    assert forbidden.status_code == 403
