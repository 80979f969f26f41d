"""Online messages beside the KCC's, in real Chromium: a coordinator imports the example export
by keyboard and reads the comparison; the page passes axe before and after, and no personal
data from the export reaches it."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import BrowserAuthActions, PageAudit, tab_to

pytestmark = pytest.mark.browser

EXAMPLE = Path(__file__).resolve().parents[2] / "kcc" / "data" / "online" / "example_obi4wan.csv"


def test_coordinator_imports_an_export_by_keyboard_and_compares(
    page: Page, audit: PageAudit, browser_auth: BrowserAuthActions
) -> None:
    browser_auth.login("coordinator")
    page.goto("/insights/online")
    expect(page.get_by_role("heading", name="Online en KCC vergeleken")).to_be_visible()
    audit.assert_clean("online page before import")

    # By keyboard: choose the crisis, then the file (a file chooser is the browser's own
    # dialog, so the test hands it the file when it opens), then submit with Enter.
    tab_to(page, "#import-crisis")
    crisis = page.locator("#import-crisis")
    crisis.select_option(label="Opvang ontheemden uit Oekraïne")
    page.keyboard.press("Tab")
    file_field = page.get_by_label("Export van de mediamonitor (CSV)")
    expect(file_field).to_be_focused()
    # The operating system's file dialog is outside the page: choose the file on the field.
    file_field.set_input_files(EXAMPLE)
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Importeren")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_text("48 berichten geïmporteerd, 2 rijen overgeslagen.")).to_be_visible()
    table = page.get_by_role("table", name="KCC en online per onderwerp")
    expect(table.get_by_role("row", name="Totaal")).to_contain_text("48")
    expect(page.get_by_role("img", name="Aandeel negatief per onderwerp")).to_be_visible()
    expect(page.get_by_role("cell", name="example_obi4wan.csv", exact=True)).to_be_visible()
    expect(page.get_by_text("06-12345678")).to_have_count(0)
    audit.assert_clean("online page with an import")
