"""Sending mail through a real SMTP server on localhost; failures come back in Dutch."""

from __future__ import annotations

import socket
import time
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask

from kcc.mail import MailSettings, OutgoingMail, build_message, new_message_id, send_mail
from tests.smtp_server import RejectingSmtpServer, SmtpServer, configure_mail, free_port

SENDER = "Crisisteam <kcc@gemeente.test>"
QUESTION_ID = "<vraag-42@burger.test>"
EARLIER_ID = "<bevestiging-41@gemeente.test>"
DUTCH_BODY = "Beste mevrouw Müller,\n\nUw ideeën over de vergoeding van € 25 zijn ontvangen.\n"


def settings_for(server: SmtpServer, **changes: Any) -> MailSettings:
    """Settings that send to a test server, with a short timeout."""
    settings = MailSettings(host=server.host, port=server.port, sender=SENDER, timeout=5.0)
    return replace(settings, **changes)


ANSWER = OutgoingMail(
    to="burger@example.nl",
    subject="Re: Vraag over de opvang",
    body=DUTCH_BODY,
    reply_to="opvang@gemeente.test",
    in_reply_to=QUESTION_ID,
    references=(QUESTION_ID, EARLIER_ID),
)


def answer(**changes: Any) -> OutgoingMail:
    """A reply to a citizen's question, as the contact centre sends one."""
    return replace(ANSWER, **changes)


def test_a_sent_message_arrives_once_with_its_headers(smtp_server: SmtpServer) -> None:
    result = send_mail(answer(), settings_for(smtp_server))

    [received] = smtp_server.wait_for(1)
    assert result.delivered is True
    assert result.error == ""
    assert received["From"] == SENDER
    assert received["To"] == "burger@example.nl"
    assert received["Subject"] == "Re: Vraag over de opvang"
    assert received["Reply-To"] == "opvang@gemeente.test"
    assert received["Message-ID"] == result.message_id
    assert received["In-Reply-To"] == QUESTION_ID
    assert received["References"] == f"{QUESTION_ID} {EARLIER_ID}"
    assert received["Date"].datetime.tzinfo is not None


def test_dutch_characters_survive_in_body_and_subject(smtp_server: SmtpServer) -> None:
    send_mail(answer(subject="Uw ideeën over € 25"), settings_for(smtp_server))

    [received] = smtp_server.wait_for(1)
    body = received.get_body(preferencelist=("plain",))
    assert body is not None
    assert body.get_content_type() == "text/plain"
    assert body.get_content_charset() == "utf-8"
    assert body.get_content() == DUTCH_BODY
    assert received["Subject"] == "Uw ideeën over € 25"


def test_optional_threading_headers_are_left_out_when_not_given(smtp_server: SmtpServer) -> None:
    send_mail(
        OutgoingMail(to="burger@example.nl", subject="Bevestiging", body="Ontvangen."),
        settings_for(smtp_server),
    )

    [received] = smtp_server.wait_for(1)
    assert [received[name] for name in ("Reply-To", "In-Reply-To", "References")] == [None] * 3


def test_a_retry_keeps_the_message_id_it_is_given(smtp_server: SmtpServer) -> None:
    first = send_mail(answer(), settings_for(smtp_server))
    retry = send_mail(answer(message_id=first.message_id), settings_for(smtp_server))

    received = smtp_server.wait_for(2)
    assert retry.message_id == first.message_id
    assert [message["Message-ID"] for message in received] == [first.message_id] * 2


def test_a_refused_recipient_is_reported_with_the_server_reply(
    rejecting_smtp_server: RejectingSmtpServer,
) -> None:
    result = send_mail(answer(), settings_for(rejecting_smtp_server))

    assert result.delivered is False
    assert "554" in result.error
    assert result.error.startswith("De mailserver weigerde het bericht")
    assert result.message_id.endswith("@gemeente.test>")
    assert rejecting_smtp_server.messages == []


def test_an_unreachable_server_is_reported_within_the_timeout() -> None:
    port = free_port()
    settings = MailSettings(host="127.0.0.1", port=port, sender=SENDER, timeout=2.0)

    started = time.monotonic()
    result = send_mail(answer(), settings)

    assert time.monotonic() - started < settings.timeout
    assert result.delivered is False
    assert f"De mailserver is niet bereikbaar (127.0.0.1:{port})" in result.error
    assert result.message_id.startswith("<")


def test_a_server_that_never_answers_is_reported_as_a_timeout() -> None:
    # A socket that listens but never accepts: the connection opens, the greeting never comes.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        settings = MailSettings(host="127.0.0.1", port=port, sender=SENDER, timeout=0.5)

        started = time.monotonic()
        result = send_mail(answer(), settings)

    assert time.monotonic() - started < 2 * settings.timeout
    assert result.delivered is False
    assert result.error == f"De mailserver reageerde niet binnen 0.5 seconden (127.0.0.1:{port})."


@pytest.mark.parametrize(
    "changes",
    [{"use_starttls": True}, {"username": "kcc", "password": "geheim"}],
    ids=["starttls", "login"],
)
def test_asking_for_what_the_server_lacks_is_reported_not_raised(
    smtp_server: SmtpServer, changes: dict[str, Any]
) -> None:
    # The test server offers neither STARTTLS nor AUTH.
    result = send_mail(answer(), settings_for(smtp_server, **changes))

    assert result.delivered is False
    assert "De mailserver ondersteunt niet" in result.error
    assert smtp_server.messages == []


@pytest.mark.parametrize(
    "changes",
    [
        {"subject": "Vraag\nBcc: iedereen@example.nl"},
        {"subject": "Vraag\r"},
        {"to": "burger@example.nl\r\nBcc: iedereen@example.nl"},
        {"reply_to": "opvang@gemeente.test\nBcc: iedereen@example.nl"},
        {"in_reply_to": f"{QUESTION_ID}\nBcc: iedereen@example.nl"},
        {"subject": "Vraag\u2028Bcc: iedereen@example.nl"},
    ],
    ids=["subject-lf", "subject-cr", "to", "reply-to", "in-reply-to", "unicode-line-separator"],
)
def test_a_line_break_in_a_header_is_refused(
    smtp_server: SmtpServer, changes: dict[str, Any]
) -> None:
    settings = settings_for(smtp_server)

    with pytest.raises(ValueError, match="regeleinde"):
        build_message(answer(**changes), settings, message_id=new_message_id(SENDER))
    with pytest.raises(ValueError, match="regeleinde"):
        send_mail(answer(**changes), settings)
    assert smtp_server.messages == []


def test_message_ids_are_unique_and_in_the_sender_domain() -> None:
    first, second = new_message_id(SENDER), new_message_id("kcc@gemeente.test")

    assert first != second
    assert first.startswith("<")
    assert first.endswith("@gemeente.test>")
    assert second.endswith("@gemeente.test>")


def test_settings_are_read_from_the_flask_config_keys() -> None:
    settings = MailSettings.from_config(
        {
            "MAIL_SERVER": "smtp.gemeente.nl",
            "MAIL_PORT": 587,
            "MAIL_USERNAME": "kcc",
            "MAIL_PASSWORD": "geheim",
            "MAIL_USE_TLS": True,
            "MAIL_SENDER": "kcc@gemeente.nl",
            "MAIL_TIMEOUT": 3,
        }
    )

    assert settings == MailSettings(
        host="smtp.gemeente.nl",
        port=587,
        username="kcc",
        password="geheim",
        use_starttls=True,
        sender="kcc@gemeente.nl",
        timeout=3.0,
    )
    assert "geheim" not in repr(settings)


def test_settings_without_timeout_or_login_keep_the_defaults() -> None:
    settings = MailSettings.from_config(
        {"MAIL_SERVER": "localhost", "MAIL_PORT": 25, "MAIL_USERNAME": None, "MAIL_USE_TLS": False}
    )

    assert settings.timeout == 10.0
    assert (settings.username, settings.password, settings.use_starttls) == (None, None, False)


def test_configure_mail_points_an_app_at_the_test_server(smtp_server: SmtpServer) -> None:
    app = Flask(__name__)
    configure_mail(app, smtp_server)

    result = send_mail(answer(), MailSettings.from_config(app.config))

    [received] = smtp_server.wait_for(1)
    assert result.delivered is True
    assert received["From"] == "kcc@gemeente.test"
