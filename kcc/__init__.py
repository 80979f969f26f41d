"""kcc: crisis contact-centre registration. create_app() is the table of contents."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from config import check_production_settings, load_settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: str | None = None, overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the kcc Flask application for KCC_ENV (or `config`), with optional overrides."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        instance_path=os.environ.get("KCC_INSTANCE_PATH", str(PROJECT_ROOT / "instance")),
    )
    apply_config(app, config or os.environ.get("KCC_ENV", "development"), overrides)
    register_extensions(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_request_hooks(app)
    register_static_caching(app)
    register_template_helpers(app)
    register_commands(app)
    register_public_page_cache(app)
    register_proxy_headers(app)
    return app


def apply_config(app: Flask, env_name: str, overrides: Mapping[str, Any] | None) -> None:
    """Load settings before any extension reads them (Flask-SQLAlchemy creates engines early)."""
    app.config.from_mapping(load_settings(env_name, os.environ, Path(app.instance_path)))
    if overrides:
        app.config.from_mapping(overrides)
    if app.config["ENV_NAME"] == "production":
        check_production_settings(app.config)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)


def register_extensions(app: Flask) -> None:
    """Bind db, migrations, CSRF, login and rate limits to the app."""
    import kcc.models  # noqa: F401  every model on the metadata, for Alembic and create_all
    from kcc.auth.loaders import register_user_loaders
    from kcc.extensions import csrf, db, limiter, login_manager, migrate
    from kcc.insight.online_views import raise_upload_limit_for_online_import
    from kcc.pool import ping_idle_connections
    from kcc.sqlite import configure_sqlite_connections
    from kcc.transfer.views import raise_upload_limit_for_question_import

    # Before CSRFProtect reads a form: the online-export upload may be larger than other forms.
    app.before_request(raise_upload_limit_for_online_import)
    app.before_request(raise_upload_limit_for_question_import)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    register_user_loaders(login_manager)
    configure_sqlite_connections(app)
    ping_idle_connections(app)


def register_blueprints(app: Flask) -> None:
    """Mount one blueprint per capability."""
    import kcc.api.escalations  # noqa: F401  (adds the escalation routes to the API blueprint)
    import kcc.api.faq  # noqa: F401  (adds the public FAQ feed to the API blueprint)
    import kcc.api.klantinteracties  # noqa: F401  (adds the Klantinteracties export to the API)
    import kcc.faq.cluster_views  # noqa: F401  (adds the cluster screens to the FAQ blueprint)
    import kcc.insight.online_views  # noqa: F401  (online messages, on the insight blueprint)
    import kcc.insight.report_views  # noqa: F401  (weekly report and open data)
    import kcc.insight.signal_views  # noqa: F401  (signals)
    import kcc.mailintake.views  # noqa: F401  (e-mail attachments, on the intake blueprint)
    from kcc.admin.views import bp as admin_bp
    from kcc.api.views import bp as api_bp
    from kcc.auth.views import bp as auth_bp
    from kcc.classification.views import bp as classification_bp
    from kcc.escalation.views import bp as escalation_bp
    from kcc.faq.public_views import bp as faq_public_bp
    from kcc.faq.views import bp as faq_bp
    from kcc.governance.views import bp as governance_bp
    from kcc.insight.views import bp as insight_bp
    from kcc.intake.views import bp as intake_bp
    from kcc.integration.views import bp as integration_bp
    from kcc.jobs.views import bp as jobs_bp
    from kcc.main.views import bp as main_bp
    from kcc.notices.views import bp as notices_bp
    from kcc.operations.views import bp as operations_bp
    from kcc.transfer.views import bp as transfer_bp
    from kcc.webhooks.views import bp as webhooks_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(main_bp)
    app.register_blueprint(intake_bp, url_prefix="/questions")
    app.register_blueprint(escalation_bp, url_prefix="/queue")
    app.register_blueprint(classification_bp, url_prefix="/classification")
    app.register_blueprint(faq_bp, url_prefix="/editorial")
    app.register_blueprint(faq_public_bp, url_prefix="/faq")
    app.register_blueprint(insight_bp, url_prefix="/insights")
    app.register_blueprint(notices_bp, url_prefix="/notices")
    app.register_blueprint(integration_bp, url_prefix="/admin/integration")
    app.register_blueprint(webhooks_bp, url_prefix="/admin/webhooks")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(governance_bp, url_prefix="/admin")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(operations_bp)
    app.register_blueprint(transfer_bp, url_prefix="/transfer")
    app.register_blueprint(jobs_bp, url_prefix="/jobs")


def register_error_handlers(app: Flask) -> None:
    """Dutch error pages and JSON errors under /api/."""
    from kcc.errors import register_error_handlers as install

    install(app)


def register_request_hooks(app: Flask) -> None:
    """Request ids, structured logs and security headers on every response."""
    from kcc.observability import register_request_logging
    from kcc.security import apply_security_headers

    register_request_logging(app)
    app.after_request(apply_security_headers)


def register_static_caching(app: Flask) -> None:
    """Content-hashed static links that browsers may keep for a year."""
    from kcc.static_cache import register_static_caching as install

    install(app)


def register_template_helpers(app: Flask) -> None:
    """Make permission checks and Dutch local time available to templates."""
    from kcc.localtime import format_local
    from kcc.security import Permission, user_can

    app.jinja_env.globals.update(user_can=user_can, Permission=Permission)
    app.jinja_env.filters["local"] = format_local


def register_public_page_cache(app: Flask) -> None:
    """Answer repeats of anonymous public FAQ requests from memory for a moment."""
    from kcc.faq.microcache import MicroCache

    seconds = float(app.config["FAQ_MICROCACHE_SECONDS"])
    if seconds > 0:
        app.wsgi_app = MicroCache(  # type: ignore[method-assign]
            app.wsgi_app, prefixes=("/faq/", "/api/v1/faq"), seconds=seconds
        )


def register_proxy_headers(app: Flask) -> None:
    """Behind KCC_TRUSTED_PROXIES proxies, take the client's address and scheme from them."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    count = int(app.config.get("TRUSTED_PROXIES", 0))
    if count > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=count, x_proto=count
        )


def register_commands(app: Flask) -> None:
    """Add the `flask --app kcc ...` commands."""
    from kcc.cli import register_cli

    register_cli(app)
