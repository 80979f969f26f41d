"""Retention: `purge` removes what has expired, in batches, and is safe to run twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from kcc.escalation.models import FollowUp
from kcc.extensions import db
from kcc.faq.models import ClusterMember, ClusterRun, QuestionCluster
from kcc.governance.models import AuditAction, AuditEvent
from kcc.governance.retention import purge_expired
from kcc.insight.models import OnlineImport, OnlineMessage
from kcc.intake.models import ContactDetails, Question, QuestionEvent
from kcc.intake.services import ContactInput, QuestionInput, register_question
from kcc.reference.models import Crisis, Municipality

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def register_at(
    app: Flask, days_ago: int, *, related: int | None = None, handled: bool = True
) -> int:
    """A call-back question received `days_ago` days before NOW, with contact details.

    When `handled`, its call-back was closed the day after it came in.
    """
    with app.app_context():
        at = NOW - timedelta(days=days_ago)
        question = register_question(
            QuestionInput(
                channel="telefoon",
                caller_type="inwoner",
                municipality_id=db.session.execute(select(Municipality.id)).scalars().first(),  # type: ignore[arg-type]
                crisis_id=db.session.execute(select(Crisis.id)).scalars().first(),  # type: ignore[arg-type]
                text=f"Vraag van {days_ago} dagen geleden",
                callback_requested=True,
                contact=ContactInput(phone="06-12345678"),
                related_question_id=related,
                received_at=at,
            ),
            user_id=None,
            now=at,
        ).question
        if handled:
            escalation = question.escalation
            escalation.state, escalation.is_open = "afgesloten", False
            escalation.closed_at = at + timedelta(days=1)
            db.session.commit()
        return question.id


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_expired_records_go_and_the_rest_stays(app: Flask, demo: None) -> None:
    fresh = register_at(app, 10)
    contact_expired = register_at(app, 90)
    expired = register_at(app, 400)
    linked_to_expired = register_at(app, 30, related=expired)
    with app.app_context():
        db.session.add(AuditEvent(at=NOW - timedelta(days=200), action=AuditAction.LOGIN.value))
        db.session.add(
            AuditEvent(at=NOW - timedelta(days=200), action=AuditAction.VIEW_PERSONAL_DATA.value)
        )
        db.session.commit()

        # The expired question sits in a stored cluster run, as its representative.
        run = ClusterRun(
            crisis_id=db.session.get(Question, expired).crisis_id,
            period_start=NOW,
            period_end=NOW,
            days=7,
        )
        cluster = QuestionCluster(
            run=run,
            label=0,
            size=2,
            representative_question_id=expired,
            representative_text="Vraag van [datum] dagen geleden",
        )
        db.session.add_all([run, cluster])
        db.session.flush()
        db.session.add_all(
            [ClusterMember(cluster_id=cluster.id, question_id=q) for q in (expired, fresh)]
        )
        db.session.commit()

        # Online messages: one import wholly expired (it goes), one with a fresh message.
        crisis_id = db.session.get(Question, expired).crisis_id
        old_import, recent_import = (
            OnlineImport(crisis_id=crisis_id),
            OnlineImport(crisis_id=crisis_id),
        )
        db.session.add_all([old_import, recent_import])
        db.session.flush()
        db.session.add_all(
            [
                OnlineMessage(
                    import_id=old_import.id,
                    crisis_id=crisis_id,
                    posted_at=NOW - timedelta(days=400),
                ),
                OnlineMessage(
                    import_id=recent_import.id,
                    crisis_id=crisis_id,
                    posted_at=NOW - timedelta(days=400),
                ),
                OnlineMessage(
                    import_id=recent_import.id,
                    crisis_id=crisis_id,
                    posted_at=NOW - timedelta(days=3),
                ),
            ]
        )
        db.session.commit()

        dry = purge_expired(now=NOW, dry_run=True)
        report = purge_expired(now=NOW, batch_size=1)
        again = purge_expired(now=NOW)

        assert dry.counts == report.counts
        # The login trace (200 days) is past its 183; the view (200 of 730 days) is not.
        assert report.counts == {
            "contact_details": 2,
            "questions": 1,
            "audit_events": 1,
            "online_messages": 2,
        }
        imports_left = set(db.session.execute(select(OnlineImport.id)).scalars())
        assert imports_left == {recent_import.id}
        assert again.total == 0
        remaining = set(db.session.execute(select(Question.id)).scalars())
        assert remaining == {fresh, contact_expired, linked_to_expired}
        with_contact = set(db.session.execute(select(ContactDetails.question_id)).scalars())
        assert with_contact == {fresh, linked_to_expired}
        assert db.session.get(Question, linked_to_expired).related_question_id is None  # type: ignore[union-attr]
        assert (
            db.session.execute(
                select(func.count())
                .select_from(QuestionEvent)
                .where(QuestionEvent.question_id == expired)
            ).scalar_one()
            == 0
        )
        members = set(db.session.execute(select(ClusterMember.question_id)).scalars())
        assert members == {fresh}
        assert db.session.get(QuestionCluster, cluster.id).representative_question_id is None
        actions = list(db.session.execute(select(AuditEvent.action)).scalars())
        assert "login" not in actions and "view_personal_data" in actions
        assert actions.count("purge") == 2  # each purge that ran records itself


def test_purge_command_reports_counts_and_retention_is_configurable(
    app: Flask, demo: None, runner: FlaskCliRunner
) -> None:
    register_at(app, 20)
    app.config["RETENTION_DAYS"] = {"contact_details": 7}

    dry = runner.invoke(args=["purge", "--dry-run"])
    real = runner.invoke(args=["purge"])

    assert "contactgegevens: 1 zou verwijderen" in dry.output
    assert "contactgegevens: 1 verwijderd" in real.output
    assert count(app, ContactDetails) == 0 and count(app, Question) == 1


def test_an_open_call_back_keeps_its_contact_details_and_a_closed_one_counts_from_closing(
    app: Flask, demo: None
) -> None:
    still_open = register_at(app, 90, handled=False)
    closed_recently = register_at(app, 90)
    with app.app_context():
        escalation = db.session.get(Question, closed_recently).escalation  # type: ignore[union-attr]
        escalation.closed_at = NOW - timedelta(days=5)
        escalation.follow_ups.append(
            FollowUp(
                kind="e-mail",
                email_to="piet@example.nl",
                email_subject="Antwoord",
                body="Beste Piet, bel 06-12345678 als u vragen heeft.",
            )
        )
        db.session.commit()

        assert purge_expired(now=NOW).counts.get("contact_details", 0) == 0
        later = purge_expired(now=NOW + timedelta(days=60))

        assert later.counts["contact_details"] == 1
        with_contact = set(db.session.execute(select(ContactDetails.question_id)).scalars())
        assert with_contact == {still_open}
        mail = db.session.execute(select(FollowUp)).scalar_one()
        assert mail.email_to is None
        assert "06-12345678" not in mail.body and "[TELEFOON]" in mail.body
