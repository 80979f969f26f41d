"""Accounts: password hashing, authentication, users and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context
from sqlalchemy import select, update

from kcc.auth.models import ApiToken, Role, User
from kcc.exceptions import KccError, NotFound, ValidationFailed
from kcc.extensions import db, utcnow
from kcc.governance.audit import record_event
from kcc.governance.models import AuditAction
from kcc.local_cache import ChangeWatch, forget, remembered

# NCSC guidance: length beats composition rules; 12 characters is the floor we enforce.
MINIMUM_PASSWORD_LENGTH = 12
# Five wrong passwords in a row lock an account for a quarter of an hour: enough to stop
# guessing (with the per-address rate limit), short enough not to need the helpdesk.
MAX_FAILED_LOGINS = 5
LOCKOUT_DURATION = timedelta(minutes=15)
TOKEN_PREFIX = "kcc_"  # noqa: S105  (a visible prefix, not a secret)
TOKEN_USE_PRECISION = timedelta(minutes=1)

# Argon2id with the library's RFC 9106 low-memory profile: a modern, memory-hard KDF.
DEFAULT_PASSWORD_HASHER = PasswordHasher()


@lru_cache(maxsize=4)
def hasher_with_cost(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    """An Argon2id hasher with explicit parameters (memory in KiB)."""
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def password_hasher() -> PasswordHasher:
    """The hasher the configuration asks for: the default unless PASSWORD_HASH_COST is set.

    Only the test suite sets it (hundreds of logins at full cost take minutes); production
    refuses to start with it (config.check_production_settings).
    """
    cost = current_app.config.get("PASSWORD_HASH_COST") if has_app_context() else None
    return hasher_with_cost(*cost) if cost else DEFAULT_PASSWORD_HASHER


@lru_cache(maxsize=4)
def unknown_user_hash(hasher: PasswordHasher) -> str:
    """A hash to verify against when the user does not exist, so both cost the same time."""
    return hasher.hash(secrets.token_hex(16))


@dataclass(frozen=True)
class UserInput:
    """What an administrator enters for a user."""

    username: str
    role: str
    full_name: str = ""
    email: str | None = None
    municipality_id: int | None = None
    department_id: int | None = None
    is_enabled: bool = True


def check_password_strength(password: str) -> None:
    """Refuse passwords that are too short to be safe."""
    if len(password) < MINIMUM_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"Het wachtwoord moet minstens {MINIMUM_PASSWORD_LENGTH} tekens lang zijn.",
            field="password",
        )


def hash_password(password: str) -> str:
    """Return the Argon2id hash of a password."""
    return password_hasher().hash(password)


def password_matches(user: User, password: str) -> bool:
    """Verify a password and upgrade the stored hash when the KDF parameters changed."""
    hasher = password_hasher()
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return True


class AccountLocked(KccError):
    """Too many wrong passwords in a row: the account waits before it accepts another try."""


def authenticate(username: str, password: str, *, now: datetime | None = None) -> User | None:
    """Return the enabled user with these credentials and record the login, or None.

    Raises AccountLocked while an account is locked after MAX_FAILED_LOGINS wrong passwords.
    """
    now = now or utcnow()
    user = db.session.execute(
        select(User).where(User.username == username.strip().lower())
    ).scalar_one_or_none()
    if user is None:
        try:
            hasher = password_hasher()
            hasher.verify(unknown_user_hash(hasher), password)
        except VerificationError:
            pass
        return None
    if user.locked_until is not None and user.locked_until > now:
        raise AccountLocked(locked_message(user.locked_until, now))
    if not password_matches(user, password) or not user.is_enabled:
        register_failed_login(user, now)
        return None
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    db.session.commit()
    return user


def register_failed_login(user: User, now: datetime) -> None:
    """Count a wrong password; lock the account after MAX_FAILED_LOGINS in a row."""
    user.failed_logins += 1
    if user.failed_logins >= MAX_FAILED_LOGINS:
        user.locked_until = now + LOCKOUT_DURATION
        user.failed_logins = 0
    db.session.commit()


def locked_message(locked_until: datetime, now: datetime) -> str:
    """The Dutch message a locked-out user sees."""
    minutes = max(1, round((locked_until - now).total_seconds() / 60))
    return (
        "Dit account is tijdelijk geblokkeerd na te veel mislukte pogingen. Probeer het over "
        f"{minutes} {'minuut' if minutes == 1 else 'minuten'} opnieuw, of vraag de beheerder "
        "om hulp."
    )


def end_all_sessions(user: User) -> None:
    """Void every session cookie this user holds (logout, password change)."""
    user.session_version += 1


def parse_role(code: str) -> Role:
    """Return the Role for a code, or refuse an unknown one."""
    try:
        return Role(code)
    except ValueError:
        raise ValidationFailed(f"Onbekende rol {code!r}.", field="role") from None


def normalise_username(username: str) -> str:
    """Usernames are case-insensitive: store them lower-case."""
    return username.strip().lower()


def create_user(data: UserInput, password: str) -> User:
    """Create a user after checking the role, the name and the password."""
    username = normalise_username(data.username)
    if not username:
        raise ValidationFailed("Vul een gebruikersnaam in.", field="username")
    role = parse_role(data.role)
    if db.session.execute(select(User.id).where(User.username == username)).first():
        raise ValidationFailed(f"De gebruikersnaam {username!r} bestaat al.", field="username")
    check_password_strength(password)
    user = User(
        username=username,
        role=role.value,
        full_name=data.full_name.strip(),
        email=data.email or None,
        municipality_id=data.municipality_id,
        department_id=data.department_id,
        is_enabled=data.is_enabled,
        password_hash=hash_password(password),
    )
    db.session.add(user)
    db.session.commit()
    return user


def get_user(user_id: int) -> User:
    """Return a user by id or raise NotFound."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("Deze gebruiker bestaat niet.")
    return user


def update_user(user_id: int, data: UserInput, *, new_password: str | None = None) -> User:
    """Change a user's role, details or password; the username stays."""
    user = get_user(user_id)
    changes = describe_user_changes(user, data, password_changed=bool(new_password))
    user.role = parse_role(data.role).value
    user.full_name = data.full_name.strip()
    user.email = data.email or None
    user.municipality_id = data.municipality_id
    user.department_id = data.department_id
    user.is_enabled = data.is_enabled
    if new_password:
        check_password_strength(new_password)
        user.password_hash = hash_password(new_password)
        end_all_sessions(user)
    if changes:
        record_event(
            AuditAction.USER_CHANGED, object_type="user", object_id=user.id, detail=changes
        )
    db.session.commit()
    return user


def describe_user_changes(user: User, data: UserInput, *, password_changed: bool) -> str:
    """What an update changes, for the audit log (never the password itself)."""
    changes = []
    if user.role != data.role:
        changes.append(f"rol {user.role} → {data.role}")
    if user.is_enabled != data.is_enabled:
        changes.append("geactiveerd" if data.is_enabled else "geblokkeerd")
    if user.municipality_id != data.municipality_id or user.department_id != data.department_id:
        changes.append("gemeente of afdeling gewijzigd")
    if password_changed:
        changes.append("wachtwoord gewijzigd")
    return f"{user.username}: " + ", ".join(changes) if changes else ""


def list_users() -> list[User]:
    """Return every user, by username."""
    return list(db.session.execute(select(User).order_by(User.username)).scalars())


def hash_token(token: str) -> str:
    """Return the stored form of an API token.

    Tokens carry 256 random bits, so a plain SHA-256 is enough: there is nothing to brute-force.
    """
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_api_token(username: str) -> str:
    """Create an API token for a user; the plain token is returned once and never stored."""
    user = db.session.execute(
        select(User).where(User.username == normalise_username(username))
    ).scalar_one_or_none()
    if user is None:
        raise NotFound(f"Gebruiker {username!r} bestaat niet.")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, token_hash=hash_token(token), prefix=token[:12]))
    db.session.commit()
    return token


@dataclass(frozen=True)
class TokenHolder:
    """Who a valid API token belongs to: plain values, so they outlive a commit's expiry."""

    user_id: int
    username: str
    role: str


@dataclass(frozen=True)
class StoredToken:
    """A valid token's row as the API check needs it."""

    token_id: int
    last_used_at: datetime | None
    holder: TokenHolder


# A disabled user or a revoked token stops working within this many seconds on every app
# server (at once on the one that made the change): the check runs on every API call.
TOKEN_CHECK_SECONDS = 1.0
token_changes = ChangeWatch(ApiToken, User)


def find_token_holder(token: str, *, now: datetime | None = None) -> TokenHolder | None:
    """Return the enabled user a valid, unrevoked token belongs to, or None."""
    token_hash = hash_token(token)
    key = ("api-token", token_hash)
    stored = remembered(
        token_changes, key, lambda: load_stored_token(token_hash), seconds=TOKEN_CHECK_SECONDS
    )
    if stored is None:
        return None
    now = now or utcnow()
    # "Last used" to the minute is all an administrator needs to spot an idle token; writing
    # it on every call cost each API request a second committed (fsynced) transaction.
    last_used = stored.last_used_at
    if last_used is None or now - last_used >= TOKEN_USE_PRECISION:
        # On the connection, not through the session: this is no change any copy depends on.
        db.session.connection().execute(
            update(ApiToken).where(ApiToken.id == stored.token_id).values(last_used_at=now)
        )
        db.session.commit()
        forget(key)
    return stored.holder


def load_stored_token(token_hash: str) -> StoredToken | None:
    """The valid token with this hash and its enabled user, in one plain query.

    Loading the token and user as ORM objects, and reloading the user after the request's
    commit expired it, cost a registration 2-3 ms.
    """
    found = db.session.execute(
        select(ApiToken.id, ApiToken.last_used_at, User.id, User.username, User.role)
        .join(User, User.id == ApiToken.user_id)
        .where(
            ApiToken.token_hash == token_hash,
            ApiToken.revoked_at.is_(None),
            User.is_enabled.is_(True),
        )
    ).one_or_none()
    if found is None:
        return None
    token_id, last_used, user_id, username, role = found
    return StoredToken(token_id, last_used, TokenHolder(user_id, username, role))


def set_email_notifications(user: User, *, enabled: bool) -> None:
    """Switch a user's e-mail notifications on or off."""
    user.notify_by_email = enabled
    db.session.commit()
