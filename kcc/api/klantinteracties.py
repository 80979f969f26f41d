"""API v1: a question as Klantinteracties documents (the same export as the CLI's).

Personal data follows the token's user: with the right to see it, the real text, the
betrokkene and the digital addresses (and an audit event); without, the masked text only.
"""

from __future__ import annotations

from flask import Response, jsonify

from kcc.api.components import ref
from kcc.api.openapi import describe, error, json_answer
from kcc.api.views import api_permission_required, api_user, bp, error_response
from kcc.exceptions import NotFound
from kcc.integration.push import export_documents
from kcc.security import Permission, role_has_permission


@bp.get("/questions/<record_id:question_id>/klantinteracties")
@describe(
    "getKlantinteracties",
    summary="Vraag als Klantinteracties-documenten (Open Klant)",
    description="Klantcontact, onderwerpobject, betrokkene, digitale adressen en (bij een "
    "doorzetting) interne taak, zoals `flask --app kcc klantinteracties push` ze naar Open "
    "Klant stuurt. Elk document voldoet aan "
    "kcc/integration/schemas/klantinteracties-0.1.2.schema.json (Klantinteracties-API 0.1.2). "
    "Met het recht om persoonsgegevens te zien: de echte tekst, betrokkene en adressen (wordt "
    "gelogd); anders de gemaskeerde tekst zonder betrokkene.",
    responses={
        200: json_answer("De documenten van de vraag", ref("KlantinteractiesExport")),
        403: error("Geen recht om vragen te zien"),
        404: error("Vraag bestaat niet"),
    },
)
@api_permission_required(Permission.VIEW_QUESTIONS)
def get_klantinteracties(question_id: int) -> Response | tuple[Response, int]:
    """The question's Klantcontact, Betrokkene, DigitaalAdres and InterneTaak documents."""
    user = api_user()
    include = role_has_permission(user.role, Permission.VIEW_PERSONAL_DATA)
    try:
        bundle = export_documents(question_id, include_personal_data=include, user=user)
    except NotFound as error:
        return error_response(404, {"": [str(error)]})
    return jsonify(bundle)
