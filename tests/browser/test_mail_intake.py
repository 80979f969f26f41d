"""An e-mail question in real Chromium: the agent reads the thread (axe-clean) and downloads
the resident's attachment by keyboard; a refused attachment shows its reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from kcc.extensions import db, utcnow
from kcc.intake.models import Question
from kcc.mailintake.imap import FolderRoute
from kcc.mailintake.services import (
    PollReport,
    attachment_limits,
    process_message,
    resolve_route,
)
from tests.browser.helpers import BrowserAuthActions, PageAudit
from tests.mailintake.conftest import resident_mail

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
MAX_TABS = 60


def receive_email_question(app: Flask) -> int:
    """Store an e-mail as the poller does after fetching it (the IMAP part is tested apart)."""
    raw = resident_mail(
        body="Zie de brief in de bijlage.",
        attachments=(
            ("brief.pdf", "application/pdf", PDF),
            ("programma.exe", "application/octet-stream", b"MZ"),
        ),
    ).as_bytes()
    with app.app_context():
        destination = resolve_route(FolderRoute("INBOX", "corona", "GM0402"))
        process_message(raw, destination, attachment_limits(app.config), PollReport(), now=utcnow())
        return db.session.execute(
            select(Question.id).where(Question.channel == "e-mail", Question.text.contains("brief"))
        ).scalar_one()


def test_an_agent_reads_the_email_thread_and_downloads_the_attachment_by_keyboard(
    app: Flask,
    page: Page,
    audit: PageAudit,
    browser_auth: BrowserAuthActions,
    tmp_path: Path,
) -> None:
    question_id = receive_email_question(app)
    browser_auth.login("agent")

    page.goto(f"/questions/{question_id}")

    expect(page.get_by_role("heading", name="E-mails")).to_be_visible()
    expect(page.get_by_text("Zie de brief in de bijlage.").first).to_be_visible()
    expect(page.get_by_text("Bestandstype .exe is niet toegestaan")).to_be_visible()
    audit.assert_clean("question detail with e-mail thread")

    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "brief.pdf":
            break
    else:
        pytest.fail("the attachment link cannot be reached with the Tab key")
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    saved = tmp_path / "brief.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes() == PDF
    assert download.value.suggested_filename == "brief.pdf"
