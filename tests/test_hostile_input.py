"""Hostile input through every form kcc shows: never a 500, never an unescaped echo.

Each role opens each of its pages; every POST form on it is filled the way an attacker
would (every free-text field carries the payload, selects keep a real option, hidden fields
and tokens stay as the page gave them) and submitted.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from flask.testing import FlaskClient

from tests.helpers import AuthActions
from tests.test_security import EXPECTED_ACCESS

SCRIPT = "<script>alert('kcc')</script>"
PAYLOADS = [
    SCRIPT,
    "{{ 7 * 7 }}{% if 1 %}x{% endif %}",
    "' OR '1'='1'; DROP TABLE question; --",
    '=HYPERLINK("http://example.invalid","klik")',
    "\u202egnissam\u200b\u200d\u0301 \u0627\u0644\u0639\u0631\u0628\u064a\u0629 Кириллица",
    "NUL\x00teken\x07",
    "x" * 20_000,
]
TEXT_TYPES = {"text", "email", "tel", "search", "password", "date", "number", "url", None}


class FormCollector(HTMLParser):
    """The POST forms of a page with their fields, as a browser would submit them."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, object]] = []
        self._form: dict[str, object] | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form" and (attributes.get("method") or "").lower() == "post":
            self._form = {"action": attributes.get("action") or "", "text": [], "fixed": {}}
            self.forms.append(self._form)
        if self._form is None:
            return
        fixed: dict[str, str] = self._form["fixed"]  # type: ignore[assignment]
        texts: list[str] = self._form["text"]  # type: ignore[assignment]
        name = attributes.get("name")
        if tag == "input" and name:
            kind = attributes.get("type")
            if kind in ("hidden",):
                fixed[name] = attributes.get("value") or ""
            elif kind in ("checkbox",):
                fixed[name] = attributes.get("value") or "y"
            elif kind == "radio":
                fixed.setdefault(name, attributes.get("value") or "")
            elif kind == "submit" and "__submit__" not in fixed:
                # Only the first button, as pressing Enter in a field would submit.
                fixed["__submit__"] = name
                fixed[name] = attributes.get("value") or "x"
            elif kind in TEXT_TYPES:
                texts.append(name)
        elif tag == "textarea" and name:
            texts.append(name)
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and attributes.get("value"):
            fixed.setdefault(self._select, attributes["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        if tag == "select":
            self._select = None


def post_forms_on(client: FlaskClient, url: str) -> list[dict[str, object]]:
    response = client.get(url)
    if response.mimetype != "text/html":  # a PDF or CSV download holds no forms
        return []
    collector = FormCollector()
    collector.feed(response.get_data(as_text=True))
    return [form for form in collector.forms if form["action"] != "/logout"]


@pytest.mark.parametrize("role", ["agent", "coordinator", "analyst", "admin"])
def test_hostile_input_in_every_form_is_handled(
    client: FlaskClient, auth: AuthActions, role: str
) -> None:
    auth.login(role)
    pages = [url for url, roles in EXPECTED_ACCESS.items() if role in roles]
    submitted = 0
    for url in pages:
        for form in post_forms_on(client, url):
            fixed: dict[str, str] = dict(form["fixed"])  # type: ignore[arg-type]
            fixed.pop("__submit__", None)
            for payload in PAYLOADS:
                data = {**fixed, **{name: payload for name in form["text"]}}  # type: ignore[attr-defined]
                response = client.post(str(form["action"]) or url, data=data)
                body = response.get_data(as_text=True)
                assert response.status_code < 500, f"{role} {url} -> {form['action']}: 500"
                assert SCRIPT not in body, f"{role} {url}: payload echoed unescaped"
                submitted += 1
    assert submitted >= len(PAYLOADS), "no forms were found to attack"
