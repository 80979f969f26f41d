"""An agent's unsent question survives the server going down while she saves it (issue 10).

test_intake_flow.py covers a closed tab; here the server itself disappears between typing and
saving: the browser's submit finds nobody listening, and when the server is back on the same
address the draft is still in the browser, is restored, and is saved exactly once.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Browser, Error, Page, expect
from sqlalchemy import select
from werkzeug.serving import make_server

from kcc.extensions import db
from kcc.intake.models import Question
from tests.browser.helpers import BrowserAuthActions, PageAudit, open_page
from tests.helpers import BackgroundServer

pytestmark = pytest.mark.browser

DRAFT_SAVED = "() => Object.keys(localStorage).some(k => k.startsWith('kcc-draft'))"


class RestartableServer:
    """The app on a fixed port that can go down and come back, like a crashed app server."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.port = 0
        self.server: BackgroundServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Listen (again) on the same port."""
        wsgi_server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self.port = wsgi_server.server_port
        self.server = BackgroundServer(wsgi_server, "restartable-server")
        self.server.start()

    def go_down(self) -> None:
        """Stop answering and close the socket: connections are refused from now on."""
        assert self.server is not None
        self.server.stop()
        self.server = None


@pytest.fixture
def server(app: Flask, demo: None, active_models: None) -> Iterator[RestartableServer]:
    running = RestartableServer(app)
    running.start()
    yield running
    if running.server is not None:
        running.go_down()


@pytest.fixture
def page(browser: Browser, server: RestartableServer) -> Iterator[Page]:
    with open_page(browser, server.url) as new_page:
        yield new_page


def test_a_draft_survives_the_server_going_down_while_saving(
    app: Flask, page: Page, axe_source: str, server: RestartableServer
) -> None:
    audit = PageAudit(page, axe_source)
    BrowserAuthActions(page).login("agent")
    page.goto("/questions/new")
    page.get_by_label("Kanaal").select_option(label="Balie")
    page.get_by_label("Vraag", exact=True).fill("Vraag getypt vlak voor de storing")
    page.wait_for_function(DRAFT_SAVED)

    server.go_down()
    # She saves: the browser finds no server and shows its own error page.
    with pytest.raises(Error, match="ERR_CONNECTION_REFUSED"):
        with page.expect_navigation():
            page.get_by_role("button", name="Opslaan").click()
    # Chromium then shows its error page; wait for it, or it would interrupt the next visit.
    page.wait_for_url(lambda url: url.startswith("chrome-error://"))

    server.start()  # the process manager started the app server again
    page.goto("/questions/new")

    expect(page.get_by_text("Een niet-opgeslagen concept is teruggezet.")).to_be_visible()
    expect(page.get_by_label("Vraag", exact=True)).to_have_value(
        "Vraag getypt vlak voor de storing"
    )
    expect(page.get_by_label("Kanaal")).to_have_value("balie")
    audit.assert_clean("form with a draft restored after a server failure")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_role("status").filter(has_text="Vorige vraag opgeslagen")).to_be_visible()
    with app.app_context():
        saved = db.session.scalars(
            select(Question).where(Question.text == "Vraag getypt vlak voor de storing")
        ).all()
    assert len(saved) == 1
