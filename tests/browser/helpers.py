"""Helpers the browser tests share: axe-core audits, console watching, logging in by form."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Browser, ConsoleMessage, Error, Page

from tests.helpers import TEST_PASSWORD

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_PATH = Path("/usr/bin/chromium")
AXE_PACKAGE = PROJECT_ROOT / "node_modules" / "axe-core"
AXE_SCRIPT = AXE_PACKAGE / "axe.min.js"
# The flags of the house: no sandbox (containers), and nothing that phones home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
# WCAG 2.1 AA (EN 301 549): every A and AA rule of WCAG 2.0 and 2.1.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

RUN_AXE = """
async (tags) => {
  const results = await axe.run(document, {
    runOnly: {type: 'tag', values: tags},
    resultTypes: ['violations'],
  });
  return results.violations.map((violation) => ({
    id: violation.id,
    impact: violation.impact,
    help: violation.help,
    helpUrl: violation.helpUrl,
    nodes: violation.nodes.map((node) => ({
      target: node.target.join(' '),
      summary: node.failureSummary || '',
    })),
  }));
}
"""


def axe_version() -> str:
    """The axe-core version npm installed (pinned in package.json)."""
    return json.loads((AXE_PACKAGE / "package.json").read_text(encoding="utf-8"))["version"]


def format_violation(violation: dict[str, Any]) -> str:
    """One axe violation as readable lines: rule, impact, help, and each failing node."""
    lines = [
        f"axe {violation['id']} ({violation['impact']}): {violation['help']} "
        f"<{violation['helpUrl']}>"
    ]
    for node in violation["nodes"]:
        summary = "; ".join(line.strip() for line in node["summary"].splitlines() if line.strip())
        lines.append(f"      at {node['target']}: {summary}")
    return "\n".join(lines)


class PageAudit:
    """Runs axe-core on a page and collects its script errors and CSP violations."""

    def __init__(self, page: Page, axe_source: str) -> None:
        self.page = page
        self._axe_source = axe_source
        self._console_problems: list[str] = []
        page.on("console", self._record_console_message)
        page.on("pageerror", self._record_page_error)

    def _record_console_message(self, message: ConsoleMessage) -> None:
        """Keep console errors: CSP violations, failed scripts or styles, script errors."""
        if message.type != "error":
            return
        location = message.location.get("url", "")
        if message.text.startswith("Failed to load resource") and (
            is_document_url(location, self.page.url) or urlsplit(location).path == "/favicon.ico"
        ):
            # The page's own status (a 404 page a test asked for), or the favicon Chromium
            # looks for by itself: kcc has none, and that is no script or CSP fault.
            return
        self._console_problems.append(f"console error: {message.text} ({location})")

    def _record_page_error(self, error: Error) -> None:
        """Keep uncaught JavaScript exceptions."""
        self._console_problems.append(f"JavaScript error: {error.message}")

    def inject_axe(self) -> None:
        """Load axe-core into the page through DevTools, which the page's CSP does not govern.

        page.add_script_tag() would add an inline <script>, which our CSP (no 'unsafe-inline')
        rightly blocks.
        """
        if not self.page.evaluate("typeof window.axe !== 'undefined'"):
            self.page.evaluate(self._axe_source)

    def problems(self) -> list[str]:
        """Axe WCAG 2.1 AA violations on the page now, plus console problems since last asked."""
        self.inject_axe()
        violations = self.page.evaluate(RUN_AXE, WCAG_TAGS)
        found = [format_violation(violation) for violation in violations]
        found.extend(self._console_problems)
        self._console_problems = []
        return found

    def assert_clean(self, label: str = "") -> None:
        """Fail with every axe violation and console problem on the page."""
        found = self.problems()
        where = label or urlsplit(self.page.url).path
        assert not found, f"{where}:\n  " + "\n  ".join(found)


def is_document_url(location: str, page_url: str) -> bool:
    """Tell whether a console message's URL is the page's own address (fragment aside)."""
    return location.split("#")[0] == page_url.split("#")[0]


@contextmanager
def open_page(browser: Browser, base_url: str) -> Iterator[Page]:
    """A page in a fresh browser context (own cookies), with relative URLs on base_url."""
    context = browser.new_context(base_url=base_url)
    try:
        yield context.new_page()
    finally:
        context.close()


class BrowserAuthActions:
    """Log in through the real login form, as a person would."""

    def __init__(self, page: Page) -> None:
        self._page = page

    def login(self, username: str = "admin", password: str = TEST_PASSWORD) -> None:
        """Fill in and submit /login, and check that it let the user in."""
        self.login_with_password_only(username, password)
        assert urlsplit(self._page.url).path != "/login", f"login as {username!r} failed"

    def login_with_password_only(self, username: str, password: str = TEST_PASSWORD) -> None:
        """Fill in and submit /login; a second factor may still be asked for."""
        page = self._page
        page.goto("/login")
        page.get_by_label("Gebruikersnaam").fill(username)
        page.get_by_label("Wachtwoord", exact=True).fill(password)
        page.get_by_role("button", name="Inloggen").click()
        page.wait_for_load_state()


def tab_to(page: Page, selector: str, *, limit: int = 80) -> int:
    """Press Tab until the element matching selector has focus; return how many presses."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return presses
    raise AssertionError(f"Tab never reached {selector} in {limit} presses")
