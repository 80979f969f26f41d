"""API v1: a question as Klantinteracties documents (the same export as the CLI's).

Personal data follows the token's user: with the right to see it, the real text, the
betrokkene and the digital addresses (and an audit event); without, the masked text only.
"""

from __future__ import annotations

from flask import Response, jsonify

from kcc.api.views import api_permission_required, api_user, bp, error_response
from kcc.exceptions import NotFound
from kcc.integration.push import export_documents
from kcc.security import Permission, role_has_permission


@bp.get("/questions/<int:question_id>/klantinteracties")
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
