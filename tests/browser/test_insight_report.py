"""The weekly report and the open-data export in real Chromium: a communication adviser picks
a crisis and week, reads the report, downloads the PDF and a CSV, then exports open data.
Every screen on the way passes axe (WCAG 2.1 AA) under the strict CSP."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from kcc.extensions import utcnow
from kcc.insight.report import week_of
from kcc.localtime import to_local
from tests.browser.helpers import BrowserAuthActions, PageAudit

pytestmark = pytest.mark.browser

CRISIS_NAME = "Opvang ontheemden uit Oekraïne"


def test_an_adviser_reads_the_weekly_report_and_exports_open_data(
    page: Page, audit: PageAudit, browser_auth: BrowserAuthActions, tmp_path: Path
) -> None:
    # The sample questions were registered just now: this week's report holds them.
    this_week = week_of(to_local(utcnow()).date())
    browser_auth.login("analyst")

    page.goto("/insights/report")
    audit.assert_clean("weekly report, default week")
    page.get_by_label("Crisis", exact=True).select_option(label=CRISIS_NAME)
    page.get_by_label("Week", exact=True).fill(this_week.iso_week)
    page.get_by_role("button", name="Rapport tonen").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Weekrapport {CRISIS_NAME}")
    expect(page.get_by_text("deze week is nog niet voorbij")).to_be_visible()
    expect(
        page.get_by_role("img", name="Vragen per dag, deze week en een week eerder")
    ).to_be_visible()
    expect(
        page.get_by_role("table", name="Kerncijfers: deze week en de week ervoor")
    ).to_be_visible()
    audit.assert_clean("weekly report")

    with page.expect_download() as pdf_download:
        page.get_by_role("link", name="Weekrapport als PDF").click()
    pdf = tmp_path / "report.pdf"
    pdf_download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    with page.expect_download() as csv_download:
        page.get_by_role("link", name="Vragen per dag als CSV-bestand").click()
    table = tmp_path / "vragen-per-dag.csv"
    csv_download.value.save_as(table)
    rows = list(csv.reader(table.read_text(encoding="utf-8").splitlines()))
    assert rows[0][:3] == ["Datum", "Dag", "Vragen"]
    assert sum(int(row[2]) for row in rows[1:]) == 3  # the three sample questions

    # A week that does not exist: the error is named at the field and summarised on top.
    page.goto("/insights/report?crisis=oekraine&week=2026-W60")
    expect(page.get_by_role("alert")).to_contain_text("Week 2026-W60 bestaat niet.")
    audit.assert_clean("weekly report with a wrong week")

    page.goto("/insights/report")
    page.get_by_role("link", name="Open data").click()
    page.get_by_label("Crisis", exact=True).select_option(label=CRISIS_NAME)
    page.get_by_label("Eerste dag").fill(this_week.monday.isoformat())
    page.get_by_label("Laatste dag").fill(this_week.sunday.isoformat())
    page.get_by_role("button", name="Bekijken").click()
    # Three questions from one municipality: every count is below 5 and left out.
    expect(page.get_by_role("status")).to_contain_text("zonder aantal")
    audit.assert_clean("open data")
    with page.expect_download() as open_data_download:
        page.get_by_role("link", name="Bestand downloaden").click()
    assert open_data_download.value.suggested_filename.startswith("vragen-oekraine-")
