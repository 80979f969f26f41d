"""Checking and normalising a caller's phone number and e-mail address."""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email

# Spaces, dashes, dots, slashes and brackets are how people write numbers, not part of them.
PHONE_SEPARATORS = re.compile(r"[\s\-./()]")
DUTCH_NUMBER = re.compile(r"^0[1-9]\d{8}$")
DUTCH_SERVICE_NUMBER = re.compile(r"^0(800|900|906|909)\d{4,7}$")
INTERNATIONAL_NUMBER = re.compile(r"^\+[1-9]\d{7,14}$")


def normalise_phone(value: str) -> str | None:
    """Return a phone number in one canonical form, or None if it is not one.

    Dutch numbers become ten digits starting with 0 (06-12345678, +31 (0)6 1234 5678 and
    0031612345678 all become 0612345678); other countries keep +<digits> (E.164).
    """
    compact = value.strip().replace("(0)", "")
    compact = PHONE_SEPARATORS.sub("", compact)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if compact.startswith("+31"):
        compact = "0" + compact[3:]
    if DUTCH_NUMBER.match(compact) or DUTCH_SERVICE_NUMBER.match(compact):
        return compact
    if INTERNATIONAL_NUMBER.match(compact):
        return compact
    return None


def normalise_email(value: str) -> str:
    """Return the form of an e-mail address used to recognise the same caller again."""
    return value.strip().lower()


def is_valid_email(value: str) -> bool:
    """Tell whether an address is well-formed (no DNS lookup: there is no network to ask)."""
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True
