"""An answer from the queue goes out in the resident's thread, and their reply comes back to it."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from kcc.auth.models import User
from kcc.escalation import mailing
from kcc.escalation.services import EscalateInput, escalate_question
from kcc.extensions import db
from kcc.intake.models import Question, QuestionStatus
from kcc.mailintake.models import MailDirection, MailMessage
from kcc.mailintake.services import poll_mailbox
from tests.imap_server import DovecotServer
from tests.mailintake.conftest import resident_mail
from tests.smtp_server import SmtpServer, configure_mail


def coordinator() -> User:
    return db.session.execute(select(User).where(User.username == "coordinator")).scalar_one()


def test_an_answer_from_the_queue_goes_out_in_the_residents_thread_and_the_reply_returns(
    mail_app: Flask, imap_server: DovecotServer, smtp_server: SmtpServer
) -> None:
    configure_mail(mail_app, smtp_server)
    imap_server.deliver(resident_mail(subject="Vraag over de coronatest").as_bytes())
    with mail_app.app_context():
        poll_mailbox()
        question = db.session.execute(select(Question)).scalar_one()
        escalation = escalate_question(
            question.id, EscalateInput(reason="Uitzoeken bij de GGD."), user=coordinator()
        )
        composed = mailing.compose_email(escalation, coordinator())
        assert composed.to == "anna.devries@example.nl"
        assert composed.subject == "Re: Vraag over de coronatest"
        follow_up = mailing.send_email_answer(escalation.id, composed, user=coordinator())
        answer_id = follow_up.message_id
        question_id = question.id

    [sent] = smtp_server.wait_for(1)
    assert sent["Subject"] == "Re: Vraag over de coronatest"
    assert sent["In-Reply-To"] == "<vraag-1@example.nl>"
    assert "<vraag-1@example.nl>" in sent["References"].split()
    assert sent["Message-ID"] == answer_id

    # The resident answers our e-mail: their program refers to our Message-ID.
    imap_server.deliver(
        resident_mail(
            subject="Re: Vraag over de coronatest",
            body="Dank u wel. Moet ik een afspraak maken?",
            message_id="<vraag-3@example.nl>",
            headers={"In-Reply-To": answer_id, "References": f"<vraag-1@example.nl> {answer_id}"},
        ).as_bytes()
    )
    with mail_app.app_context():
        report = poll_mailbox()
        thread = list(
            db.session.execute(
                select(MailMessage.direction, MailMessage.question_id).order_by(MailMessage.id)
            )
        )
        status = db.session.get(Question, question_id).status

    assert (report.registered, report.replies) == (0, 1)
    assert thread == [
        (MailDirection.INBOUND.value, question_id),
        (MailDirection.OUTBOUND.value, question_id),
        (MailDirection.INBOUND.value, question_id),
    ]
    assert status == QuestionStatus.DOORGEZET  # the open escalation stays the work item
