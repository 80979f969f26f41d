"""The public FAQ in real Chromium: every page passes axe, works by keyboard, prints cleanly,
and its JSON-LD is parseable without the CSP complaining."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from kcc.faq import editorial
from tests.browser.helpers import PageAudit, tab_to
from tests.faq.conftest import entry_input_for, find_user

pytestmark = pytest.mark.browser

CRISIS = "oekraine"
QUESTION = "Wanneer wordt het leefgeld voor deze maand betaald?"
ANSWER = (
    "Wij betalen het leefgeld elke twee weken.\n\n"
    "- Op vrijdag\n- Op uw eigen rekening\n\n"
    "Meer weten? Lees [de regeling](https://www.rijksoverheid.nl)."
)
ENGLISH = ("When is this month's living allowance paid?", "We pay it every two weeks.")


def publish(app: Flask, question: str, answer: str, **details: object) -> int:
    """Write, submit and publish an entry the way the coordinator and adviser do."""
    with app.app_context():
        coordinator, analyst = find_user("coordinator"), find_user("analyst")
        data = entry_input_for(CRISIS, question, answer, **details)  # type: ignore[arg-type]
        entry = editorial.create_entry(data, user=coordinator)
        entry = editorial.take_action(
            entry.id, "submit", user=coordinator, seen_version=entry.version
        )
        entry = editorial.take_action(entry.id, "publish", user=analyst, seen_version=entry.version)
        return entry.id


def test_a_visitor_reads_searches_votes_and_switches_language_by_keyboard(
    app: Flask, page: Page, audit: PageAudit
) -> None:
    entry_id = publish(
        app,
        QUESTION,
        ANSWER,
        topic="leefgeld",
        translations={"en": ENGLISH, "uk": ("Коли виплачують гроші?", "Кожні два тижні.")},
    )
    publish(app, "Mag mijn kind hier naar school?", "Ja, elk kind mag naar school.")

    page.goto("/faq/")
    audit.assert_clean("crises")
    page.get_by_role("link", name="Opvang ontheemden uit Oekraïne").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Opvang ontheemden")
    audit.assert_clean("crisis page")
    json_ld = json.loads(page.locator('script[type="application/ld+json"]').text_content() or "")
    assert json_ld["@type"] == "FAQPage"
    assert QUESTION in {question["name"] for question in json_ld["mainEntity"]}

    # Keyboard only: to the search field, search, then to the first vote button and vote.
    tab_to(page, "#zoekwoorden")
    page.keyboard.type("LEEFGELD deze maand")
    page.keyboard.press("Enter")
    expect(page.get_by_text("1 vraag gevonden")).to_be_visible()
    audit.assert_clean("search results")
    tab_to(page, "button[name='nuttig'][value='ja']")
    page.keyboard.press("Enter")
    thanks = page.locator(f"#vraag-{entry_id}").get_by_role("status")
    expect(thanks).to_contain_text("Bedankt voor uw reactie")
    audit.assert_clean("after voting")

    # The entry's own page, and the same in English, marked as English.
    page.goto(f"/faq/{CRISIS}/")
    page.get_by_role("link", name=QUESTION).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(QUESTION)
    audit.assert_clean("entry page")
    page.get_by_role("link", name="English").click()
    expect(page.locator(f"#vraag-{entry_id}")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text(ENGLISH[0])
    audit.assert_clean("entry page in English")
    page.goto(f"/faq/{CRISIS}/?taal=uk")
    expect(page.locator(f"#vraag-{entry_id}")).to_have_attribute("lang", "uk")
    audit.assert_clean("crisis page in Ukrainian")

    page.get_by_role("link", name="Toegankelijkheid").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Toegankelijkheidsverklaring")
    audit.assert_clean("accessibility statement")


def test_the_printed_page_keeps_the_answers_and_drops_the_controls(
    app: Flask, page: Page, audit: PageAudit
) -> None:
    entry_id = publish(app, QUESTION, ANSWER, topic="leefgeld")
    page.goto(f"/faq/{CRISIS}/")

    page.emulate_media(media="print")

    entry = page.locator(f"#vraag-{entry_id}")
    expect(entry.get_by_text("Op vrijdag")).to_be_visible()
    expect(entry.locator(".vote-form")).to_be_hidden()
    expect(page.locator(".faq-search")).to_be_hidden()
    link_after = entry.get_by_role("link", name="de regeling").evaluate(
        "(link) => getComputedStyle(link, '::after').content"
    )
    assert "rijksoverheid.nl" in link_after
    audit.assert_clean("print view")
