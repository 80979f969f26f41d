"""Browser fixtures: one headless Chromium per run, the app on a free port, axe-core loaded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import select
from werkzeug.serving import make_server

from kcc.extensions import db
from kcc.intake.services import ContactInput, QuestionInput, register_question
from kcc.reference.models import Crisis, Municipality
from tests.browser.helpers import (
    AXE_SCRIPT,
    CHROMIUM_ARGS,
    CHROMIUM_PATH,
    BrowserAuthActions,
    PageAudit,
    open_page,
)
from tests.helpers import serving


def require_file(path: Path, what: str) -> None:
    """Fail, not skip: a browser test that quietly skips hides every accessibility fault."""
    if not path.is_file():
        pytest.fail(
            f"{what} is missing ({path}). `make test` installs it "
            "(apt-get install chromium; npm ci for axe-core).",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Debian Chromium for the whole run; never a browser Playwright downloads."""
    require_file(CHROMIUM_PATH, "Chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM_PATH), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    """The axe-core script npm installed from package.json."""
    require_file(AXE_SCRIPT, "axe-core")
    return AXE_SCRIPT.read_text(encoding="utf-8")


def register_sample_questions(app: Flask) -> None:
    """Two questions, one with contact details, so lists and detail pages have content."""
    with app.app_context():
        municipality = db.session.execute(select(Municipality)).scalars().first()
        crisis = db.session.execute(select(Crisis).where(Crisis.code == "oekraine")).scalar_one()
        assert municipality is not None
        common = {
            "municipality_id": municipality.id,
            "crisis_id": crisis.id,
            "caller_type": "inwoner",
        }
        register_question(
            QuestionInput(
                channel="telefoon",
                text="Wanneer wordt het leefgeld betaald?",
                answer="Elke twee weken op vrijdag.",
                **common,  # type: ignore[arg-type]
            ),
            user_id=None,
        )
        # The models are unsure about this one: it lands on the review list.
        register_question(
            QuestionInput(channel="chat", text="Dhr. de Vries heeft een vraag", **common),  # type: ignore[arg-type]
            user_id=None,
        )
        register_question(
            QuestionInput(
                channel="e-mail",
                text="Mijn buurman vraagt of er een informatieavond komt over de opvang.",
                callback_requested=True,
                contact=ContactInput(name="K. de Boer", email="k.deboer@example.nl"),
                **common,  # type: ignore[arg-type]
            ),
            user_id=None,
        )


@pytest.fixture
def live_server(app: Flask, demo: None, active_models: None) -> Iterator[str]:
    """Serve the test app with demo data, trained models and sample questions; yield its URL."""
    register_sample_questions(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    with serving(server, "live-server"):
        yield f"http://127.0.0.1:{server.server_port}"


@pytest.fixture
def page(browser: Browser, live_server: str) -> Iterator[Page]:
    """A page in a fresh browser context (own cookies), with relative URLs on the live server."""
    with open_page(browser, live_server) as new_page:
        yield new_page


@pytest.fixture
def audit(page: Page, axe_source: str) -> PageAudit:
    """Runs axe on the page and watches its console from the first navigation on."""
    return PageAudit(page, axe_source)


@pytest.fixture
def browser_auth(page: Page) -> BrowserAuthActions:
    """Log the page in as any demo user (usernames are the role codes)."""
    return BrowserAuthActions(page)
