"""The public FAQ feed: /api/v1/faq?crisis=CODE[&gemeente=CBS][&taal=xx].

Public on purpose, unlike the rest of the API: it carries only what the public pages show
(live text of published entries), so municipalities' websites and apps can read it without a
token. Cached and validated like the pages (ETag, Last-Modified, Cache-Control: public).
"""

from __future__ import annotations

import json

from flask import Response, request, url_for

from kcc.api.components import ref, values_of
from kcc.api.openapi import describe, error, header, json_answer, query
from kcc.api.views import bp, error_response
from kcc.faq import public
from kcc.faq.models import Language
from kcc.faq.public_views import cacheable_response, page_arguments


@bp.get("/faq")
@describe(
    "listPublicFaq",
    summary="Openbare veelgestelde vragen van een crisis (zonder token)",
    description="Alleen gepubliceerde vragen, met de tekst die ook op de openbare pagina /faq/ "
    "staat. Zonder gemeente: de antwoorden voor de hele regio. Met gemeente: die plus de eigen "
    "antwoorden van de gemeente, die een regionaal antwoord kunnen vervangen. Een vraag zonder "
    "vertaling in de gekozen taal komt in het Nederlands (zie `language`). Antwoorden hebben "
    "een ETag en Last-Modified; stuur If-None-Match mee voor een 304.",
    parameters=[
        query("crisis", {"type": "string"}, "Crisiscode", required=True, example="oekraine"),
        query("gemeente", {"type": "string"}, "CBS-gemeentecode", example="GM0406"),
        query("taal", {**values_of(Language), "default": Language.NL.value}),
        header("If-None-Match", {"type": "string"}, "De ETag van een eerder antwoord"),
    ],
    responses={
        200: json_answer(
            "De vragen en antwoorden",
            ref("PublicFaq"),
            headers={
                name: {"schema": {"type": "string"}}
                for name in ("ETag", "Last-Modified", "Cache-Control")
            },
        ),
        304: {"description": "Niet gewijzigd sinds de meegestuurde ETag"},
        400: error("Geen crisis meegegeven, of een onbekende taal"),
        404: error("Onbekende crisis of gemeente"),
    },
)
def public_faq() -> Response | tuple[Response, int]:
    """The published entries of a crisis, for the region or one municipality, in a language."""
    code = request.args.get("crisis", "").strip()
    if not code:
        return error_response(400, {"crisis": ["Geef een crisiscode mee, bv. ?crisis=oekraine."]})
    language = request.args.get("taal") or Language.NL.value
    if language not in {choice.value for choice in Language}:
        return error_response(400, {"taal": ["Kies taal nl, en of uk."]})
    crisis = public.find_crisis_version(code)
    if crisis is None:
        return error_response(404, {"crisis": ["Onbekende crisis."]})
    municipality = None
    if cbs_code := request.args.get("gemeente", "").strip():
        municipality = public.find_municipality(cbs_code)
        if municipality is None:
            return error_response(404, {"gemeente": ["Onbekende gemeente."]})
    municipality_code = municipality.cbs_code if municipality else None

    def render() -> str:
        entries = public.published_entries(
            crisis.version.crisis_id,
            municipality_id=municipality.id if municipality else None,
            language=language,
        )

        def entry_url(entry: public.PublicEntry) -> str:
            return url_for(
                "faq_public.entry_page",
                crisis_code=crisis.code,
                entry_id=entry.id,
                _external=True,
                **page_arguments(language, municipality_code),
            )

        feed = public.feed_json(crisis, municipality, language, entries, entry_url)
        return json.dumps(feed, ensure_ascii=False)

    # The entries carry absolute URLs, so the host the client asked for is part of the key.
    key = ("api", request.host, crisis.code, municipality_code or "", language)
    return cacheable_response(key, crisis.version, render, mimetype="application/json")
