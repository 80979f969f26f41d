"""Login, logout and the idle timeout."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from kcc.auth import services
from kcc.auth.forms import LoginForm
from kcc.auth.loaders import SESSION_VERSION_KEY
from kcc.extensions import limiter, utcnow
from kcc.governance.audit import record_and_commit
from kcc.governance.models import AuditAction

bp = Blueprint("auth", __name__)


def is_safe_next_url(target: str | None) -> bool:
    """Only follow ?next= to a path on this site, never to another host."""
    if not target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and target.startswith("/")


def login_rate_limit() -> str:
    """Read the limit per request, so tests and deployments can set it."""
    return str(current_app.config["LOGIN_RATE_LIMIT"])


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_rate_limit, methods=["POST"])
def login() -> str | Response:
    """Show the login form and log the user in."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.username.data or "", form.password.data or "")
        except services.AccountLocked as locked:
            record_and_commit(AuditAction.LOGIN_FAILED, username=form.username.data or "?")
            form.password.errors.append(str(locked))
            return render_template("auth/login.html", form=form)
        if user is None:
            current_app.logger.info("login failed", extra={"username": form.username.data})
            record_and_commit(
                AuditAction.LOGIN_FAILED, username=(form.username.data or "")[:80] or "?"
            )
            form.password.errors.append("Gebruikersnaam of wachtwoord klopt niet.")
        else:
            session.clear()  # a fresh session on login: no fixation
            login_user(user)
            session.permanent = True
            session["last_seen"] = utcnow().isoformat()
            session[SESSION_VERSION_KEY] = user.session_version
            current_app.logger.info("login", extra={"user_id": user.id})
            record_and_commit(AuditAction.LOGIN)
            next_url = request.args.get("next")
            return redirect(next_url if is_safe_next_url(next_url) else url_for("main.index"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    """Log out (POST only, so a link or image cannot do it) and return to the login page."""
    if current_user.is_authenticated:
        # Every session of this user ends, not just this browser's: a copied cookie is void.
        services.end_all_sessions(current_user)
        record_and_commit(AuditAction.LOGOUT)
    logout_user()
    session.clear()
    flash("U bent uitgelogd.", "info")
    return redirect(url_for("auth.login"))


@bp.before_app_request
def end_idle_sessions() -> Response | None:
    """Log out a user who has been idle longer than IDLE_TIMEOUT (BIO 9.4)."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    now = utcnow()
    last_seen_text = session.get("last_seen")
    last_seen = datetime.fromisoformat(last_seen_text) if last_seen_text else None
    if last_seen is None or now - last_seen > current_app.config["IDLE_TIMEOUT"]:
        logout_user()
        session.clear()
        flash("U was te lang niet actief en bent uitgelogd. Log opnieuw in.", "warning")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    session["last_seen"] = now.isoformat()
    return None
