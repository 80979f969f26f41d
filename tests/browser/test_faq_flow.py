"""From a burst of similar questions to a published FAQ entry, in real Chromium: agents register
the questions, the coordinator clusters them and drafts an entry, the communication adviser
reviews and publishes it, and an anonymous visitor reads it on the public page. Every screen on
the way passes axe."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import BrowserAuthActions, PageAudit

pytestmark = pytest.mark.browser

# The same question five times in other words, one with a phone number that must never reach
# the cluster screen, the draft or the public page.
BURST = (
    "Mag mijn gastgezin een vergoeding krijgen voor de opvang?",
    "mag mijn gastgezin een vergoeding krijgen voor de opvang",
    "Krijgt mijn gastgezin een vergoeding voor de opvang?",
    "Beller vraagt of haar gastgezin een vergoeding mag krijgen voor de opvang, bel 06-12345678",
    "Mag een gastgezin een vergoeding krijgen voor de opvang?",
)
EARLIER_ANSWER = "Ja. Een gastgezin krijgt € 350 per maand voor de opvang."
PUBLIC_ANSWER = (
    "Ja. Een gastgezin krijgt een vergoeding van € 350 per maand.\n\n"
    "- Vraag de vergoeding aan bij uw gemeente.\n- U krijgt het geld elke maand."
)


def switch_user(page: Page, browser_auth: BrowserAuthActions, username: str) -> None:
    """Log out through the header button and log in as someone else."""
    page.get_by_role("button", name="Uitloggen").click()
    expect(page.get_by_text("U bent uitgelogd.")).to_be_visible()
    browser_auth.login(username)


def register(page: Page, text: str, answer: str) -> None:
    """Register one answered question through the intake form."""
    page.goto("/questions/new")
    page.get_by_label("Crisis").select_option(label="Opvang ontheemden uit Oekraïne")
    page.get_by_label("Vraag", exact=True).fill(text)
    page.get_by_label("Gegeven antwoord").fill(answer)
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_role("status").filter(has_text="opgeslagen")).to_be_visible()


def test_a_burst_of_questions_becomes_a_published_faq_entry(
    page: Page, audit: PageAudit, browser_auth: BrowserAuthActions
) -> None:
    browser_auth.login("agent")
    for text in BURST:
        register(page, text, EARLIER_ANSWER)

    # The coordinator clusters the crisis's questions and drafts an entry from the cluster.
    switch_user(page, browser_auth, "coordinator")
    page.get_by_role("link", name="FAQ", exact=True).click()
    page.get_by_role("link", name="Clusters van vragen").click()
    page.get_by_label("Crisis").first.select_option(label="Opvang ontheemden uit Oekraïne")
    page.get_by_label("Dagen").fill("7")
    page.get_by_role("button", name="Clusters maken").click()
    audit.assert_clean("cluster run")
    row = page.get_by_role("row").filter(has_text="gastgezin")
    expect(row.get_by_text("niet gedekt")).to_be_visible()
    expect(page.get_by_text("06-12345678")).to_have_count(0)
    row.get_by_role("link", name="Cluster").click()
    audit.assert_clean("cluster")
    expect(page.get_by_text(EARLIER_ANSWER).first).to_be_visible()
    page.get_by_role("button", name="Maak FAQ").click()

    # The draft holds the representative question and the earlier answer; she rewrites it.
    audit.assert_clean("draft from cluster")
    question = page.get_by_label("Vraag", exact=True)
    expect(question).to_contain_text("gastgezin")
    expect(page.get_by_label("Antwoord", exact=True)).to_have_value(EARLIER_ANSWER)
    question.fill("Krijgt mijn gastgezin een vergoeding?")
    page.get_by_label("Antwoord", exact=True).fill(PUBLIC_ANSWER)
    page.get_by_role("button", name="Bewaren als concept").click()
    expect(page.get_by_text("Wijziging bewaard")).to_be_visible()
    page.get_by_role("button", name="Aanbieden voor review").click()
    expect(page.get_by_text("Status").locator("xpath=following-sibling::dd[1]")).to_contain_text(
        "Ter review"
    )
    entry_url = page.url

    # The communication adviser reviews and publishes (four eyes).
    switch_user(page, browser_auth, "analyst")
    page.goto(entry_url)
    audit.assert_clean("entry in review")
    page.get_by_role("button", name="Publiceren").click()
    expect(page.get_by_text("staat online")).to_be_visible()
    page.get_by_role("button", name="Uitloggen").click()

    # An anonymous visitor finds it on the public page, by keyboard-reachable search.
    page.goto("/faq/")
    audit.assert_clean("public crises")
    page.get_by_role("link", name="Opvang ontheemden uit Oekraïne").click()
    page.get_by_role("searchbox").fill("gastgezin")
    page.keyboard.press("Enter")
    page.wait_for_url("**q=gastgezin**")
    audit.assert_clean("public search")
    heading = page.get_by_role("heading", name="Krijgt mijn gastgezin een vergoeding?")
    expect(heading).to_be_visible()
    expect(page.get_by_role("listitem").filter(has_text="elke maand")).to_be_visible()
    expect(page.get_by_text("06-12345678")).to_have_count(0)
    heading.get_by_role("link").click()
    audit.assert_clean("public entry page")
    expect(page.get_by_text("Laatst gewijzigd")).to_be_visible()
