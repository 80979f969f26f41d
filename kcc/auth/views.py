"""Login, logout and the idle timeout."""

from __future__ import annotations

from datetime import datetime, timedelta

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
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from kcc.auth import services, two_factor
from kcc.auth.forms import CodeForm, LoginForm, NotificationForm
from kcc.auth.loaders import SESSION_VERSION_KEY
from kcc.auth.models import User
from kcc.exceptions import ValidationFailed
from kcc.extensions import db, limiter, utcnow
from kcc.governance.audit import record_and_commit
from kcc.governance.models import AuditAction
from kcc.security import is_safe_local_path

bp = Blueprint("auth", __name__)
PENDING_USER_KEY = "pending_user_id"
PENDING_SINCE_KEY = "pending_since"
# The secret being set up rides in the signed session until confirmed: the user sees it anyway.
TOTP_SETUP_FIELD = "totp_setup"
# Between password and code: long enough to open the app, short enough to be no half-login.
PENDING_LOGIN_LIFETIME = timedelta(minutes=5)
TWO_FACTOR_EXEMPT_ENDPOINTS = {"static", "auth.logout", "auth.two_factor_settings"}


def is_safe_next_url(target: str | None) -> bool:
    """Only follow ?next= to a path on this site, never to another host."""
    return is_safe_local_path(target)


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
        elif user.has_two_factor:
            session.clear()
            session[PENDING_USER_KEY] = user.id
            session[PENDING_SINCE_KEY] = utcnow().isoformat()
            return redirect(url_for("auth.login_code", next=request.args.get("next")))
        else:
            return start_session(user)
    return render_template("auth/login.html", form=form)


def start_session(user: User) -> Response:
    """Log the user in with a fresh session (no fixation) and go where they were heading."""
    session.clear()
    login_user(user)
    session.permanent = True
    session["last_seen"] = utcnow().isoformat()
    session[SESSION_VERSION_KEY] = user.session_version
    current_app.logger.info("login", extra={"user_id": user.id})
    record_and_commit(AuditAction.LOGIN)
    next_url = request.args.get("next")
    return redirect(next_url if is_safe_next_url(next_url) else url_for("main.index"))


def pending_user() -> User | None:
    """The user who gave the right password and now owes a code, if not too long ago."""
    user_id = session.get(PENDING_USER_KEY)
    since = session.get(PENDING_SINCE_KEY)
    if user_id is None or since is None:
        return None
    if utcnow() - datetime.fromisoformat(since) > PENDING_LOGIN_LIFETIME:
        return None
    return db.session.get(User, user_id)


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(login_rate_limit, methods=["POST"])
def login_code() -> str | Response:
    """The second step of logging in: the code from the authenticator app."""
    user = pending_user()
    if user is None:
        flash("Log opnieuw in met uw gebruikersnaam en wachtwoord.", "info")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        if two_factor.verify_login_code(user, form.code.data or ""):
            return start_session(user)
        services.register_failed_login(user, utcnow())
        record_and_commit(AuditAction.LOGIN_FAILED, username=user.username)
        form.code.errors.append("Deze code klopt niet of is al gebruikt. Wacht op de volgende.")
    return render_template("auth/login_code.html", form=form)


@bp.route("/account/two-factor", methods=["GET", "POST"])
@login_required
def two_factor_settings() -> str | Response:
    """Switch the second factor on (scan, confirm a code) or off (confirm a code)."""
    form = CodeForm()
    if current_user.has_two_factor:
        if form.validate_on_submit():
            try:
                two_factor.disable_two_factor(current_user, form.code.data or "")
            except ValidationFailed as error:
                form.code.errors.append(str(error))
            else:
                flash("De tweede factor staat uit.", "success")
                return redirect(url_for("auth.two_factor_settings"))
        return render_template("auth/two_factor.html", form=form, enabled=True)
    secret = session.get(TOTP_SETUP_FIELD) or two_factor.new_secret()
    session[TOTP_SETUP_FIELD] = secret
    if form.validate_on_submit():
        try:
            two_factor.enable_two_factor(current_user, secret, form.code.data or "")
        except ValidationFailed as error:
            form.code.errors.append(str(error))
        else:
            session.pop(TOTP_SETUP_FIELD, None)
            flash(
                "De tweede factor staat aan. Voortaan vraagt het inloggen ook een code.", "success"
            )
            return redirect(url_for("main.index"))
    uri = two_factor.provisioning_uri(current_user, secret)
    return render_template(
        "auth/two_factor.html",
        form=form,
        enabled=False,
        secret=secret,
        qr_code=two_factor.qr_code_data_uri(uri),
    )


@bp.route("/account/notifications", methods=["GET", "POST"])
@login_required
def notification_settings() -> str | Response:
    """Switch e-mail notifications (assigned work, nearing deadlines, daily digest) on or off."""
    form = NotificationForm(notify_by_email=current_user.notify_by_email)
    if form.validate_on_submit():
        services.set_email_notifications(current_user, enabled=bool(form.notify_by_email.data))
        flash("Uw keuze is bewaard.", "success")
        return redirect(url_for("auth.notification_settings"))
    return render_template("auth/notifications.html", form=form)


@bp.before_app_request
def require_two_factor() -> Response | None:
    """Roles in REQUIRE_TWO_FACTOR_ROLES (admins, in production) must set it up first."""
    if not current_user.is_authenticated or request.endpoint in TWO_FACTOR_EXEMPT_ENDPOINTS:
        return None
    if current_user.role in current_app.config["REQUIRE_TWO_FACTOR_ROLES"] and not (
        current_user.has_two_factor
    ):
        flash("Uw rol vraagt een tweede factor. Zet die eerst aan.", "warning")
        return redirect(url_for("auth.two_factor_settings"))
    return None


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
