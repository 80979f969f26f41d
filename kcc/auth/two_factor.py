"""A second factor: time-based one-time codes (TOTP, RFC 6238) from an authenticator app."""

from __future__ import annotations

import time

import pyotp
import segno

from kcc.auth.models import User
from kcc.exceptions import ValidationFailed
from kcc.extensions import db, utcnow
from kcc.governance.audit import record_event
from kcc.governance.models import AuditAction

ISSUER = "KCC crisisregistratie"
CODE_STEP_SECONDS = 30


def new_secret() -> str:
    """A fresh random base32 secret for one user's authenticator."""
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)


def qr_code_data_uri(uri: str) -> str:
    """The QR code as an SVG data URI (the CSP allows data: images; nothing leaves the app)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def matching_counter(secret: str, code: str, *, at: float | None = None) -> int | None:
    """The time step a code belongs to (this one or a neighbour, for clock drift), or None."""
    digits = "".join(character for character in code if character.isdigit())
    if len(digits) != 6:
        return None
    totp = pyotp.TOTP(secret)
    moment = at if at is not None else time.time()
    counter = int(moment // CODE_STEP_SECONDS)
    for candidate in (counter, counter - 1, counter + 1):
        if pyotp.utils.strings_equal(totp.at(candidate * CODE_STEP_SECONDS), digits):
            return candidate
    return None


def verify_login_code(user: User, code: str, *, at: float | None = None) -> bool:
    """Check a code at login; each code works once (a replayed code is refused)."""
    if not user.totp_secret:
        return False
    counter = matching_counter(user.totp_secret, code, at=at)
    if counter is None or (
        user.totp_last_counter is not None and counter <= user.totp_last_counter
    ):
        return False
    user.totp_last_counter = counter
    db.session.commit()
    return True


def enable_two_factor(user: User, secret: str, code: str, *, at: float | None = None) -> None:
    """Switch the second factor on once the user proved their app shows the right codes."""
    counter = matching_counter(secret, code, at=at)
    if counter is None:
        raise ValidationFailed(
            "Deze code klopt niet. Controleer de tijd op uw telefoon en probeer de nieuwe code.",
            field="code",
        )
    user.totp_secret = secret
    user.totp_last_counter = counter
    user.totp_enabled_at = utcnow()
    record_event(
        AuditAction.TWO_FACTOR_CHANGED,
        object_type="user",
        object_id=user.id,
        detail=f"{user.username}: tweede factor aangezet",
    )
    db.session.commit()


def disable_two_factor(user: User, code: str, *, at: float | None = None) -> None:
    """Switch it off; the current code proves it is the user who asks."""
    if not verify_login_code(user, code, at=at):
        raise ValidationFailed("Deze code klopt niet.", field="code")
    user.totp_secret = None
    user.totp_last_counter = None
    user.totp_enabled_at = None
    record_event(
        AuditAction.TWO_FACTOR_CHANGED,
        object_type="user",
        object_id=user.id,
        detail=f"{user.username}: tweede factor uitgezet",
    )
    db.session.commit()
