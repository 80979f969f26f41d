"""The Open Klant push log in real Chromium: a failed push is listed with its reason and tried
again from the screen; every state of the page passes axe."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from kcc.integration import push
from tests.browser.helpers import BrowserAuthActions, PageAudit
from tests.integration.open_klant_server import TOKEN, OpenKlantServer

pytestmark = pytest.mark.browser


@pytest.fixture
def open_klant(app: Flask, live_server: str) -> Iterator[OpenKlantServer]:
    """The Open Klant stand-in; the first contact it is sent is refused, the rest accepted."""
    server = OpenKlantServer().start()
    app.config.update(KLANTINTERACTIES_URL=server.base_url, KLANTINTERACTIES_TOKEN=TOKEN)
    server.state.fail("POST", "/maak-klantcontact", 400)
    with app.app_context():
        summary = push.push_pending()
    assert (summary.sent, summary.failed) == (2, 1)
    yield server
    server.stop()


def test_the_administrator_retries_a_refused_push(
    page: Page,
    audit: PageAudit,
    browser_auth: BrowserAuthActions,
    open_klant: OpenKlantServer,
) -> None:
    browser_auth.login("admin")
    page.goto("/admin/integration/")

    expect(page.get_by_role("heading", name="Koppeling met Open Klant")).to_be_visible()
    failed_row = page.get_by_role("row").filter(has_text="Mislukt")
    expect(failed_row).to_contain_text("Geplande weigering.")
    audit.assert_clean("pushlog met een mislukte verzending")

    failed_row.get_by_role("button", name="Opnieuw proberen").click()

    expect(page.get_by_role("status")).to_contain_text("naar Open Klant verstuurd")
    expect(page.get_by_role("row").filter(has_text="Mislukt")).to_have_count(0)
    audit.assert_clean("pushlog na opnieuw proberen")
    assert len(open_klant.state.calls("POST", "/maak-klantcontact")) == 4
