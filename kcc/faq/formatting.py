"""The answer text's safe formatting: paragraphs, lists and links, nothing else.

Editors write plain text. A blank line starts a paragraph, lines starting with "- " or "* "
form a bulleted list, lines starting with "1. " a numbered one, and `[tekst](https://...)` or a
bare https:// address becomes a link. Everything else is escaped, so no markup an editor (or a
citizen's words pasted into a draft) types can reach the public page as HTML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup, escape

_LINK = re.compile(r"\[(?P<label>[^\]\n]{1,200})\]\((?P<target>[^)\s]{1,500})\)")
_BARE_URL = re.compile(r"(?<![\w/(\[])https://[^\s<>()\[\]]{1,500}[^\s<>()\[\].,;:!?'\"]")
_BULLET = re.compile(r"^\s*[-*]\s+(?P<item>.+)$")
_NUMBERED = re.compile(r"^\s*\d{1,3}[.)]\s+(?P<item>.+)$")
# Links may go to web pages, e-mail addresses and phone numbers; never to scripts or data.
ALLOWED_SCHEMES = ("https://", "http://", "mailto:", "tel:")


@dataclass(frozen=True)
class Block:
    """A paragraph (kind "p") or a list ("ul"/"ol") with its lines."""

    kind: str
    lines: tuple[str, ...]


def link_targets(text: str) -> list[str]:
    """Every target of a `[tekst](doel)` link in the text."""
    return [found.group("target") for found in _LINK.finditer(text)]


def unsafe_links(text: str) -> list[str]:
    """Link targets with a scheme we do not allow (javascript:, data:, relative paths)."""
    return [
        target for target in link_targets(text) if not target.lower().startswith(ALLOWED_SCHEMES)
    ]


def split_blocks(text: str) -> list[Block]:
    """Cut the text into paragraphs and lists, in order."""
    blocks: list[Block] = []
    kind, lines = "", []
    for raw in text.replace("\r\n", "\n").split("\n"):
        line_kind, content = classify_line(raw)
        if line_kind != kind or line_kind == "":
            if lines:
                blocks.append(Block(kind, tuple(lines)))
            kind, lines = line_kind, []
        if content:
            lines.append(content)
    if lines:
        blocks.append(Block(kind, tuple(lines)))
    return [block for block in blocks if block.kind]


def classify_line(line: str) -> tuple[str, str]:
    """A line's block kind ("" for a blank line) and its content without the list marker."""
    if not line.strip():
        return "", ""
    for kind, pattern in (("ul", _BULLET), ("ol", _NUMBERED)):
        found = pattern.match(line)
        if found:
            return kind, found.group("item").strip()
    return "p", line.strip()


def render_inline(text: str) -> Markup:
    """Escape the text and turn allowed links into anchors."""
    pieces: list[str] = []
    last = 0
    for found in _LINK.finditer(text):
        pieces.append(render_bare_urls(text[last : found.start()]))
        target = found.group("target")
        if target.lower().startswith(ALLOWED_SCHEMES):
            pieces.append(f'<a href="{escape(target)}">{escape(found.group("label"))}</a>')
        else:
            pieces.append(str(escape(found.group(0))))
        last = found.end()
    pieces.append(render_bare_urls(text[last:]))
    # Safe by construction: every piece was escaped above, only our own tags are added.
    return Markup("".join(pieces))  # noqa: S704


def render_bare_urls(text: str) -> str:
    """Escape plain text and link the https:// addresses in it."""
    pieces: list[str] = []
    last = 0
    for found in _BARE_URL.finditer(text):
        pieces.append(str(escape(text[last : found.start()])))
        url = escape(found.group(0))
        pieces.append(f'<a href="{url}">{url}</a>')
        last = found.end()
    pieces.append(str(escape(text[last:])))
    return "".join(pieces)


def render_answer(text: str) -> Markup:
    """The answer as safe HTML: <p>, <ul>/<ol> with <li>, and <a> to allowed targets."""
    html: list[str] = []
    for block in split_blocks(text):
        if block.kind == "p":
            html.append("<p>" + "<br>".join(render_inline(line) for line in block.lines) + "</p>")
        else:
            items = "".join(f"<li>{render_inline(line)}</li>" for line in block.lines)
            html.append(f"<{block.kind}>{items}</{block.kind}>")
    return Markup("\n".join(html))  # noqa: S704  (built from escaped pieces only)


def plain_answer(text: str) -> str:
    """The answer without markup, for JSON-LD, feeds and search: link labels kept, lists kept."""
    return _LINK.sub(lambda found: found.group("label"), text).strip()
