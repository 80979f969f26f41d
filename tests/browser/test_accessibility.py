"""WCAG 2.1 AA on every page for every visitor (axe-core in real Chromium), and keyboard use."""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pyotp
import pytest
from flask import Flask
from playwright.sync_api import Browser, Error, Page, expect
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from werkzeug.routing import MapAdapter

from kcc.auth.models import User
from kcc.extensions import db, utcnow
from kcc.faq.clusters import run_clustering
from kcc.faq.demo import seed_demo_faq
from kcc.intake.services import QuestionInput, register_question
from kcc.notices.services import NoticeInput, create_notice
from kcc.reference.models import Crisis, Municipality
from kcc.transfer import services as transfer_services
from kcc.webhooks.services import EndpointInput, create_endpoint
from tests.browser.helpers import (
    BrowserAuthActions,
    PageAudit,
    axe_version,
    open_page,
)
from tests.helpers import ALL_ROLES, TEST_PASSWORD

pytestmark = pytest.mark.browser

ANONYMOUS = "anonymous"
VISITORS = [ANONYMOUS, *ALL_ROLES]
# Pages per visitor: far above what kcc has, yet a bound should a link ever generate links.
CRAWL_CAP = 500
# GET is safe to follow; logout is a POST form anyway, static files are no pages.
SKIPPED_PATHS = frozenset({"/logout"})
SKIPPED_PREFIXES = ("/static/",)
# GET endpoints that no crawl can reach, each with its reason. Every other GET route must be
# reached by following links, so a new page without a link (or without axe) fails the tests.
# Endpoints that only answer POST (auth.logout) are no GET routes and need no entry.
UNCRAWLABLE_ENDPOINTS: dict[str, str] = {
    "intake.suggest": "JSON that intake.js fetches while the agent types (test_intake_flow.py)",
    "intake.history": "a fragment intake.js inserts into the form (test_intake_flow.py)",
    "auth.login_code": "only between password and code (test_login_with_a_second_factor_...)",
    "intake.mail_attachment": "a file download, not a page; demo data has no e-mail with "
    "attachments (test_mail_intake.py downloads one by keyboard)",
    "operations.healthz": "JSON probe for process managers (tests/production/test_health.py)",
    "operations.readyz": "JSON probe for load balancers (tests/production/test_health.py)",
    "transfer.export_csv": "a download the export form's button starts (tests/transfer)",
    "transfer.export_xlsx": "a download the export form's button starts (tests/transfer)",
    "jobs.job": "exists only with Redis, after a background job was started "
    "(tests/jobs/test_queue.py; axe in tests/browser/test_job_page.py)",
}

FIND_FORMS_WITH_REQUIRED_FIELDS = """
() => Array.from(document.forms).flatMap((form, index) =>
  form.method === 'post' && form.querySelector('[required]') ? [index] : [])
"""
# Empty every field a person can fill in, skip the browser's own validation so the server's
# messages show, and submit. A form with an emptied required field cannot be accepted, so
# this never changes data.
SUBMIT_FORM_EMPTY = """
(index) => {
  const form = document.forms[index];
  for (const element of form.elements) {
    if (['hidden', 'submit', 'button', 'reset', 'image'].includes(element.type)) continue;
    if (element.type === 'checkbox' || element.type === 'radio') element.checked = false;
    else if (element.tagName === 'SELECT') element.selectedIndex = -1;
    else if ('value' in element) element.value = '';
  }
  form.noValidate = true;
  form.requestSubmit();
}
"""
FOCUS_STYLE = """
(element) => {
  const style = getComputedStyle(element);
  return {
    outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
    boxShadow: style.boxShadow !== 'none',
  };
}
"""


@dataclass
class Tour:
    """What one visitor's crawl reached, and everything wrong on the way."""

    visitor: str
    endpoints: set[str] = field(default_factory=set)
    pages: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def endpoint_for(adapter: MapAdapter, path: str) -> str | None:
    """The endpoint that answers GET path, or None when no route (or only a redirect) does."""
    try:
        endpoint, _ = adapter.match(path, method="GET")
    except HTTPException:  # NotFound, MethodNotAllowed, and RequestRedirect for strict slashes
        return None
    return str(endpoint)


def crawlable_url(href: str, base_url: str) -> str | None:
    """The link as a same-origin path plus query, or None when the crawl must not follow it."""
    link, base = urlsplit(href), urlsplit(base_url)
    if (link.scheme, link.netloc) != (base.scheme, base.netloc):
        return None
    if link.path in SKIPPED_PATHS or link.path.startswith(SKIPPED_PREFIXES):
        return None
    return urlunsplit(("", "", link.path, link.query, ""))  # a #fragment is the same page


def take_tour(
    page: Page, audit: PageAudit, adapter: MapAdapter, base_url: str, visitor: str
) -> Tour:
    """Log in as visitor, follow every link breadth-first from "/", and audit every page.

    Each distinct path is visited once. Then every POST form with required fields is
    submitted empty once per endpoint, and the page it shows again with errors is audited too.
    """
    tour = Tour(visitor)
    if visitor != ANONYMOUS:
        BrowserAuthActions(page).login(visitor)
    queue: deque[str] = deque(["/"])
    seen_paths = {"/"}
    forms: dict[tuple[str, int], str] = {}
    while queue and len(tour.pages) < CRAWL_CAP:
        url = queue.popleft()
        try:
            response = page.goto(url)
        except Error as error:
            if "Download is starting" in error.message:  # an export: reached, but no page
                if endpoint := endpoint_for(adapter, urlsplit(url).path):
                    tour.endpoints.add(endpoint)
                continue
            raise
        path = urlsplit(page.url).path
        seen_paths.add(path)  # after a redirect, e.g. "/" to "/login"
        tour.pages.append(path)
        endpoint = endpoint_for(adapter, path)
        status = response.status if response else 0
        if status >= 400:
            tour.problems.append(f"{url}: a link leads to an error page (HTTP {status})")
        elif endpoint:
            tour.endpoints.add(endpoint)
        content_type = response.headers.get("content-type", "") if response else ""
        if not content_type.startswith("text/html"):
            continue
        tour.problems.extend(f"{path}: {problem}" for problem in audit.problems())
        for index in page.evaluate(FIND_FORMS_WITH_REQUIRED_FIELDS):
            forms.setdefault((endpoint or path, index), url)
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            link = crawlable_url(href, base_url)
            if link and urlsplit(link).path not in seen_paths:
                seen_paths.add(urlsplit(link).path)
                queue.append(link)
    if queue:
        tour.problems.append(f"stopped at CRAWL_CAP={CRAWL_CAP} pages; {len(queue)} unvisited")
    for (_, index), url in forms.items():
        tour.problems.extend(submit_form_empty(page, audit, url, index))
    return tour


def submit_form_empty(page: Page, audit: PageAudit, url: str, index: int) -> list[str]:
    """Submit form number index on url with every field empty; audit the page with errors."""
    page.goto(url)
    with page.expect_navigation():
        page.evaluate(SUBMIT_FORM_EMPTY, index)
    label = f"{urlsplit(url).path} (form {index + 1} submitted empty)"
    problems = [f"{label}: {problem}" for problem in audit.problems()]
    if page.locator("[aria-invalid='true'], .error-summary").count() == 0:
        problems.append(f"{label}: no error shown, or the empty form was accepted")
    return problems


def report(problems: list[str]) -> str:
    """Problems as one readable failure message."""
    return f"{len(problems)} problem(s):\n" + "\n".join(f"- {problem}" for problem in problems)


# Paraphrases of one question, so a cluster run has a cluster to show (and to open).
LEEFGELD_PARAPHRASES = (
    "Hoeveel leefgeld krijg ik per maand?",
    "hoeveel leefgeld krijg ik per maand",
    "Hoeveel leefgeld krijg ik elke maand?",
    "Beller vraagt hoeveel leefgeld zij per maand krijgt",
    "hoeveel leefgeld krijgen we per maand?",
    "Hoeveel leefgeld krijg ik per maand voor mijn kind?",
)


@pytest.fixture
def faq_content(app: Flask, live_server: str) -> None:
    """Published demo FAQ entries and a cluster run, so every FAQ screen has something."""
    with app.app_context():
        users = {u.username: u for u in db.session.scalars(select(User))}
        seed_demo_faq(users["coordinator"], users["analyst"])
        create_notice(
            NoticeInput(
                title="Bij vragen over leefgeld: doorzetten naar team Inkomen",
                body="Beloof geen bedrag.",
                visible_from=utcnow() - timedelta(minutes=1),
                is_important=True,
            ),
            user=users["coordinator"],
        )
        # A webhook, so its screens and its delivery log (filled by the questions) are crawled.
        events = ("question.registered",)
        webhook = EndpointInput(url="https://ontvanger.example/kcc", events=events)
        create_endpoint(webhook, user=users["admin"])
        crisis = db.session.scalars(select(Crisis).where(Crisis.code == "oekraine")).one()
        municipality = db.session.scalars(select(Municipality)).first()
        for text in LEEFGELD_PARAPHRASES:
            register_question(
                QuestionInput(
                    channel="telefoon",
                    caller_type="inwoner",
                    municipality_id=municipality.id,
                    crisis_id=crisis.id,
                    text=text,
                    answer="U krijgt € 260 per maand.",
                ),
                user_id=users["agent"].id,
            )
        run = run_clustering(crisis.id, days=7, user=users["coordinator"], now=utcnow())
        assert run.cluster_count >= 1, "the crawl needs a cluster to open"
        # A finished import and one waiting at its preview, so the import screens are crawled.
        registrations = (
            "received_at,municipality,channel,caller_type,text,answer\n"
            f"01-03-2026 10:00,{municipality.cbs_code},telefoon,inwoner,Waar meld ik me?,\n"
            f"01-03-2026 11:00,Atlantis,telefoon,inwoner,Krijg ik leefgeld?,\n"
        )
        path = Path(app.instance_path) / "crawl-import.csv"
        path.write_text(registrations.replace("Atlantis", municipality.name), encoding="utf-8")
        transfer_services.import_file(path, "oekraine", user=users["coordinator"], now=utcnow())
        waiting = transfer_services.start_import(
            crisis.id,
            registrations.encode(),
            filename="met-probleem.csv",
            user=users["coordinator"],
            now=utcnow(),
        )
        transfer_services.set_mapping(waiting, waiting.mapping, now=utcnow())


@pytest.fixture(scope="module")
def tours() -> dict[str, Tour]:
    """The tours taken so far, shared with the route-coverage test so it need not crawl again."""
    return {}


@pytest.mark.parametrize("visitor", VISITORS)
def test_every_page_a_visitor_reaches_passes_axe(
    app: Flask,
    live_server: str,
    faq_content: None,
    page: Page,
    audit: PageAudit,
    tours: dict[str, Tour],
    visitor: str,
) -> None:
    tour = take_tour(page, audit, app.url_map.bind("127.0.0.1"), live_server, visitor)
    tours[visitor] = tour
    assert tour.pages, "the crawl visited nothing"
    assert not tour.problems, f"{visitor} on {len(tour.pages)} pages: " + report(tour.problems)


def test_every_get_route_is_reached_by_a_tour(
    app: Flask,
    browser: Browser,
    live_server: str,
    faq_content: None,
    axe_source: str,
    tours: dict[str, Tour],
) -> None:
    adapter = app.url_map.bind("127.0.0.1")
    for visitor in VISITORS:
        if visitor not in tours:  # run on its own (-k): take the missing tours here
            with open_page(browser, live_server) as page:
                audit = PageAudit(page, axe_source)
                tours[visitor] = take_tour(page, audit, adapter, live_server, visitor)
    get_endpoints = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        # The JSON API has no pages; tests/api and tests/test_security.py cover it.
        if "GET" in (rule.methods or set())
        and rule.endpoint != "static"
        and not rule.endpoint.startswith("api.")
    }
    stale = set(UNCRAWLABLE_ENDPOINTS) - get_endpoints
    assert not stale, f"UNCRAWLABLE_ENDPOINTS names routes that no longer exist: {stale}"
    reached = set().union(*(tour.endpoints for tour in tours.values()))
    missing = sorted(get_endpoints - reached - set(UNCRAWLABLE_ENDPOINTS))
    assert not missing, (
        "GET routes no visitor reaches by following links, so axe never checks them: "
        f"{missing}. Link to them, or add them to UNCRAWLABLE_ENDPOINTS with the reason."
    )


def test_axe_runs_under_the_content_security_policy(page: Page, audit: PageAudit) -> None:
    response = page.goto("/login")
    assert response is not None
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    audit.inject_axe()
    assert page.evaluate("axe.version") == axe_version()
    with pytest.raises(Error, match="Content Security Policy"):
        page.add_script_tag(content="window.injected = true")
    page.evaluate("document.querySelector('main').append(document.createElement('img'))")
    with page.expect_event("pageerror"):
        page.evaluate("setTimeout(() => { throw new Error('kapot'); })")

    problems = "\n".join(audit.problems())

    assert "axe image-alt (critical)" in problems
    assert "console error: Executing inline script violates" in problems
    assert "JavaScript error: kapot" in problems


def test_login_with_wrong_password_passes_axe(page: Page, audit: PageAudit) -> None:
    page.goto("/login")
    page.get_by_label("Gebruikersnaam").fill("agent")
    page.get_by_label("Wachtwoord", exact=True).fill("niet-het-wachtwoord")
    page.get_by_role("button", name="Inloggen").click()

    expect(page.get_by_role("alert")).to_contain_text("Gebruikersnaam of wachtwoord klopt niet.")
    expect(page.get_by_label("Wachtwoord", exact=True)).to_have_attribute("aria-invalid", "true")
    audit.assert_clean("login after a wrong password")


def test_login_submitted_empty_passes_axe(page: Page, audit: PageAudit) -> None:
    page.goto("/login")
    page.get_by_role("button", name="Inloggen").click()

    expect(page.get_by_role("alert")).to_contain_text("Vul uw gebruikersnaam in.")
    expect(page.get_by_label("Gebruikersnaam")).to_have_attribute("aria-invalid", "true")
    audit.assert_clean("login submitted empty")


@pytest.mark.parametrize(
    ("visitor", "path", "status"),
    [(ANONYMOUS, "/bestaat-niet", 404), ("agent", "/admin/", 403)],
)
def test_error_pages_pass_axe(
    page: Page,
    audit: PageAudit,
    browser_auth: BrowserAuthActions,
    visitor: str,
    path: str,
    status: int,
) -> None:
    if visitor != ANONYMOUS:
        browser_auth.login(visitor)

    response = page.goto(path)

    assert response is not None and response.status == status
    audit.assert_clean(f"HTTP {status} page")


def assert_focus_visible(page: Page) -> None:
    """The focused element shows an outline or a box-shadow (WCAG 2.4.7)."""
    style = page.evaluate_handle("document.activeElement").evaluate(FOCUS_STYLE)
    assert style["outline"] or style["boxShadow"], "focused element has no visible focus style"


def test_keyboard_alone_logs_in_through_the_skip_link(
    live_server: str, page: Page, audit: PageAudit
) -> None:
    page.goto("/login")

    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Naar de inhoud")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport()
    assert_focus_visible(page)

    page.keyboard.press("Enter")
    expect(page.locator("main#inhoud")).to_be_focused()

    page.keyboard.press("Tab")
    expect(page.get_by_label("Gebruikersnaam")).to_be_focused()
    assert_focus_visible(page)
    page.keyboard.type("agent")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Wachtwoord", exact=True)).to_be_focused()
    assert_focus_visible(page)
    page.keyboard.type(TEST_PASSWORD)
    page.keyboard.press("Enter")

    # The form posts to /login#inhoud and the redirect keeps that fragment, as HTTP says.
    expect(page).to_have_url(re.compile(re.escape(live_server) + "/(#inhoud)?$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welkom")
    expect(page.get_by_role("button", name="Uitloggen")).to_be_visible()
    audit.assert_clean("start page after keyboard login")


def test_login_with_a_second_factor_passes_axe(
    app: Flask, page: Page, audit: PageAudit, live_server: str
) -> None:
    with app.app_context():
        user = db.session.execute(select(User).where(User.username == "coordinator")).scalar_one()
        user.totp_secret = pyotp.random_base32()
        user.totp_enabled_at = utcnow()
        db.session.commit()
        totp = pyotp.TOTP(user.totp_secret)

    BrowserAuthActions(page).login_with_password_only("coordinator")
    expect(page.get_by_role("heading", name="Inloggen: code")).to_be_visible()
    audit.assert_clean("code page")
    page.get_by_label("Code uit uw authenticator-app").fill("000000")
    page.get_by_role("button", name="Doorgaan").click()
    expect(page.get_by_role("alert")).to_contain_text("Deze code klopt niet")
    audit.assert_clean("code page with an error")
    page.get_by_label("Code uit uw authenticator-app").fill(totp.now())
    page.get_by_role("button", name="Doorgaan").click()
    expect(page.get_by_role("heading", name="Welkom")).to_be_visible()
