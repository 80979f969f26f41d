"""The question page shows the e-mail thread; attachments download safely and are logged."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kcc.extensions import db
from kcc.governance.models import AuditAction, AuditEvent
from kcc.intake.models import Question
from kcc.mailintake.models import MailAttachment
from kcc.mailintake.services import poll_mailbox
from tests.helpers import AuthActions
from tests.imap_server import DovecotServer
from tests.mailintake.conftest import resident_mail

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def receive_mail_with_attachments(app: Flask, imap_server: DovecotServer) -> tuple[int, int, int]:
    """Poll one e-mail with a kept and a refused attachment; their ids and the question's."""
    imap_server.deliver(
        resident_mail(
            body="Zie de brief van de GGD in de bijlage.",
            attachments=(
                ("brief GGD.pdf", "application/pdf", PDF),
                ("macro.docm", "application/octet-stream", b"PK\x03\x04"),
            ),
        ).as_bytes()
    )
    with app.app_context():
        poll_mailbox()
        question_id = db.session.execute(select(Question.id)).scalar_one()
        kept, refused = db.session.execute(
            select(MailAttachment.id).order_by(MailAttachment.id)
        ).scalars()
    return question_id, kept, refused


def test_the_question_page_shows_the_thread_with_attachments_and_refusals(
    mail_app: Flask, imap_server: DovecotServer, client: FlaskClient, auth: AuthActions
) -> None:
    question_id, kept, _ = receive_mail_with_attachments(mail_app, imap_server)
    auth.login("agent")

    page = client.get(f"/questions/{question_id}").get_data(as_text=True)

    assert "<h2>E-mails</h2>" in page
    assert "E-mail van de beller" in page
    assert "anna.devries@example.nl" in page
    assert "Zie de brief van de GGD in de bijlage." in page
    assert f'href="/questions/{question_id}/attachments/{kept}"' in page
    assert "brief GGD.pdf" in page
    assert "macro.docm" in page
    assert "Bestandstype .docm is niet toegestaan" in page


def test_an_attachment_downloads_as_a_file_and_the_download_is_logged(
    mail_app: Flask, imap_server: DovecotServer, client: FlaskClient, auth: AuthActions
) -> None:
    question_id, kept, _ = receive_mail_with_attachments(mail_app, imap_server)
    auth.login("agent")

    response = client.get(f"/questions/{question_id}/attachments/{kept}")

    assert response.status_code == 200
    assert response.data == PDF
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "brief GGD.pdf" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"]
    with mail_app.app_context():
        logged = db.session.execute(
            select(AuditEvent).where(AuditEvent.object_type == "mail_attachment")
        ).scalar_one()
    assert logged.action == AuditAction.VIEW_PERSONAL_DATA
    assert logged.username == "agent"
    assert logged.object_id == str(kept)


def test_refused_foreign_and_forbidden_attachments_are_not_served(
    mail_app: Flask, imap_server: DovecotServer, client: FlaskClient, auth: AuthActions
) -> None:
    question_id, kept, refused = receive_mail_with_attachments(mail_app, imap_server)
    auth.login("agent")

    assert client.get(f"/questions/{question_id}/attachments/{refused}").status_code == 404
    assert client.get(f"/questions/{question_id + 1}/attachments/{kept}").status_code == 404

    auth.logout()
    auth.login("analyst")  # masked text only: no personal data, so no residents' files
    assert client.get(f"/questions/{question_id}/attachments/{kept}").status_code == 403
