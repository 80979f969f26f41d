"""Start page."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from kcc.auth.models import Role

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def index() -> str:
    """Greet the user and show what their role can reach."""
    return render_template("main/index.html", role=Role(current_user.role))
