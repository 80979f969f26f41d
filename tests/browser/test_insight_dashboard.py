"""The insight dashboard and the crisis timeline in real Chromium: both pass axe with data and
with filters, the filter form works by keyboard alone, and a recorded event shows in the chart."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from kcc.extensions import db, utcnow
from kcc.insight.services import EventInput, record_crisis_event
from kcc.intake.services import QuestionInput, register_question
from kcc.reference.models import Crisis, Municipality, Topic
from tests.browser.helpers import BrowserAuthActions, PageAudit

pytestmark = pytest.mark.browser

CRISIS_NAME = "Opvang ontheemden uit Oekraïne"


def register_a_fortnight(app: Flask) -> None:
    """Questions on the last fourteen days over three topics, and a measure a week ago."""
    now = utcnow()
    with app.app_context():
        crisis = db.session.scalars(select(Crisis).where(Crisis.code == "oekraine")).one()
        municipality = db.session.scalars(select(Municipality)).first()
        topics = list(db.session.scalars(select(Topic).where(Topic.crisis_id == crisis.id)))[:3]
        assert municipality is not None
        for day in range(14):
            for number in range(day % 4 + 1):
                register_question(
                    QuestionInput(
                        channel="e-mail" if number % 2 else "telefoon",
                        caller_type="inwoner",
                        municipality_id=municipality.id,
                        crisis_id=crisis.id,
                        text="Wanneer wordt het leefgeld betaald?",
                        answer="Elke twee weken.",
                        received_at=now - timedelta(days=day),
                        topic_id=topics[number % 3].id,
                        sentiment="negatief" if number == 2 else "neutraal",
                    ),
                    user_id=None,
                    now=now - timedelta(days=day),
                )
        record_crisis_event(
            EventInput(
                crisis.id,
                "maatregel",
                "Nieuwe noodverordening van kracht",
                (now - timedelta(days=7)).date(),
            ),
            user=None,
        )


def test_dashboard_passes_axe_and_filters_by_keyboard(
    app: Flask, page: Page, audit: PageAudit, browser_auth: BrowserAuthActions
) -> None:
    register_a_fortnight(app)
    browser_auth.login("analyst")

    page.goto("/insights/")
    audit.assert_clean("dashboard")
    expect(page.get_by_role("img", name="Vragen per dag, per onderwerp")).to_be_visible()
    expect(page.get_by_role("img", name="Aandeel negatieve vragen per dag")).to_be_visible()
    expect(page.get_by_role("listitem").filter(has_text="Nieuwe noodverordening")).to_be_visible()
    # The table alternatives open like any disclosure, and pass axe open too.
    for summary in page.locator("summary").all():
        summary.click()
    expect(page.get_by_role("table", name="Vragen per dag en onderwerp")).to_be_visible()
    audit.assert_clean("dashboard with tables open")

    # Keyboard only: pick the channel by typing, then tab to the button and press Enter.
    page.get_by_label("Kanaal").focus()
    page.keyboard.type("E")
    expect(page.get_by_label("Kanaal")).to_have_value("e-mail")
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Tonen":
            break
    else:
        pytest.fail("the Tonen button is not reachable by Tab from the channel filter")
    page.keyboard.press("Enter")
    page.wait_for_url("**channel=e-mail**")
    audit.assert_clean("dashboard filtered")
    expect(page.get_by_text("kanaal e-mail").first).to_be_visible()


def test_a_wrong_period_is_explained_and_passes_axe(
    page: Page, audit: PageAudit, browser_auth: BrowserAuthActions
) -> None:
    browser_auth.login("coordinator")

    page.goto("/insights/?start=2026-11-20&end=2026-11-01")

    expect(page.get_by_role("alert")).to_contain_text("De einddatum ligt voor de begindatum.")
    audit.assert_clean("dashboard with a filter error")


def test_timeline_records_an_event_that_the_dashboard_draws(
    page: Page, audit: PageAudit, browser_auth: BrowserAuthActions
) -> None:
    browser_auth.login("coordinator")
    page.goto("/insights/")
    page.get_by_role("link", name="Tijdlijn: maatregelen en gebeurtenissen").click()
    audit.assert_clean("timeline")

    page.get_by_label("Crisis", exact=True).first.select_option(label=CRISIS_NAME)
    page.get_by_label("Soort").select_option(label="Gebeurtenis")
    page.get_by_label("Titel").fill("Informatieavond locatie Bussum")
    page.get_by_label("Datum (ingang)").fill(utcnow().date().isoformat())
    page.get_by_role("button", name="Vastleggen").click()
    expect(page.get_by_role("status")).to_contain_text("vastgelegd")
    expect(page.get_by_role("cell", name="Informatieavond locatie Bussum")).to_be_visible()
    audit.assert_clean("timeline after recording")

    page.get_by_role("link", name="Inzicht: vragen per crisis").click()
    page.get_by_label("Crisis").select_option(label=CRISIS_NAME)
    page.get_by_role("button", name="Tonen").click()
    expect(
        page.get_by_role("listitem").filter(has_text="Informatieavond locatie Bussum")
    ).to_be_visible()
    audit.assert_clean("dashboard with the event")
