"""E-mail intake fixtures: a real Dovecot for the run, an app pointed at it, mails to put in."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime

import pytest
from flask import Flask
from sqlalchemy import select

from kcc.extensions import db, utcnow
from kcc.reference.models import Crisis, Municipality
from tests.imap_server import DOVECOT, DovecotServer


@pytest.fixture(scope="session")
def _dovecot_session() -> Iterator[DovecotServer]:
    """One Dovecot for the whole run (it starts in well under a second), stopped at the end."""
    if not DOVECOT.exists():
        pytest.fail("Dovecot ontbreekt: installeer het met scripts/install-test-deps.sh.")
    server = DovecotServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def imap_server(_dovecot_session: DovecotServer) -> DovecotServer:
    """The run's Dovecot with an empty inbox."""
    _dovecot_session.clear()
    return _dovecot_session


@dataclass(frozen=True)
class Route:
    """The crisis and municipality the test mailbox's INBOX registers under."""

    crisis_id: int
    municipality_id: int


@pytest.fixture
def mail_app(app: Flask, demo: None, imap_server: DovecotServer) -> Flask:
    """An app whose intake mailbox is the test Dovecot: INBOX = corona in Hilversum."""
    app.config.update(
        MAIL_INTAKE_HOST=imap_server.host,
        MAIL_INTAKE_PORT=imap_server.port,
        MAIL_INTAKE_SECURITY="none",
        MAIL_INTAKE_USERNAME=imap_server.username,
        MAIL_INTAKE_PASSWORD=imap_server.password,
        MAIL_INTAKE_FOLDERS="INBOX=corona:GM0402",
        MAIL_INTAKE_TIMEOUT=5.0,
        # Small limits, so the tests need no megabytes of attachment.
        MAIL_INTAKE_MAX_ATTACHMENT_BYTES=2_000,
        MAIL_INTAKE_MAX_ATTACHMENTS_BYTES=3_000,
        MAIL_INTAKE_MAX_ATTACHMENTS=3,
    )
    return app


@pytest.fixture
def route(mail_app: Flask) -> Route:
    """Ids of the crisis and municipality INBOX is routed to."""
    with mail_app.app_context():
        crisis = db.session.execute(select(Crisis).where(Crisis.code == "corona")).scalar_one()
        municipality = db.session.execute(
            select(Municipality).where(Municipality.cbs_code == "GM0402")
        ).scalar_one()
        return Route(crisis_id=crisis.id, municipality_id=municipality.id)


def resident_mail(
    *,
    subject: str = "Vraag over de coronatest",
    body: str = "Waar kan ik me laten testen als ik klachten heb?",
    sender: str = "Anna de Vries <anna.devries@example.nl>",
    message_id: str = "<vraag-1@example.nl>",
    headers: dict[str, str] | None = None,
    attachments: tuple[tuple[str, str, bytes], ...] = (),
) -> EmailMessage:
    """An e-mail as a resident's mail program would send it."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "crisis@gemeente.test"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message["Date"] = format_datetime(utcnow())
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    for filename, content_type, content in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return message
