"""Polling a real Dovecot mailbox: registrations, replies, robots, attachments, repeats."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from kcc.extensions import db
from kcc.intake.models import Question, QuestionEventKind, QuestionStatus
from kcc.mailintake.imap import ImapSettings, MailboxError
from kcc.mailintake.models import MailAttachment, MailMessage
from kcc.mailintake.services import PollReport, poll_mailbox
from tests.imap_server import DovecotServer
from tests.mailintake.conftest import Route, resident_mail
from tests.smtp_server import free_port

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def poll(app: Flask) -> PollReport:
    with app.app_context():
        return poll_mailbox()


def all_questions(app: Flask) -> list[Question]:
    with app.app_context():
        questions = list(db.session.execute(select(Question).order_by(Question.id)).scalars())
        for question in questions:  # loaded while the session is open
            _ = (question.contact, question.topic, question.events)
        return questions


def stored_mails(app: Flask) -> list[MailMessage]:
    with app.app_context():
        mails = list(db.session.execute(select(MailMessage).order_by(MailMessage.id)).scalars())
        for mail in mails:
            _ = mail.attachments
        return mails


@pytest.mark.usefixtures("active_models")
def test_an_email_becomes_an_open_classified_question_with_the_sender_as_contact(
    mail_app: Flask, imap_server: DovecotServer, route: Route
) -> None:
    imap_server.deliver(
        resident_mail(
            subject="Vraag over de coronatest",
            body="Waar kan ik me laten testen als ik klachten heb? Ik woon in Hilversum.",
        ).as_bytes()
    )

    report = poll(mail_app)

    assert (report.registered, report.replies, report.skipped, report.failed) == (1, 0, 0, 0)
    [question] = all_questions(mail_app)
    assert question.channel == "e-mail"
    assert question.crisis_id == route.crisis_id
    assert question.municipality_id == route.municipality_id
    assert question.status == QuestionStatus.OPEN
    assert question.text.startswith("Vraag over de coronatest\n\nWaar kan ik me laten testen")
    assert question.contact is not None
    assert question.contact.email == "anna.devries@example.nl"
    assert question.contact.name == "Anna de Vries"
    assert question.topic is not None  # classified by the active model, as intake does
    assert question.sentiment is not None
    [mail] = stored_mails(mail_app)
    assert mail.message_id == "<vraag-1@example.nl>"
    assert mail.question_id == question.id
    assert imap_server.unread_count() == 0  # marked read once stored


def test_automatic_replies_and_bounces_are_skipped_and_marked_read(
    mail_app: Flask, imap_server: DovecotServer
) -> None:
    imap_server.deliver(
        resident_mail(
            subject="Automatisch antwoord: Vraag over de coronatest",
            body="Ik ben tot maandag afwezig.",
            message_id="<afwezig-1@example.nl>",
            headers={"Auto-Submitted": "auto-replied"},
        ).as_bytes()
    )
    imap_server.deliver(bounce_for("onbekend@example.nl"))

    report = poll(mail_app)

    assert (report.registered, report.skipped) == (0, 2)
    assert all_questions(mail_app) == []
    assert stored_mails(mail_app) == []
    assert imap_server.unread_count() == 0


BOUNCE = """\
From: Mail Delivery System <MAILER-DAEMON@mx.example.nl>
To: crisis@gemeente.test
Subject: Undelivered Mail Returned to Sender
Message-ID: <bounce-1@mx.example.nl>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="grens"

--grens
Content-Type: text/plain; charset=utf-8

Uw bericht aan {address} kon niet worden afgeleverd.

--grens
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.nl

Final-Recipient: rfc822; {address}
Action: failed
Status: 5.1.1

--grens--
"""


def bounce_for(address: str) -> bytes:
    """A delivery status notification as a mail server sends it (RFC 3464)."""
    return BOUNCE.format(address=address).replace("\n", "\r\n").encode()


def test_a_reply_in_the_thread_is_added_to_its_question_and_reopens_it(
    mail_app: Flask, imap_server: DovecotServer
) -> None:
    imap_server.deliver(resident_mail().as_bytes())
    poll(mail_app)
    with mail_app.app_context():
        question = db.session.execute(select(Question)).scalar_one()
        question.status = QuestionStatus.BEANTWOORD.value  # an agent answered by phone
        db.session.commit()
    imap_server.deliver(
        resident_mail(
            subject="Re: Vraag over de coronatest",
            body="Dank u, en mijn kinderen ook?\n\nOp 3 dec. 2026 schreef Anna:\n> Waar kan ik",
            message_id="<vraag-2@example.nl>",
            headers={
                "In-Reply-To": "<vraag-1@example.nl>",
                "References": "<vraag-1@example.nl>",
            },
        ).as_bytes()
    )

    report = poll(mail_app)

    assert (report.registered, report.replies) == (0, 1)
    [question] = all_questions(mail_app)
    assert question.status == QuestionStatus.OPEN
    assert question.events[-1].kind == QuestionEventKind.EMAIL_REPLY
    first, reply = stored_mails(mail_app)
    assert (first.question_id, reply.question_id) == (question.id, question.id)
    assert reply.is_reply
    assert reply.body.startswith("Dank u, en mijn kinderen ook?")


def test_attachments_are_kept_when_allowed_and_refused_with_a_reason_otherwise(
    mail_app: Flask, imap_server: DovecotServer
) -> None:
    imap_server.deliver(
        resident_mail(
            attachments=(
                ("brief.pdf", "application/pdf", PDF),
                ("scan.pdf", "application/pdf", PDF + b"0" * 2_500),  # limit is 2,000 bytes
                ("setup.exe", "application/octet-stream", b"MZ\x90\x00"),
                ("foto.jpg", "image/jpeg", b"GIF89a not a jpeg"),
            )
        ).as_bytes()
    )

    report = poll(mail_app)

    assert (report.registered, report.refused_attachments) == (1, 3)
    [mail] = stored_mails(mail_app)
    by_name = {attachment.filename: attachment for attachment in mail.attachments}
    assert by_name["brief.pdf"].is_stored
    assert by_name["brief.pdf"].content_type == "application/pdf"
    assert "te groot" in (by_name["scan.pdf"].refused_reason or "")
    assert ".exe is niet toegestaan" in (by_name["setup.exe"].refused_reason or "")
    assert "geen echt JPEG-foto" in (by_name["foto.jpg"].refused_reason or "")
    with mail_app.app_context():
        refused_bytes = db.session.execute(
            select(func.count()).where(
                MailAttachment.refused_reason.is_not(None), MailAttachment.content.is_not(None)
            )
        ).scalar_one()
    assert refused_bytes == 0  # a refused file's bytes are never stored


def test_polling_again_registers_nothing_twice_even_when_a_message_is_unread_again(
    mail_app: Flask, imap_server: DovecotServer
) -> None:
    imap_server.deliver(resident_mail().as_bytes())
    assert poll(mail_app).registered == 1
    assert poll(mail_app).registered == 0  # nothing unread any more
    # As after a crash between commit and marking read: the same message is unread again.
    connection = imap_server.connect()
    connection.select("INBOX")
    connection.store("1:*", "-FLAGS", r"(\Seen)")
    connection.logout()

    report = poll(mail_app)

    assert (report.registered, report.duplicates) == (0, 1)
    assert len(all_questions(mail_app)) == 1
    assert imap_server.unread_count() == 0


def test_a_mailbox_that_cannot_be_reached_is_a_clear_dutch_error(mail_app: Flask) -> None:
    mail_app.config["MAIL_INTAKE_PORT"] = free_port()  # nothing listens there

    with mail_app.app_context(), pytest.raises(MailboxError, match="niet bereikbaar"):
        poll_mailbox()


def test_a_wrong_password_is_a_clear_dutch_error(mail_app: Flask) -> None:
    mail_app.config["MAIL_INTAKE_PASSWORD"] = "fout"

    with mail_app.app_context(), pytest.raises(MailboxError, match="weigerde de inlog"):
        poll_mailbox()


def test_a_route_to_an_unknown_crisis_is_refused_before_any_mail_is_read(
    mail_app: Flask, imap_server: DovecotServer
) -> None:
    imap_server.deliver(resident_mail().as_bytes())
    mail_app.config["MAIL_INTAKE_FOLDERS"] = "INBOX=bestaatniet:GM0402"

    with mail_app.app_context(), pytest.raises(MailboxError, match="bestaatniet"):
        poll_mailbox(ImapSettings.from_config(mail_app.config))

    assert imap_server.unread_count() == 1


def test_the_cli_prints_the_counts_and_fails_clearly_without_a_mailbox(
    mail_app: Flask, imap_server: DovecotServer
) -> None:
    imap_server.deliver(
        resident_mail(attachments=(("virus.exe", "application/x", b"MZ"),)).as_bytes()
    )
    imap_server.deliver(
        resident_mail(
            message_id="<afwezig@example.nl>", headers={"Precedence": "auto_reply"}
        ).as_bytes()
    )
    runner = mail_app.test_cli_runner()

    result = runner.invoke(args=["mail-intake", "poll"])

    assert result.exit_code == 0, result.output
    assert "1 nieuwe vragen" in result.output
    assert "1 overgeslagen" in result.output
    assert "1 bijlagen geweigerd" in result.output

    mail_app.config["MAIL_INTAKE_PORT"] = free_port()
    failed = runner.invoke(args=["mail-intake", "poll"])

    assert failed.exit_code == 1
    assert "Postvak niet gelezen: De IMAP-server is niet bereikbaar" in failed.output
