"""Residents' e-mails are personal data: purged with the contact details, found on a request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import func, select

from kcc.extensions import db
from kcc.governance.retention import purge_expired
from kcc.governance.subject_requests import (
    SubjectQuery,
    anonymise_subject_data,
    export_subject_data,
)
from kcc.intake.models import ContactDetails, Question
from kcc.mailintake.models import MailAttachment, MailMessage
from kcc.mailintake.services import poll_mailbox
from tests.imap_server import DovecotServer
from tests.mailintake.conftest import resident_mail

RECEIVED = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
PDF = b"%PDF-1.4\n%%EOF\n"
BODY = "Mijn telefoonnummer is 06-12345678, bel mij terug over de brief."


def receive(app: Flask, imap_server: DovecotServer, **mail: object) -> None:
    """Poll one e-mail (with a PDF) as if it arrived at RECEIVED."""
    imap_server.deliver(
        resident_mail(
            body=BODY, attachments=(("brief.pdf", "application/pdf", PDF),), **mail
        ).as_bytes()
    )
    with app.app_context():
        assert poll_mailbox(now=RECEIVED).registered == 1


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_purge_removes_sender_text_and_files_with_the_contact_details_then_the_thread(
    mail_app: Flask, imap_server: DovecotServer
) -> None:
    receive(mail_app, imap_server)

    with mail_app.app_context():
        purge_expired(now=RECEIVED + timedelta(days=30))  # within the 60 days: all stays
    assert count(mail_app, MailAttachment) == 1

    with mail_app.app_context():
        purge_expired(now=RECEIVED + timedelta(days=61))
        mail = db.session.execute(select(MailMessage)).scalar_one()
        assert mail.sender_email is None
        assert "06-12345678" not in mail.body
        assert mail.body == mail.body_masked
        assert mail.message_id == "<vraag-1@example.nl>"  # a late reply still finds its question
    assert count(mail_app, MailAttachment) == 0
    assert count(mail_app, ContactDetails) == 0
    assert count(mail_app, Question) == 1

    with mail_app.app_context():
        purge_expired(now=RECEIVED + timedelta(days=366))
    assert (count(mail_app, Question), count(mail_app, MailMessage)) == (0, 0)


def test_an_email_without_a_usable_sender_is_purged_on_its_own(
    mail_app: Flask, imap_server: DovecotServer
) -> None:
    receive(mail_app, imap_server, sender="Onbekend <geen-adres>")
    assert count(mail_app, ContactDetails) == 0

    with mail_app.app_context():
        dry = purge_expired(now=RECEIVED + timedelta(days=61), dry_run=True)
        report = purge_expired(now=RECEIVED + timedelta(days=61))
        again = purge_expired(now=RECEIVED + timedelta(days=62))
        mail = db.session.execute(select(MailMessage)).scalar_one()
        assert (mail.sender_email, mail.body) == (None, mail.body_masked)

    assert dry.counts["mail_messages"] == 1
    assert report.counts["mail_messages"] == 1
    assert again.counts.get("mail_messages", 0) == 0  # scrubbed once, not again
    assert count(mail_app, MailAttachment) == 0


def test_a_subject_request_finds_exports_and_erases_the_emails_by_address(
    mail_app: Flask, imap_server: DovecotServer
) -> None:
    receive(mail_app, imap_server)
    with mail_app.app_context():
        # The contact details went already; the e-mail still says who sent it.
        db.session.execute(ContactDetails.__table__.delete())
        db.session.commit()
        query = SubjectQuery(email="Anna.DeVries@example.nl")

        [exported] = export_subject_data(query)["questions"]
        erased = anonymise_subject_data(query)
        mail = db.session.execute(select(MailMessage)).scalar_one()
        assert (mail.sender_email, mail.body) == (None, mail.body_masked)

    [email] = exported["emails"]
    assert email["from"] == "anna.devries@example.nl"
    assert email["text"] == BODY
    assert email["attachments"] == [{"filename": "brief.pdf", "size": len(PDF)}]
    assert erased == 1
    assert count(mail_app, MailAttachment) == 0
