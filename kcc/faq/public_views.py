"""The public FAQ pages: no login, cacheable, accessible.

Every page is rendered once per FAQ version and kept in process memory (kcc.faq.public
PageCache); a request costs one aggregate query to check the version. Responses carry an ETag
(a hash of the page), Last-Modified and `Cache-Control: public`, and never a session cookie,
so browsers, proxies and the municipality's web server may keep them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response

from kcc.extensions import csrf, limiter, utcnow
from kcc.faq import public
from kcc.faq.formatting import render_answer
from kcc.faq.models import Language
from kcc.localtime import to_local

bp = Blueprint("faq_public", __name__)

PAGE_CACHE_SIZE = 300
# When this statement was last reviewed; change it with the statement's text.
STATEMENT_DATE = date(2026, 11, 24)
AXE_CORE_VERSION = "4.14"


class LiveLinks:
    """Addresses of the public pages on the running site (the export has its own)."""

    is_export = False

    def index(self) -> str:
        """The list of crises."""
        return url_for("faq_public.index")

    def statement(self) -> str:
        """The accessibility statement."""
        return url_for("faq_public.accessibility_statement")

    def stylesheet(self) -> str:
        """The site's stylesheet."""
        return url_for("static", filename="css/kcc.css")

    def crisis(self, code: str, *, language: str = "nl", municipality: str | None = None) -> str:
        """A crisis's page, in a language, for the region or one municipality."""
        return url_for(
            "faq_public.crisis_page", crisis_code=code, **page_arguments(language, municipality)
        )

    def entry(
        self, code: str, entry_id: int, *, language: str = "nl", municipality: str | None = None
    ) -> str:
        """One entry's own page."""
        return url_for(
            "faq_public.entry_page",
            crisis_code=code,
            entry_id=entry_id,
            **page_arguments(language, municipality),
        )

    def search(self, code: str) -> str | None:
        """Where the search form sends its words."""
        return url_for("faq_public.crisis_page", crisis_code=code)

    def vote(
        self,
        code: str,
        entry_id: int,
        *,
        back_to: str,
        language: str = "nl",
        municipality: str | None = None,
    ) -> str | None:
        """Where the "was dit antwoord nuttig?" buttons post to."""
        return url_for(
            "faq_public.vote",
            crisis_code=code,
            entry_id=entry_id,
            terug=back_to,
            **page_arguments(language, municipality),
        )


def page_arguments(language: str, municipality: str | None) -> dict[str, str]:
    """Query-string arguments for a language and municipality, leaving out the defaults."""
    arguments = {}
    if language != Language.NL.value:
        arguments["taal"] = language
    if municipality:
        arguments["gemeente"] = municipality
    return arguments


def page_cache(app: Flask) -> public.PageCache:
    """This app's cache of rendered public pages (one per app, so tests never share one)."""
    cache = app.extensions.get("faq_public_cache")
    if cache is None:
        cache = public.PageCache(PAGE_CACHE_SIZE, float(app.config["FAQ_CACHE_SECONDS"]))
        app.extensions["faq_public_cache"] = cache
    return cache  # type: ignore[no-any-return]


def common_context(links: Any = None) -> dict[str, Any]:
    """What every public template shows around the content; links default to the live site's."""
    return {
        "links": links if links is not None else LiveLinks(),
        "answer_html": render_answer,
        "region_name": current_app.config.get("FAQ_REGION_NAME", ""),
        "contact_text": current_app.config.get("FAQ_CONTACT_TEXT", ""),
    }


def cacheable_response(
    key: tuple[str, ...],
    version: public.FaqVersion,
    render: Callable[[], str],
    *,
    mimetype: str = "text/html",
) -> Response:
    """The page for key, from the cache when still current, as a conditional response."""
    cache = page_cache(current_app._get_current_object())  # type: ignore[attr-defined]
    now = time.monotonic()
    page = cache.get(key, version.tag, now)
    if page is None:
        page = cache.put(key, version.tag, render().encode("utf-8"), now)
    response = Response(page.body, mimetype=mimetype)
    response.set_etag(page.etag)
    if version.last_modified is not None:
        response.last_modified = version.last_modified
    response.cache_control.public = True
    response.cache_control.max_age = int(current_app.config["FAQ_CACHE_SECONDS"])
    return response.make_conditional(request)


@bp.after_request
def keep_sessions_out_of_shared_caches(response: Response) -> Response:
    """A visitor who is logged in may get a refreshed session cookie: no shared cache then.

    Anonymous visitors never get a cookie here; a staff member's session (last_seen) may be
    saved with this response, and a proxy must never store and hand out that cookie.
    """
    if request.cookies.get(current_app.config["SESSION_COOKIE_NAME"]):
        response.cache_control.public = False
        response.cache_control.private = True
        response.cache_control.no_store = True
    return response


def requested_language() -> str:
    """The language from ?taal=, Dutch when absent or not offered."""
    return public.normalise_language(request.args.get("taal"))


def requested_municipality() -> tuple[str | None, int | None, str | None]:
    """CBS code, id and name from ?gemeente=, or 404 for a municipality we do not know."""
    code = request.args.get("gemeente", "").strip().upper()
    if not code:
        return None, None, None
    municipality = public.find_municipality(code)
    if municipality is None:
        abort(404)
    return municipality.cbs_code, municipality.id, municipality.name


def crisis_or_404(code: str) -> public.CrisisVersion:
    """The crisis and its FAQ version, or 404 when the code is unknown."""
    crisis = public.find_crisis_version(code)
    if crisis is None:
        abort(404)
    return crisis


def thanked_entry_id() -> str:
    """The entry whose vote we thank the visitor for (?bedankt=<id>), or ""."""
    value = request.args.get("bedankt", "")
    return value if value.isdigit() and len(value) < 12 else ""


@bp.get("/")
def index() -> Response:
    """The crises that have public questions and answers."""
    version = public.overall_version()
    return cacheable_response(("index",), version, render_index)


def render_index(links: Any = None) -> str:
    """The list of crises as HTML; the static export calls this with its own links."""
    crises = public.list_public_crises()
    return render_template("faq_public/index.html", crises=crises, **common_context(links))


@bp.get("/<crisis_code>/")
def crisis_page(crisis_code: str) -> Response:
    """All public questions of a crisis, by topic; searchable, per language and municipality."""
    crisis = crisis_or_404(crisis_code)
    language = requested_language()
    query = public.normalise_search(request.args.get("q"))
    thanked = thanked_entry_id()
    key = ("crisis", crisis.code, request.args.get("gemeente", "").upper(), language, query)
    key += (thanked,)

    def render() -> str:
        municipality_code, municipality_id, municipality_name = requested_municipality()
        return render_crisis_page(
            crisis,
            language=language,
            query=query,
            municipality=(municipality_code, municipality_id, municipality_name),
            thanked=thanked,
        )

    # An unknown municipality aborts with 404 while rendering, so it never enters the cache.
    return cacheable_response(key, crisis.version, render)


def render_crisis_page(
    crisis: public.CrisisVersion,
    *,
    language: str,
    query: str,
    municipality: tuple[str | None, int | None, str | None],
    thanked: str = "",
    links: Any = None,
) -> str:
    """A crisis's page as HTML; the static export calls this with its own links."""
    municipality_code, municipality_id, municipality_name = municipality
    crisis_id = crisis.version.crisis_id
    entries = public.published_entries(
        crisis_id, municipality_id=municipality_id, language=language
    )
    found = public.search_entries(entries, query) if query else entries
    context = common_context(links)
    last_modified = crisis.version.last_modified
    return render_template(
        "faq_public/crisis.html",
        crisis=crisis,
        language=language,
        query=query,
        municipality_code=municipality_code,
        municipality_name=municipality_name,
        groups=public.group_by_topic(found),
        total_count=len(entries),
        found_count=len(found),
        languages=public.languages_offered(entries),
        municipalities=public.municipalities_with_own_entries(crisis_id),
        last_changed_text=public.dutch_date(to_local(last_modified).date())
        if last_modified
        else "",
        json_ld=public.faq_page_json_ld(found, language),
        thanked=thanked,
        language_label=public.language_label,
        **context,
    )


@bp.get("/<crisis_code>/vraag/<int:entry_id>")
def entry_page(crisis_code: str, entry_id: int) -> Response:
    """One question with its answer on a page of its own, to link to and to share."""
    crisis = crisis_or_404(crisis_code)
    language = requested_language()
    municipality_code = request.args.get("gemeente", "").upper()
    # The template thanks the entry whose id `thanked` holds, as on the list page.
    thanked = str(entry_id) if request.args.get("bedankt") == "1" else ""
    key = ("entry", crisis.code, str(entry_id), municipality_code, language, thanked)

    def render() -> str:
        if municipality_code:
            requested_municipality()
        entry = public.public_entry(crisis.version.crisis_id, entry_id, language=language)
        return render_template(
            "faq_public/entry.html",
            crisis=crisis,
            entry=entry,
            language=language,
            municipality_code=municipality_code or None,
            thanked=thanked,
            json_ld=public.faq_page_json_ld([entry], language),
            language_label=public.language_label,
            **common_context(),
        )

    return cacheable_response(key, crisis.version, render)


def vote_rate_limit() -> str:
    """Read the limit per request, so tests and deployments can set it."""
    return str(current_app.config["FAQ_VOTE_RATE_LIMIT"])


# No CSRF token: the vote carries no session and stores nothing about the visitor, so a
# forged vote can do no more than a real one; the rate limit bounds both.
@bp.post("/<crisis_code>/vraag/<int:entry_id>/nuttig")
@csrf.exempt
@limiter.limit(vote_rate_limit)
def vote(crisis_code: str, entry_id: int) -> Response:
    """Count a "was dit antwoord nuttig?" answer and thank the visitor on the page."""
    crisis = crisis_or_404(crisis_code)
    helpful = request.form.get("nuttig")
    if helpful not in {"ja", "nee"}:
        abort(400)
    public.public_entry(crisis.version.crisis_id, entry_id, language=Language.NL.value)
    public.record_vote(entry_id, helpful == "ja", to_local(utcnow()).date())
    language = requested_language()
    municipality = request.args.get("gemeente") or None
    arguments = page_arguments(language, municipality)
    if request.args.get("terug") == "lijst":
        target = url_for(
            "faq_public.crisis_page",
            crisis_code=crisis.code,
            bedankt=entry_id,
            _anchor=f"vraag-{entry_id}",
            **arguments,
        )
    else:
        target = url_for(
            "faq_public.entry_page",
            crisis_code=crisis.code,
            entry_id=entry_id,
            bedankt=1,
            **arguments,
        )
    return redirect(target, code=303)


@bp.get("/toegankelijkheid")
def accessibility_statement() -> Response:
    """The accessibility statement (toegankelijkheidsverklaring) of the public FAQ."""
    version = public.FaqVersion(0, 0, None, None)
    return cacheable_response(("statement",), version, render_statement)


def render_statement(links: Any = None) -> str:
    """The accessibility statement as HTML."""
    return render_template(
        "faq_public/accessibility.html",
        statement_date=public.dutch_date(STATEMENT_DATE),
        axe_core_version=AXE_CORE_VERSION,
        **common_context(links),
    )
