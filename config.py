"""Configuration classes for kcc: fixed defaults here, secrets and URLs from the environment."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

# Keys shorter than this are refused in production: 32 random bytes are the usual floor for
# an HMAC key that signs session cookies.
MINIMUM_SECRET_KEY_LENGTH = 32
WEAK_SECRET_KEYS = {"secret", "changeme", "change-me", "dev", "development", "kcc"}


class ConfigurationError(RuntimeError):
    """The environment does not describe a configuration the app may start with."""


def normalise_database_url(url: str) -> str:
    """Let a plain postgresql:// URL use the psycopg 3 driver that kcc ships with."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def read_bool(value: str | None, *, default: bool) -> bool:
    """Interpret an environment flag such as 1/0, true/false, ja/nee."""
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on", "ja"}


RETENTION_KINDS = (
    "contact_details",
    "questions",
    "login_events",
    "audit_events",
    "online_messages",
)


def retention_days_from(environ: Mapping[str, str]) -> dict[str, int]:
    """Retention overrides such as KCC_RETENTION_CONTACT_DETAILS_DAYS=30."""
    days = {}
    for kind in RETENTION_KINDS:
        value = environ.get(f"KCC_RETENTION_{kind.upper()}_DAYS")
        if value:
            try:
                days[kind] = int(value)
            except ValueError as error:
                raise ConfigurationError(
                    f"KCC_RETENTION_{kind.upper()}_DAYS must be a number of days"
                ) from error
    return days


class Config:
    """Settings shared by every environment."""

    ENV_NAME = "base"
    DEBUG = False
    TESTING = False
    # No pool_pre_ping: kcc/pool.py pings only connections idle for longer than this.
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {}
    DATABASE_PING_AFTER_IDLE_SECONDS = 1.0
    SESSION_COOKIE_NAME = "kcc_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    # BIO 9.4: an unattended session is closed; 30 minutes fits a contact centre shift.
    IDLE_TIMEOUT = timedelta(minutes=30)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=10)
    WTF_CSRF_TIME_LIMIT = None  # the session's lifetime bounds the token; forms stay open long
    WTF_I18N_ENABLED = False  # use WTForms' own Dutch messages (Meta.locales), not Flask-Babel
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    # The online-export upload form only (a month of posts); larger exports go through
    # `flask --app kcc import-online`.
    ONLINE_UPLOAD_MAX_BYTES = 5 * 1024 * 1024
    # The question-import upload form only (kcc/transfer): 100,000 registrations are ~40 MB.
    IMPORT_UPLOAD_MAX_BYTES = 64 * 1024 * 1024
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_ENABLED = True
    LOGIN_RATE_LIMIT = "10 per minute"
    LOG_JSON = True
    # How long a SQLite write waits for another writer before it reports the database busy.
    SQLITE_BUSY_TIMEOUT_MS = 5000
    # Roles that must log in with a second factor (TOTP); production adds administrators.
    REQUIRE_TWO_FACTOR_ROLES: frozenset[str] = frozenset()
    # Checkpoint the WAL in a background thread, not inside a user's commit (see kcc/sqlite.py).
    SQLITE_BACKGROUND_CHECKPOINT = True
    # Days each kind of data is kept (kcc/privacy/retention.py explains the defaults);
    # `flask --app kcc purge` removes what is older.
    RETENTION_DAYS: dict[str, int] = {}
    # Suggestions: how many recent answered questions per crisis are matched while typing, and
    # how many seconds an index may be old before it is rebuilt (new answers appear after that).
    SUGGESTION_INDEX_SIZE = 20_000
    SUGGESTION_INDEX_TTL = 300
    SUGGESTION_INDEX_REFRESH_IN_BACKGROUND = True
    # Escalation deadlines count working hours only: these opening hours (Dutch local time) on
    # these days, without Dutch public holidays and the extra closed days (YYYY-MM-DD list).
    OPENING_HOURS = "08:30-17:00"
    OPENING_DAYS = "ma-vr"
    CLOSED_DAYS: tuple[str, ...] = ()
    # An open item this many working hours before its deadline counts as nearly due.
    NEARLY_DUE_HOURS = 4.0
    # Department suggestions learn from this many recent routings, refreshed this often (s).
    ROUTING_INDEX_SIZE = 5_000
    ROUTING_INDEX_TTL = 300
    MAIL_TIMEOUT = 10.0
    # E-mail intake (kcc/mailintake): what one e-mail may bring in; larger, more or other
    # attachments are refused with a reason on the question. Seconds an IMAP command may take.
    MAIL_INTAKE_MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
    MAIL_INTAKE_MAX_ATTACHMENTS_BYTES = 10 * 1024 * 1024
    MAIL_INTAKE_MAX_ATTACHMENTS = 10
    MAIL_INTAKE_TIMEOUT = 30.0
    # FAQ: a cluster smaller than this is never offered for publication; the publisher must not
    # be the author or last editor (four-eyes); a cluster counts as covered by a published
    # entry at this similarity; the public pages may be cached this many seconds.
    FAQ_MIN_CLUSTER_SIZE = 5
    FAQ_FOUR_EYES = True
    FAQ_COVERAGE_THRESHOLD = 0.35
    FAQ_CACHE_SECONDS = 60
    # Repeats of an anonymous public FAQ request are answered from memory this long (0: off);
    # see kcc/faq/microcache.py. A publication shows within this time.
    FAQ_MICROCACHE_SECONDS = 1.0
    FAQ_VOTE_RATE_LIMIT = "10 per minute"
    # Clustering from the screen runs inside the request (10,000 questions took about 8 s on a
    # shared machine); above this many the screen points at the CLI.
    FAQ_SCREEN_CLUSTER_LIMIT = 10_000
    # Open data (Woo): a count of questions below this per day × topic × municipality is not
    # published, so no one can be singled out (kcc/insight/open_data.py has the full rule).
    OPEN_DATA_MIN_COUNT = 5
    # Background jobs: the RQ queue's name, how long a finished job's result is kept (s), how
    # often `flask --app kcc scheduler` looks for due jobs (s).
    JOB_QUEUE_NAME = "kcc"
    JOB_RESULT_SECONDS = 24 * 3600
    SCHEDULER_TICK_SECONDS = 10.0
    # Argon2id (time cost, memory KiB, parallelism); None is the library's RFC 9106 profile.
    PASSWORD_HASH_COST: tuple[int, int, int] | None = None

    @classmethod
    def settings(cls, environ: Mapping[str, str], instance_path: Path) -> dict[str, Any]:
        """Return this class's settings completed from the environment."""
        values = {key: getattr(cls, key) for key in dir(cls) if key.isupper()}
        default_database = f"sqlite:///{instance_path / 'kcc.sqlite'}"
        values["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(
            environ.get("DATABASE_URL") or default_database
        )
        values["SECRET_KEY"] = cls.secret_key(environ, instance_path)
        # Trained model files; the database keeps their checksums (KCC_MODEL_DIR to move them).
        values["MODEL_DIR"] = environ.get("KCC_MODEL_DIR") or str(instance_path / "models")
        values["RETENTION_DAYS"] = retention_days_from(environ)
        values["MAIL_SERVER"] = environ.get("SMTP_HOST", "localhost")
        values["MAIL_PORT"] = int(environ.get("SMTP_PORT", "25"))
        values["MAIL_USERNAME"] = environ.get("SMTP_USERNAME") or None
        values["MAIL_PASSWORD"] = environ.get("SMTP_PASSWORD") or None
        values["MAIL_USE_TLS"] = read_bool(environ.get("SMTP_STARTTLS"), default=False)
        values["MAIL_SENDER"] = environ.get("SMTP_SENDER", "kcc@localhost")
        values["MAIL_TIMEOUT"] = float(environ.get("SMTP_TIMEOUT", str(cls.MAIL_TIMEOUT)))
        values["OPENING_HOURS"] = environ.get("KCC_OPENING_HOURS", cls.OPENING_HOURS)
        values["OPENING_DAYS"] = environ.get("KCC_OPENING_DAYS", cls.OPENING_DAYS)
        values["CLOSED_DAYS"] = tuple(
            day.strip() for day in environ.get("KCC_CLOSED_DAYS", "").split(",") if day.strip()
        )
        # E-mail intake: the IMAP mailbox `flask --app kcc mail-intake poll` reads; no host = off.
        # MAIL_INTAKE_FOLDERS maps folders to crisis and municipality: INBOX=corona:GM0406.
        values["MAIL_INTAKE_HOST"] = environ.get("MAIL_INTAKE_HOST", "")
        values["MAIL_INTAKE_PORT"] = int(environ.get("MAIL_INTAKE_PORT") or 0) or None
        values["MAIL_INTAKE_SECURITY"] = environ.get("MAIL_INTAKE_SECURITY", "ssl")
        values["MAIL_INTAKE_USERNAME"] = environ.get("MAIL_INTAKE_USERNAME", "")
        values["MAIL_INTAKE_PASSWORD"] = environ.get("MAIL_INTAKE_PASSWORD", "")
        values["MAIL_INTAKE_FOLDERS"] = environ.get("MAIL_INTAKE_FOLDERS", "")
        values["MAIL_INTAKE_TIMEOUT"] = float(
            environ.get("MAIL_INTAKE_TIMEOUT", str(cls.MAIL_INTAKE_TIMEOUT))
        )
        # Klantinteracties (Open Klant) push: base URL of the API and its token; empty = off.
        values["KLANTINTERACTIES_URL"] = environ.get("KLANTINTERACTIES_URL", "")
        values["KLANTINTERACTIES_TOKEN"] = environ.get("KLANTINTERACTIES_TOKEN", "")
        values["KLANTINTERACTIES_TIMEOUT"] = float(environ.get("KLANTINTERACTIES_TIMEOUT", "10"))
        # Webhooks (kcc/webhooks/delivery.py): seconds per request, and a PEM file of certificate
        # authorities to trust instead of the system's (empty: the system's trust store).
        values["WEBHOOK_TIMEOUT"] = float(environ.get("WEBHOOK_TIMEOUT", "5"))
        values["WEBHOOK_CA_BUNDLE"] = environ.get("WEBHOOK_CA_BUNDLE", "")
        # How long a sender's claim on a batch lasts: it must outlive the slowest batch (50
        # requests of WEBHOOK_TIMEOUT), and it is how long a killed sender's batch waits.
        values["WEBHOOK_CLAIM_SECONDS"] = float(environ.get("WEBHOOK_CLAIM_SECONDS", "600"))
        # Background jobs (kcc/jobs): with a Redis URL, jobs go on an RQ queue for
        # `flask --app kcc worker`; without one they run in-process (the embedded default).
        values["REDIS_URL"] = environ.get("REDIS_URL", "")
        if environ.get("RATELIMIT_STORAGE_URI"):
            values["RATELIMIT_STORAGE_URI"] = environ["RATELIMIT_STORAGE_URI"]
        elif values["REDIS_URL"]:
            # Several app servers must count one login limit together, not one each.
            values["RATELIMIT_STORAGE_URI"] = values["REDIS_URL"]
        # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are believed; 0 =
        # none, so a client cannot pick its own address (rate limits count per address).
        values["TRUSTED_PROXIES"] = int(environ.get("KCC_TRUSTED_PROXIES") or 0)
        return values

    @classmethod
    def secret_key(cls, environ: Mapping[str, str], instance_path: Path) -> str:
        """Return the key that signs sessions and CSRF tokens."""
        return environ.get("SECRET_KEY") or secrets.token_hex(32)


class DevelopmentConfig(Config):
    """Local use: SQLite under instance/, plain HTTP on 127.0.0.1, readable logs."""

    ENV_NAME = "development"
    SESSION_COOKIE_SECURE = False  # served over http://127.0.0.1 by `make run`
    LOG_JSON = False

    @classmethod
    def secret_key(cls, environ: Mapping[str, str], instance_path: Path) -> str:
        """Generate a key once and keep it under instance/, so restarts keep sessions."""
        if environ.get("SECRET_KEY"):
            return environ["SECRET_KEY"]
        key_file = instance_path / "secret_key"
        if key_file.exists():
            return key_file.read_text(encoding="utf-8").strip()
        instance_path.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32)
        key_file.write_text(key, encoding="utf-8")
        key_file.chmod(0o600)
        return key


class TestingConfig(Config):
    """The test suite: a fresh random key, plain HTTP test client, CSRF kept on."""

    ENV_NAME = "testing"
    TESTING = True
    SESSION_COOKIE_SECURE = False
    LOG_JSON = False
    SUGGESTION_INDEX_TTL = 0  # tests see every answer they just stored ...
    SUGGESTION_INDEX_REFRESH_IN_BACKGROUND = False  # ... at once
    FAQ_MICROCACHE_SECONDS = 0.0  # public pages change at once (test_microcache.py tests it)
    ROUTING_INDEX_TTL = 0  # and every routing correction
    # Cheap password hashing: the suite logs in hundreds of times; still real Argon2id.
    PASSWORD_HASH_COST = (1, 1024, 1)
    SQLITE_BACKGROUND_CHECKPOINT = False  # no thread per test app; SQLite checkpoints itself


class ProductionConfig(Config):
    """Production: refuses to start without a strong key or with debug on."""

    ENV_NAME = "production"
    REQUIRE_TWO_FACTOR_ROLES = frozenset({"admin"})
    # A failed statement's error text (logged with its traceback) must not carry the values
    # it was given: they may be a caller's name or question.
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"hide_parameters": True}

    @classmethod
    def settings(cls, environ: Mapping[str, str], instance_path: Path) -> dict[str, Any]:
        """Return production settings, refusing debug mode."""
        if read_bool(environ.get("FLASK_DEBUG"), default=False):
            raise ConfigurationError("KCC_ENV=production mag niet met FLASK_DEBUG aan starten.")
        return super().settings(environ, instance_path)

    @classmethod
    def secret_key(cls, environ: Mapping[str, str], instance_path: Path) -> str:
        """Demand a strong SECRET_KEY from the environment."""
        key = environ.get("SECRET_KEY", "")
        if len(key) < MINIMUM_SECRET_KEY_LENGTH or key.lower() in WEAK_SECRET_KEYS:
            raise ConfigurationError(
                "KCC_ENV=production vraagt een SECRET_KEY van minstens "
                f"{MINIMUM_SECRET_KEY_LENGTH} willekeurige tekens."
            )
        return key


# Like Django's `check --deploy`: what production must have, whatever overrides say.
PRODUCTION_REQUIREMENTS = {
    "DEBUG": False,
    "TESTING": False,
    "SESSION_COOKIE_SECURE": True,
    "SESSION_COOKIE_HTTPONLY": True,
    "WTF_CSRF_ENABLED": True,
    "PASSWORD_HASH_COST": None,
}


def check_production_settings(settings: Mapping[str, Any]) -> None:
    """Refuse to run production with debug, test mode, insecure cookies or CSRF off."""
    wrong = [
        name
        for name, required in PRODUCTION_REQUIREMENTS.items()
        if settings.get(name, required) != required
    ]
    if settings.get("SESSION_COOKIE_SAMESITE") not in {"Lax", "Strict"}:
        wrong.append("SESSION_COOKIE_SAMESITE")
    if wrong:
        raise ConfigurationError(
            "KCC_ENV=production weigert onveilige instellingen: " + ", ".join(wrong) + "."
        )


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def load_settings(env_name: str, environ: Mapping[str, str], instance_path: Path) -> dict[str, Any]:
    """Return the settings for KCC_ENV=env_name, read from environ."""
    try:
        config_class = CONFIGS[env_name]
    except KeyError:
        names = ", ".join(CONFIGS)
        raise ConfigurationError(f"Onbekende KCC_ENV {env_name!r}; kies uit {names}.") from None
    return config_class.settings(environ, instance_path)
