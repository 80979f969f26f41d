"""The signature a receiver checks: HMAC-SHA256 over "<t>.<body>", refused when changed or old."""

from __future__ import annotations

import hashlib
import hmac

from kcc.webhooks.signing import (
    DEFAULT_TOLERANCE,
    generate_secret,
    parse_signature_header,
    signature_header,
    verify_signature,
)

BODY = b'{"data":{"question_id":7},"event":"question.registered"}'
SENT_AT = 1_772_442_900


def test_the_header_is_the_hmac_of_time_and_body_as_documented() -> None:
    secret = generate_secret()

    header = signature_header(secret, SENT_AT, BODY)

    expected = hmac.new(secret.encode(), b"1772442900." + BODY, hashlib.sha256).hexdigest()
    assert header == f"t=1772442900,v1={expected}"
    assert parse_signature_header(header) == (SENT_AT, [expected])


def test_a_receiver_accepts_only_the_unchanged_body_with_the_right_secret_in_time() -> None:
    secret = generate_secret()
    header = signature_header(secret, SENT_AT, BODY)

    assert verify_signature(secret, header, BODY, now=SENT_AT + 10)
    assert not verify_signature(secret, header, BODY.replace(b"7", b"8"), now=SENT_AT)
    assert not verify_signature(generate_secret(), header, BODY, now=SENT_AT)
    # A recorded delivery replayed later is refused, as is a time moved forward by hand.
    assert not verify_signature(secret, header, BODY, now=SENT_AT + DEFAULT_TOLERANCE + 1)
    forged = header.replace("t=1772442900", f"t={SENT_AT + 3600}")
    assert not verify_signature(secret, forged, BODY, now=SENT_AT + 3600)
    assert not verify_signature(secret, "v1=abc", BODY, now=SENT_AT)
    assert not verify_signature(secret, "t=soon,v1=abc", BODY, now=SENT_AT)


def test_secrets_are_long_and_never_repeat() -> None:
    secrets = {generate_secret() for _ in range(100)}

    assert len(secrets) == 100
    assert all(len(secret) >= 43 for secret in secrets)
