"""A work instruction from coordinator to agent, in real Chromium: the coordinator publishes an
important notice, the agent finds it among their notices and confirms it by keyboard, and the
coordinator sees who read it. Every notice screen passes axe."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import BrowserAuthActions, PageAudit

pytestmark = pytest.mark.browser

TITLE = "Bij vragen over leefgeld: doorzetten naar team Inkomen"
BODY = "Vanaf vandaag beantwoordt team Inkomen alle vragen over leefgeld. Beloof geen bedrag."
# Enough presses to pass the skip link, the menu and the account links to the first button.
MAX_TABS = 40


def switch_user(page: Page, browser_auth: BrowserAuthActions, username: str) -> None:
    """Log out through the header button and log in as someone else."""
    page.get_by_role("button", name="Uitloggen").click()
    expect(page.get_by_text("U bent uitgelogd.")).to_be_visible()
    browser_auth.login(username)


def tab_to(page: Page, name: str) -> None:
    """Press Tab until the focused element is the button or link with this text."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == name:
            return
    pytest.fail(f"'{name}' cannot be reached with the Tab key")


def test_an_important_notice_is_published_confirmed_and_tracked(
    page: Page, audit: PageAudit, browser_auth: BrowserAuthActions
) -> None:
    browser_auth.login("coordinator")
    page.goto("/notices/")
    audit.assert_clean("notice list, empty")
    page.get_by_role("link", name="Nieuw bericht").click()
    audit.assert_clean("new notice form")

    # A notice without a title is refused, with the error tied to the field.
    page.get_by_role("button", name="Bericht plaatsen").click()
    expect(page.get_by_label("Titel")).to_have_attribute("aria-invalid", "true")
    audit.assert_clean("new notice form with errors")

    page.get_by_label("Titel").fill(TITLE)
    page.get_by_label("Bericht", exact=True).fill(BODY)
    page.get_by_label("Belangrijk").check()
    expect(page.get_by_label("Voor wie")).to_have_value("agent")
    page.get_by_role("button", name="Bericht plaatsen").click()
    expect(page.get_by_text("Bericht geplaatst.")).to_be_visible()
    expect(page.get_by_role("heading", name="Nog niet bevestigd (1)")).to_be_visible()
    audit.assert_clean("notice detail, unread")
    detail_url = page.url
    page.get_by_role("link", name="Wijzigen").click()
    expect(page.get_by_label("Titel")).to_have_value(TITLE)
    audit.assert_clean("edit notice form")

    # The agent sees it, confirms it by keyboard, and it folds away among the others.
    switch_user(page, browser_auth, "agent")
    page.goto("/notices/mine")
    notice = page.get_by_role("article", name=TITLE)
    expect(notice.get_by_text("Beloof geen bedrag.")).to_be_visible()
    audit.assert_clean("my notices, to confirm")
    tab_to(page, "Gelezen")
    page.keyboard.press("Enter")
    expect(page.get_by_text("vastgelegd dat u het bericht gelezen hebt")).to_be_visible()
    expect(page.get_by_role("button", name="Gelezen")).to_have_count(0)
    expect(page.get_by_text("(belangrijk, gelezen)")).to_be_visible()
    audit.assert_clean("my notices, confirmed")

    # The coordinator sees who read it, and withdraws it.
    switch_user(page, browser_auth, "coordinator")
    page.goto(detail_url)
    expect(page.get_by_role("heading", name="Gelezen (1)")).to_be_visible()
    expect(page.get_by_role("cell", name="Demo KCC-medewerker")).to_be_visible()
    audit.assert_clean("notice detail, read")
    page.get_by_role("button", name="Intrekken").click()
    expect(page.get_by_text("Bericht ingetrokken")).to_be_visible()
    page.get_by_role("link", name="Alle berichten").click()
    expect(page.get_by_role("row").filter(has_text=TITLE)).to_contain_text("1 van 1")
    audit.assert_clean("notice list")
