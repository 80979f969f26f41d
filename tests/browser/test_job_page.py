"""With Redis configured, a cluster run started on the screen becomes a background job: its page
passes axe while it waits and when it is done, and the result is reached by keyboard."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from rq import SimpleWorker

from kcc.jobs import queue
from tests.browser.helpers import BrowserAuthActions, PageAudit
from tests.jobs.conftest import _redis_server_session, app, redis_server  # noqa: F401

pytestmark = pytest.mark.browser
MAX_TABS = 40


def test_a_background_cluster_run_is_followed_on_its_job_page(
    app: Flask,  # noqa: F811  (the Redis-backed app from tests/jobs)
    page: Page,
    audit: PageAudit,
    browser_auth: BrowserAuthActions,
) -> None:
    browser_auth.login("coordinator")
    page.goto("/editorial/clusters")
    page.get_by_label("Crisis").first.select_option(label="Opvang ontheemden uit Oekraïne")
    page.get_by_label("Dagen").fill("7")
    page.get_by_role("button", name="Clusters maken").click()

    expect(page.get_by_role("heading", name="Taak: Vragen clusteren")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Status: In de wachtrij")
    audit.assert_clean("job page, waiting")

    with app.app_context():
        job_queue = queue.job_queue()
        SimpleWorker([job_queue], connection=job_queue.connection).work(burst=True)
    page.get_by_role("link", name="Status vernieuwen").click()
    expect(page.locator("main")).to_contain_text("Status: Klaar")
    audit.assert_clean("job page, done")

    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Bekijk het resultaat":
            break
    else:
        pytest.fail("'Bekijk het resultaat' cannot be reached with the Tab key")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/editorial/clusters/\d+$"))
