"""The KCC agent in real Chromium: type, use a suggestion, save by keyboard, keep input."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from kcc.extensions import db
from kcc.intake.models import Question
from tests.browser.helpers import BrowserAuthActions, PageAudit

pytestmark = pytest.mark.browser


def questions_with_text(app: Flask, text: str) -> list[Question]:
    with app.app_context():
        return list(db.session.execute(select(Question).where(Question.text == text)).scalars())


def test_agent_types_uses_a_suggestion_and_saves_with_ctrl_enter(
    app: Flask, page: Page, audit: PageAudit, browser_auth: BrowserAuthActions
) -> None:
    browser_auth.login("agent")
    page.goto("/questions/new")
    page.get_by_label("Crisis").select_option(label="Opvang ontheemden uit Oekraïne")

    page.get_by_label("Vraag", exact=True).press_sequentially(
        "Is het leefgeld al betaald deze week?"
    )
    use = page.get_by_role("button", name="Gebruik dit antwoord van KCC-")
    expect(use.first).to_be_visible()
    audit.assert_clean("form with suggestions")
    use.first.click()
    expect(page.get_by_label("Gegeven antwoord")).to_have_value("Elke twee weken op vrijdag.")
    expect(page.get_by_label("Gegeven antwoord")).to_be_focused()

    page.keyboard.press("Control+Enter")

    expect(
        page.get_by_role("status").filter(has_text="Vorige vraag opgeslagen onder KCC-")
    ).to_be_visible()
    expect(page.get_by_label("Vraag", exact=True)).to_have_value("")
    saved = questions_with_text(app, "Is het leefgeld al betaald deze week?")
    assert len(saved) == 1
    assert saved[0].answer_source_kind == "question"
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('kcc-draft'))") == []


def test_contact_fields_appear_only_for_a_call_back_and_errors_keep_input(
    app: Flask, page: Page, audit: PageAudit, browser_auth: BrowserAuthActions
) -> None:
    browser_auth.login("agent")
    page.goto("/questions/new")
    contact = page.get_by_role("group", name="Contactgegevens")
    expect(contact).to_be_hidden()

    page.get_by_label("Vraag", exact=True).fill("Mijn zoon kan nog niet naar school.")
    page.get_by_label("Doorzetten naar coördinator").check()
    expect(contact).to_be_visible()
    page.get_by_label("Naam").fill("Olena")
    page.get_by_label("Telefoonnummer").fill("06-12")
    page.get_by_role("button", name="Opslaan").click()

    expect(page.get_by_role("alert")).to_contain_text("Dit is geen geldig telefoonnummer")
    expect(page.get_by_label("Vraag", exact=True)).to_have_value(
        "Mijn zoon kan nog niet naar school."
    )
    expect(page.get_by_label("Naam")).to_have_value("Olena")
    expect(page.get_by_label("Telefoonnummer")).to_have_attribute("aria-invalid", "true")
    expect(contact).to_be_visible()
    audit.assert_clean("form with a validation error")

    page.get_by_label("Telefoonnummer").fill("06-12345678")
    page.get_by_label("Telefoonnummer").press("Enter")  # Enter saves: Opslaan is the default
    expect(
        page.get_by_role("status").filter(has_text="doorgezet naar de coördinator")
    ).to_be_visible()
    assert len(questions_with_text(app, "Mijn zoon kan nog niet naar school.")) == 1


def test_a_draft_survives_a_closed_tab(
    app: Flask, page: Page, audit: PageAudit, browser_auth: BrowserAuthActions
) -> None:
    browser_auth.login("agent")
    page.goto("/questions/new")
    page.get_by_label("Kanaal").select_option(label="Balie")
    page.get_by_label("Vraag", exact=True).fill("Concept dat een crash moet overleven")
    page.wait_for_function("() => Object.keys(localStorage).some(k => k.startsWith('kcc-draft'))")

    # A crash: the page goes away without submitting; a new tab of the same browser opens.
    restored = page.context.new_page()
    page.close()
    restored.goto("/questions/new")

    expect(restored.get_by_text("Een niet-opgeslagen concept is teruggezet.")).to_be_visible()
    expect(restored.get_by_label("Vraag", exact=True)).to_have_value(
        "Concept dat een crash moet overleven"
    )
    expect(restored.get_by_label("Kanaal")).to_have_value("balie")
    restored.get_by_role("button", name="Opslaan").click()
    expect(
        restored.get_by_role("status").filter(has_text="Vorige vraag opgeslagen")
    ).to_be_visible()
    assert len(questions_with_text(app, "Concept dat een crash moet overleven")) == 1
    expect(restored.get_by_text("Een niet-opgeslagen concept is teruggezet.")).to_be_hidden()


def test_logging_out_removes_unsaved_drafts(
    page: Page, audit: PageAudit, browser_auth: BrowserAuthActions
) -> None:
    browser_auth.login("agent")
    page.goto("/questions/new")
    page.get_by_label("Vraag", exact=True).fill("Concept met 06-12345678 van de beller")
    page.wait_for_function("() => Object.keys(localStorage).some(k => k.startsWith('kcc-draft'))")

    page.get_by_role("button", name="Uitloggen").click()

    expect(page.get_by_text("U bent uitgelogd.")).to_be_visible()
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('kcc-draft'))") == []
