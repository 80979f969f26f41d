"""The signals screen in real Chromium with axe: new and acknowledged signals, the e-mail switch,
and acknowledging one as a communication adviser."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from kcc.extensions import db
from kcc.insight.models import Signal
from kcc.reference.models import Crisis, Municipality, Topic
from tests.browser.helpers import BrowserAuthActions, PageAudit

pytestmark = pytest.mark.browser


@pytest.fixture
def stored_signals(app: Flask, live_server: str) -> None:
    """A volume spike, a municipal spike and a sentiment turn, as the daily job stores them."""
    with app.app_context():
        crisis = db.session.execute(select(Crisis).where(Crisis.code == "oekraine")).scalar_one()
        topic = db.session.execute(
            select(Topic).where(Topic.crisis_id == crisis.id, Topic.code == "leefgeld")
        ).scalar_one()
        place = db.session.execute(
            select(Municipality).where(Municipality.cbs_code == "GM0402")
        ).scalar_one()
        day = date(2026, 3, 2)
        found = datetime(2026, 3, 2, 20, tzinfo=UTC)
        common = {"crisis_id": crisis.id, "day": day, "source": "kcc", "detected_at": found}
        db.session.add_all(
            [
                Signal(
                    kind="volume", topic_id=topic.id, observed=80, expected=20, score=9.3, **common
                ),
                Signal(
                    kind="volume",
                    municipality_id=place.id,
                    observed=95,
                    expected=31,
                    score=7.1,
                    **common,
                ),
                Signal(
                    kind="sentiment",
                    topic_id=topic.id,
                    observed=20,
                    expected=3,
                    score=12.4,
                    detail="20 van 25 negatief (80%), gewoonlijk 12%",
                    **common,
                ),
            ]
        )
        db.session.commit()


def test_an_adviser_reads_and_acknowledges_signals(
    page: Page, audit: PageAudit, browser_auth: BrowserAuthActions, stored_signals: None
) -> None:
    browser_auth.login("analyst")
    page.goto("/insights/signals")
    expect(page.get_by_role("heading", name="Signalen", level=1)).to_be_visible()
    expect(page.get_by_text("80 vragen, verwacht 20")).to_be_visible()
    expect(page.get_by_text("20 van 25 negatief (80%), gewoonlijk 12%")).to_be_visible()
    audit.assert_clean("signals")

    page.get_by_role("button", name="E-mail mij de signalen van alle crises").click()
    expect(page.get_by_text("U krijgt nieuwe signalen voortaan per e-mail.")).to_be_visible()
    page.get_by_role("button", name="Bevestigen").first.click()
    expect(page.get_by_text("Signaal bevestigd.")).to_be_visible()
    expect(page.get_by_text("Bevestigd door")).to_have_count(1)
    audit.assert_clean("signals after acknowledging")
