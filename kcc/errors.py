"""Error handlers: friendly Dutch pages for people, JSON under /api/."""

from __future__ import annotations

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.wrappers import Response

from kcc.exceptions import Conflict, Forbidden, KccError, NotFound
from kcc.extensions import db

ERROR_TEXTS: dict[int, tuple[str, str]] = {
    400: ("Ongeldig verzoek", "Het verzoek kon niet worden verwerkt. Controleer wat u invulde."),
    403: ("Geen toegang", "U heeft geen rechten voor deze pagina."),
    404: ("Pagina niet gevonden", "Deze pagina bestaat niet (meer). Controleer het adres."),
    405: ("Niet toegestaan", "Deze handeling is op deze pagina niet mogelijk."),
    409: ("Conflict", "Deze handeling past niet bij de huidige stand van het record."),
    413: ("Te groot", "Wat u verstuurde is te groot."),
    429: (
        "Te veel pogingen",
        "U heeft dit te vaak geprobeerd. Wacht een minuut en probeer het opnieuw.",
    ),
    503: (
        "Even niet bereikbaar",
        "De database is even niet bereikbaar. Wat u invulde is niet verloren: probeer het over "
        "enkele seconden opnieuw.",
    ),
    500: (
        "Er ging iets mis",
        "Er ging aan onze kant iets mis. Wat u invulde is niet verloren: ga terug en "
        "probeer het opnieuw. Blijft het misgaan, meld het dan bij de beheerder.",
    ),
}


def wants_json() -> bool:
    """API clients get JSON errors; people get pages."""
    return request.path.startswith("/api/")


def render_error(code: int, detail: str | None = None) -> tuple[Response | str, int]:
    """Render the Dutch error page or JSON body for an HTTP status code."""
    title, text = ERROR_TEXTS.get(code, ERROR_TEXTS[500] if code >= 500 else ERROR_TEXTS[400])
    if wants_json():
        # "errors" is the API's documented error body (openapi.json, Errors); "error" stays
        # for clients that read the older shape.
        body = {
            "errors": {"": [detail or text]},
            "error": {"status": code, "title": title, "detail": detail or text},
        }
        return jsonify(body), code
    return render_template("errors/error.html", code=code, title=title, text=detail or text), code


def handle_http_exception(error: HTTPException) -> tuple[Response | str, int]:
    """Turn any HTTP error into our page; 500s roll back the session first."""
    code = error.code or 500
    if code >= 500:
        try:
            db.session.rollback()
        except DBAPIError as rollback_error:
            return handle_database_unavailable(rollback_error)
    return render_error(code)


def handle_csrf_error(error: CSRFError) -> tuple[Response | str, int]:
    """An expired or missing CSRF token: explain, so the user reloads and retries."""
    return render_error(
        400,
        "Het formulier is verlopen of onvolledig verstuurd. Laad de pagina opnieuw en "
        "probeer het nog eens.",
    )


def handle_domain_error(error: KccError) -> tuple[Response | str, int]:
    """A rule a service enforced (not found, not allowed, conflicting): say which, in Dutch."""
    db.session.rollback()
    code = DOMAIN_ERROR_CODES.get(type(error), 400)
    return render_error(code, str(error))


DOMAIN_ERROR_CODES: dict[type[KccError], int] = {NotFound: 404, Forbidden: 403, Conflict: 409}


def handle_unexpected_error(error: Exception) -> tuple[Response | str, int]:
    """Log an unhandled exception with its request id and show the 500 page."""
    try:
        db.session.rollback()
    except DBAPIError as rollback_error:
        # Even the rollback failed: the database went away mid-request (the error itself was
        # only its consequence, e.g. a session left half-flushed), so it is a 503 as well.
        return handle_database_unavailable(rollback_error)
    current_app.logger.exception("unhandled error")
    return render_error(500)


def handle_database_unavailable(error: DBAPIError) -> tuple[Response | str, int]:
    """The database is down or restarting (a lost connection): 503, retry in a moment.

    The pool replaces broken connections by itself (kcc/pool.py: after such an error, and for
    connections that sat idle), so a retry succeeds as soon as the server is back; a 500 would
    wrongly say the request itself was at fault.
    """
    try:
        db.session.rollback()
    except DBAPIError:
        pass  # the connection is gone; the pool discards it
    current_app.logger.warning("database unavailable: %s", type(error.orig).__name__)
    # The page is rendered as for a visitor: loading the logged-in user needs the database.
    g._login_user = current_app.login_manager.anonymous_user()  # type: ignore[attr-defined]
    page, code = render_error(503)
    response = current_app.make_response((page, code))
    response.headers["Retry-After"] = "5"
    return response, code


def register_error_handlers(app: Flask) -> None:
    """Install the handlers on the app."""
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(KccError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(InternalServerError, handle_http_exception)
    app.register_error_handler(OperationalError, handle_database_unavailable)
    app.register_error_handler(InterfaceError, handle_database_unavailable)
    app.register_error_handler(Exception, handle_unexpected_error)
    # Registered after Flask-SQLAlchemy's own teardown, so it runs before it.
    app.teardown_appcontext(release_session_without_database)


def release_session_without_database(error: BaseException | None) -> None:
    """End the request's session; when the database went away, drop its connection instead.

    Closing a session rolls back, and a ROLLBACK on a connection the server closed raises
    during teardown, after every error handler: gunicorn then answered a bare 500 to a
    request that had already been answered 503 (seen in the crash test).
    """
    try:
        db.session.remove()
    except DBAPIError:
        db.session().invalidate()  # the connection is gone: discard it without a ROLLBACK
        db.session.remove()
