"""Signing webhook bodies, Stripe-style: `X-KCC-Signature: t=<unix time>,v1=<hex HMAC>`.

The HMAC-SHA256 covers "<t>.<body>" with the endpoint's secret, so a receiver knows the body
came from kcc unchanged, and by rejecting an old `t` it refuses a recorded delivery replayed
later. Plain Python (no Flask): a receiver may copy `verify_signature` as it is.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SIGNATURE_HEADER = "X-KCC-Signature"
EVENT_HEADER = "X-KCC-Event"
DELIVERY_HEADER = "X-KCC-Delivery"
SCHEME = "v1"
# Receivers should refuse signatures older than this (seconds); docs/decisions.md explains.
DEFAULT_TOLERANCE = 300
SECRET_BYTES = 32


def generate_secret() -> str:
    """A new endpoint secret: 32 random bytes, URL-safe text (43 characters)."""
    return secrets.token_urlsafe(SECRET_BYTES)


def compute_signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of "<timestamp>.<body>" with the secret."""
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    """The X-KCC-Signature value for a body sent at this unix time."""
    return f"t={timestamp},{SCHEME}={compute_signature(secret, timestamp, body)}"


def parse_signature_header(header: str) -> tuple[int, list[str]]:
    """The timestamp and the v1 signatures in a header; ValueError when it is malformed."""
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            timestamp = int(value)
        elif key == SCHEME:
            signatures.append(value)
    if timestamp is None or not signatures:
        raise ValueError("signature header lacks t= or v1=")
    return timestamp, signatures


def verify_signature(
    secret: str, header: str, body: bytes, *, now: int, tolerance: int = DEFAULT_TOLERANCE
) -> bool:
    """Tell whether the header signs this body with the secret, at most `tolerance` s ago."""
    try:
        timestamp, signatures = parse_signature_header(header)
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = compute_signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in signatures)
