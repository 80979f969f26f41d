"""Masking of personal data in free text (AVG/GDPR) before it is analysed, shared or published.

Question and answer texts feed clustering, statistics, suggestions to other agents, exports and
the public FAQ. None of those purposes needs to know who asked (AVG art. 5(1)(c), data
minimisation), so every such use reads the text through `mask_personal_data`.

The module is plain Python on purpose: requests, workers, the CLI and benchmarks all call the
same function, and it never imports Flask or SQLAlchemy (tests/test_architecture.py checks).
Each detector is one precompiled regular expression plus, where a pattern alone would be too
loose, a check in Python (elfproef, IBAN checksum, plausible phone layout). No pattern nests
ambiguous repetition and long runs are matched possessively, so no input makes them backtrack
catastrophically.
"""

from __future__ import annotations

import csv
import re
import string
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TextIO

from kcc.privacy.spreadsheet import ID_TEXT_COLUMNS, read_id_text_rows, spreadsheet_safe

Span = tuple[int, int]
# A detector returns the spans it finds, left to right and without overlap.
Detector = Callable[[str], list[Span]]


class PersonalDataKind(StrEnum):
    """A kind of personal data; the value is the word shown in its placeholder."""

    EMAIL = "E-MAIL"
    IBAN = "IBAN"
    BIRTH_DATE = "GEBOORTEDATUM"
    PHONE = "TELEFOON"
    BSN = "BSN"
    POSTCODE = "POSTCODE"
    ADDRESS = "ADRES"
    NAME = "NAAM"

    @property
    def placeholder(self) -> str:
        """The text that replaces this kind of data, e.g. "[TELEFOON]"."""
        return f"[{self.value}]"


@dataclass(frozen=True, slots=True)
class Match:
    """Where one piece of personal data sits in a text (end exclusive), and its kind."""

    start: int
    end: int
    kind: PersonalDataKind

    @property
    def span(self) -> Span:
        """The (start, end) pair, as `re.Match.span()` gives it."""
        return (self.start, self.end)


@dataclass(frozen=True, slots=True)
class MaskingRule:
    """One kind of personal data: how to find it, and cheap tests for when not to bother.

    `needs_digit` skips the rule for texts without a digit; `hint`, when given, is a quick
    test that is False for every text the detector would find nothing in.
    """

    kind: PersonalDataKind
    detect: Detector
    needs_digit: bool = True
    hint: Callable[[str], bool] | None = None

    @property
    def placeholder(self) -> str:
        """The placeholder this rule writes."""
        return self.kind.placeholder


# --- Shared building blocks ------------------------------------------------------------------
#
# Speed: Python's regex engine only skips quickly through a text when a pattern starts with a
# plain character or character class. So patterns start with the first character of what they
# look for ("\d", "+", a capital) and check the boundary before it afterwards, with a
# look-behind over that first character: "\d(?<![\w.].)" reads "a digit not preceded by a word
# character or dot". Cues are spelled out in their usual cases for the same reason, instead of
# (?i:...).

_DIGIT = re.compile(r"\d")
# Latin-1 letters: enough for Dutch street names ("Hûnsstraat", "Prinses Irenelaan").
_LATIN = "A-Za-zÀ-ÖØ-öø-ÿ"
# Capitals and small letters of the Latin and Cyrillic scripts, so "Łukasz", "Émile" and
# "Олена" read as names. Built once from Unicode data rather than typed out by hand.
_LATIN_EXTENDED = [chr(code) for code in range(0x00C0, 0x0250)]
_UPPER = "A-Z" + "".join(ch for ch in _LATIN_EXTENDED if ch.isupper()) + "А-ЯЁЄІЇҐ"
_LOWER = "a-z" + "".join(ch for ch in _LATIN_EXTENDED if ch.islower()) + "а-яёєіїґ"


# Marks the node of a prefix tree where a complete cue ends.
_END_OF_CUE = ""


def _cue_alternatives(cues: Iterable[str]) -> str:
    """A regex for cue words as typed, Capitalised and in CAPITALS, shaped as a prefix tree.

    "m(?:evr(?:ouw|\\.)?|w)" instead of "mevrouw|mevr.|mevr|mw": the engine then tests each
    first letter once instead of trying every cue in turn. A space matches any run of spaces
    or tabs.
    """
    tree: dict[str, dict] = {}
    for cue in cues:
        for form in (cue, cue[0].upper() + cue[1:], cue.upper()):
            node = tree
            for character in form:
                node = node.setdefault(character, {})
            node[_END_OF_CUE] = {}
    return _prefix_tree_pattern(tree)


def _prefix_tree_pattern(tree: dict[str, dict]) -> str:
    """The regex for one node of a prefix tree of cue words (see _cue_alternatives)."""
    branches = [
        (r"[ \t]+" if character == " " else re.escape(character)) + _prefix_tree_pattern(child)
        for character, child in sorted(tree.items())
        if character != _END_OF_CUE
    ]
    if not branches:
        return ""
    if _END_OF_CUE in tree:
        # Optional and greedy: "mevr" is a cue too, but "mevrouw" is tried first.
        return "(?:" + "|".join(branches) + ")?"
    return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"


def _contains_digit(text: str) -> bool:
    """Tell whether a text has a digit; most kinds cannot occur without one."""
    return _DIGIT.search(text) is not None


def _contains_at_sign(text: str) -> bool:
    """Tell whether a text could hold an e-mail address."""
    return "@" in text


def _find_accepted(
    pattern: re.Pattern[str], text: str, accept: Callable[[re.Match[str]], Span | None]
) -> list[Span]:
    """The spans `accept` approves among the pattern's candidates, left to right.

    A refused candidate is retried one character later, not after its end as `finditer`
    would, so a valid match that starts inside a refused candidate is still found.
    """
    spans: list[Span] = []
    search = pattern.search
    position = 0
    while (found := search(text, position)) is not None:
        span = accept(found)
        if span is None:
            position = found.start() + 1
        else:
            spans.append(span)
            position = max(span[1], found.start() + 1)
    return spans


def _find_accepted_at(
    pattern: re.Pattern[str],
    text: str,
    accept: Callable[[re.Match[str]], Span | None],
    starts: Iterable[int],
) -> list[Span]:
    """What `_find_accepted` finds, trying the pattern only at the given starts.

    For a pattern the engine cannot skip ahead on. `starts` must be ascending and hold every
    position where the pattern can match; the first of them at or after the current position
    where it matches is then where `search` would have found its candidate.
    """
    spans: list[Span] = []
    match = pattern.match
    position = 0
    for start in starts:
        if start < position or (found := match(text, start)) is None:
            continue
        span = accept(found)
        if span is None:
            position = start + 1
        else:
            spans.append(span)
            position = max(span[1], start + 1)
    return spans


# --- E-mail ----------------------------------------------------------------------------------

# The local part starts at a token boundary and is matched possessively, so a long run of word
# characters without "@" is rejected in one pass instead of being retried from every position.
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]++@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-])")


def _find_email_addresses(text: str) -> list[Span]:
    """The spans of e-mail addresses."""
    return [found.span() for found in _EMAIL.finditer(text)]


# --- IBAN ------------------------------------------------------------------------------------

# Country code, check digits, then 11-30 characters, compact or in groups of four (ISO 13616).
# The match starts at the check digits (see "Speed" above); the country code is checked behind
# them and added to the span afterwards.
_IBAN_CANDIDATE = re.compile(
    r"\d\d(?<=[A-Za-z]{2}\d\d)(?<![^\W_][A-Za-z]{2}\d\d)"
    r"(?:[ ]?[A-Za-z0-9]{4}){2,7}(?:[ ]?[A-Za-z0-9]{1,3})?(?![^\W_])"
)
_IBAN_SHAPE = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}")
# The standard counts A as 10 up to Z as 35; digits stand for themselves.
_IBAN_LETTER_NUMBERS = {ord(letter): str(int(letter, 36)) for letter in string.ascii_uppercase}
_COUNTRY_CODE_LENGTH = 2


def is_valid_iban(value: str) -> bool:
    """Tell whether a value (spaces allowed, any case) passes the ISO 13616 mod-97 check."""
    compact = value.replace(" ", "").upper()
    if not _IBAN_SHAPE.fullmatch(compact):
        return False
    rearranged = compact[4:] + compact[:4]
    return int(rearranged.translate(_IBAN_LETTER_NUMBERS)) % 97 == 1


def _longest_valid_iban(candidate: str) -> int | None:
    """Length of the longest valid IBAN at the start of a candidate, cut at a space.

    A spaced IBAN followed by a short word ("NL91 ABNA 0417 1643 00 en") makes the candidate
    too long; dropping trailing groups one by one finds the IBAN itself.
    """
    cut = len(candidate)
    while cut > 0:
        if is_valid_iban(candidate[:cut]):
            return cut
        cut = candidate.rfind(" ", 0, cut)
    return None


def _accept_iban(found: re.Match[str]) -> Span | None:
    """The span of the valid IBAN in a candidate, country code included, if there is one."""
    start = found.start() - _COUNTRY_CODE_LENGTH
    length = _longest_valid_iban(found.string[start : found.end()])
    return None if length is None else (start, start + length)


def _find_ibans(text: str) -> list[Span]:
    """The spans of checksum-valid IBANs of any country."""
    return _find_accepted(_IBAN_CANDIDATE, text, _accept_iban)


# --- Date of birth ---------------------------------------------------------------------------

_MONTH = (
    r"(?i:januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november"
    r"|december|jan|feb|mrt|apr|jun|jul|aug|sept|sep|okt|nov|dec)"
)
_DATE = rf"""(?:
      \d{{1,2}}[-/.]\d{{1,2}}[-/.](?:\d{{4}}|\d{{2}})
    | \d{{4}}-\d{{1,2}}-\d{{1,2}}
    | \d{{1,2}}[ \t]+{_MONTH}\.?[ \t]+(?:\d{{4}}|'?\d{{2}})
)(?!\d)"""
_BIRTH_CUE = (
    r"(?i:geboortedatum|geboren|geb\.?[ \t]?datum|geb\.?|gb\.?|dob|d\.o\.b\.?"
    r"|date[ \t]+of[ \t]+birth|birth[ \t]?date)"
)
# Only a date beside a birth cue is a date of birth; the dates of measures ("vanaf 15 december",
# "per 1-1-2022") must stay readable. The cue itself stays too, so readers see what was there.
_BIRTH_DATE = re.compile(
    rf"""
      (?<![^\W\d_]){_BIRTH_CUE}(?![^\W\d_])
      (?:[ \t]+te[ \t]+[A-Z][{_LATIN}'-]*+(?:[ \t]+[A-Z][{_LATIN}'-]*+)?)?
      (?:[ \t]+(?i:op|d\.d\.|is))?
      [ \t]{{0,3}}:?[ \t]{{0,3}}
      (?P<after_cue>{_DATE})
    | (?<![\w.,/-])(?P<before_cue>{_DATE})(?=[ \t]+(?i:geboren)(?![^\W\d_]))
    """,
    re.VERBOSE,
)
# Every birth cue contains one of these: "geboren", "geboorte", "geb." (or ":", " "), "gb.",
# "dob", "d.o.b", "birth". Few texts do, and for the others the full pattern, which is slow to
# fail, is skipped. Each is written from its "b" on, a letter they share and a rare one, so the
# engine only stops at a "b" (see "Speed" above).
_BIRTH_CUE_HINT = re.compile(
    r"b(?:(?<=geb)(?:oren|oorte|[.: ])|(?<=gb)[.: ]|(?<=dob)|(?<=d\.o\.b)|irth)"
)


def _mentions_birth(text: str) -> bool:
    """Tell whether a text has a word that can introduce a date of birth."""
    return _BIRTH_CUE_HINT.search(text.lower()) is not None


def _accept_birth_date(found: re.Match[str]) -> Span | None:
    """The span of the date itself, without its cue."""
    group = "after_cue" if found.group("after_cue") is not None else "before_cue"
    return found.span(group)


def _find_birth_dates(text: str) -> list[Span]:
    """The spans of dates that a birth cue marks as a date of birth."""
    return _find_accepted(_BIRTH_DATE, text, _accept_birth_date)


# --- Phone numbers ---------------------------------------------------------------------------

# People group digits with single spaces, dashes, dots or slashes ("06 - 123 456 78").
_PHONE_SEPARATOR = r"(?:[ \t\u00a0]?[-./][ \t\u00a0]?|[ \t\u00a0])"
# After the first character: not the tail of a word, another number or a decimal.
_PHONE_BOUNDARY = r"(?<![\w+].)(?<!\d[.,].)"
_INTERNATIONAL_DIGITS = rf"[1-9](?:{_PHONE_SEPARATOR}?(?:\(0\){_PHONE_SEPARATOR}?)?\d){{7,14}}"
# +31/0031 take exactly nine national digits: tried before the open-ended international form,
# so a number followed by another ("+31 6 12345678 12 keer gebeld") is still found.
_DUTCH_INTERNATIONAL_DIGITS = rf"31(?:{_PHONE_SEPARATOR}?(?:\(0\){_PHONE_SEPARATOR}?)?\d){{9}}"
_PHONE = re.compile(
    rf"""
    (?:
        \+{_PHONE_BOUNDARY}(?P<plus_dutch>{_DUTCH_INTERNATIONAL_DIGITS})
      | \+{_PHONE_BOUNDARY}(?P<plus>{_INTERNATIONAL_DIGITS})
      | \({_PHONE_BOUNDARY}(?P<area>0\d{{1,3}}\)[ \t\u00a0]?\d(?:{_PHONE_SEPARATOR}?\d){{5,7}})
      | 0{_PHONE_BOUNDARY}
        (?:
            0(?P<double_zero_dutch>{_DUTCH_INTERNATIONAL_DIGITS})
          | 0(?P<double_zero>{_INTERNATIONAL_DIGITS})
          | (?P<service>(?:800|900|906|909)(?:{_PHONE_SEPARATOR}?\d){{4,7}})
          | (?P<national>[1-9](?:{_PHONE_SEPARATOR}?\d){{8}})
        )
    )
    (?!\d|[:.,]\d)
    """,
    re.VERBOSE,
)
_LEADING_DIGITS = re.compile(r"\d*")
_TRUNK_ZERO_OR_NON_DIGIT = re.compile(r"\(0\)|\D")
# "06-01-2022 12" has ten digits too; a day-month-year start means a date, not a number.
_DATE_WITH_FULL_YEAR = re.compile(r"\d{1,2}([-/.])\d{1,2}\1(?:19|20)\d\d(?!\d)")


def _is_plausible_national_number(candidate: str) -> bool:
    """Tell whether ten digits starting with 0 are laid out like a Dutch phone number.

    The first group is the area code: 06 for mobiles, otherwise three or four digits (020,
    0573). This keeps dates with a time ("01-01-2022 20:00") out.
    """
    if _DATE_WITH_FULL_YEAR.match(candidate):
        return False
    leading = len(_LEADING_DIGITS.match(candidate).group())
    if leading == 2:
        return candidate.startswith("06")
    return leading in (3, 4, 10)


def _is_plausible_international_number(candidate: str) -> bool:
    """Tell whether a +/00 number has a plausible length (E.164: at most 15 digits)."""
    digits = _TRUNK_ZERO_OR_NON_DIGIT.sub("", candidate)
    if candidate.startswith("00"):
        # "00" is also how zero-padded case numbers start; ask for a full number after it.
        digits = digits[2:]
        minimum = 10
    else:
        minimum = 8
    if digits.startswith("31"):
        return len(digits) == 11  # +31 and nine national digits
    return minimum <= len(digits) <= 15


# The start of an IBAN-shaped string: country code, check digits, groups of four. An IBAN whose
# checksum fails (a typo, a form's example) is left alone by the IBAN rule; its tail
# ("NL25 RBRB 0753 1824 60") must not then be read as a phone number of its own.
_IBAN_HEAD_BEFORE = re.compile(r"(?<![^\W_])[A-Za-z]{2}\d\d(?:[ ]?[A-Za-z0-9]{4}){0,7}[ ]?\Z")
_IBAN_HEAD_REACH = 40


def _is_inside_iban_shape(text: str, start: int) -> bool:
    """Tell whether the characters before a position open an IBAN-shaped string."""
    return _IBAN_HEAD_BEFORE.search(text, max(0, start - _IBAN_HEAD_REACH), start) is not None


def _accept_phone_number(found: re.Match[str]) -> Span | None:
    """The candidate's span when its notation holds up as a phone number."""
    candidate = found.group()
    notation = found.lastgroup
    if found.start() > 0 and _is_inside_iban_shape(found.string, found.start()):
        return None
    if notation == "national" and not _is_plausible_national_number(candidate):
        return None
    if notation in ("plus", "double_zero") and not _is_plausible_international_number(candidate):
        return None
    if notation == "area" and len(_TRUNK_ZERO_OR_NON_DIGIT.sub("", candidate)) != 10:
        return None
    return found.span()


def _find_phone_numbers(text: str) -> list[Span]:
    """The spans of Dutch (fixed, mobile, 0800/0900) and international phone numbers."""
    return _find_accepted(_PHONE, text, _accept_phone_number)


# --- BSN (burgerservicenummer) ---------------------------------------------------------------

# Nine digits, compact or grouped 3-3-3 or 4-2-3 ("1234.56.782" as printed on documents,
# "1234 56 782" as typed from them), with dots or spaces.
# Not part of a longer number, a reference ("KCC-2026-…"), a decimal or an amount.
_BSN = re.compile(
    r"""
    \d(?<![\w.,/€].)(?<!\d-.)(?<!€[ \t\u00a0].)
    (?:\d{8}|\d\d(?P<separator>[ .])\d{3}(?P=separator)\d{3}
      |\d{3}(?P<document_separator>[ .])\d{2}(?P=document_separator)\d{3})
    (?![\w]|[.,:/-]\d|,-|[ \t\u00a0]?(?i:euro?)(?![^\W\d_]))
    """,
    re.VERBOSE,
)
_ELFPROEF_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)


def is_valid_bsn(value: str) -> bool:
    """Tell whether nine digits (separators allowed) pass the BSN elfproef.

    The weighted sum d1*9 + d2*8 + ... + d8*2 - d9 must be divisible by 11. Eight-digit BSNs
    exist but are written with a leading zero in practice, so exactly nine digits are asked.
    """
    digits = [int(character) for character in value if character.isdecimal()]
    if len(digits) != 9 or not any(digits):
        return False
    weighted = sum(weight * digit for weight, digit in zip(_ELFPROEF_WEIGHTS, digits, strict=True))
    return weighted % 11 == 0


def _accept_bsn(found: re.Match[str]) -> Span | None:
    """The candidate's span when it passes the elfproef; case numbers that fail it stay."""
    return found.span() if is_valid_bsn(found.group()) else None


def _find_bsns(text: str) -> list[Span]:
    """The spans of nine-digit numbers that pass the elfproef."""
    return _find_accepted(_BSN, text, _accept_bsn)


# --- Postcode --------------------------------------------------------------------------------

# What follows a house number: "12a", "1-3", "12-hs", "45 bis", "12 II", "12 A", "12 zw"
# (Amsterdam's "zwart", a floor).
_HOUSE_NUMBER_ADDITION = r"""
    (?:
        [a-zA-Z](?![^\W\d_])
      | [ \t]?-[ \t]?(?:\d{1,4}+|[A-Za-z]{1,4}+)(?![^\W\d_])
      | [ \t]+(?:bis|hs|huis|boven|beneden|zw|I{1,3}|[A-Z])(?![^\W\d_])
    )?
"""
# A house number after a postcode: "1211 AB 12", "1211AB, 12a", "1211 ab huisnummer 12-3",
# "1211 AB 12-II", "1211 AB 12 A".
_HOUSE_NUMBER_AFTER_POSTCODE = rf"""
    (?:[ \t]{{0,3}},?[ \t]{{0,3}}(?:(?i:huisnummer|huisnr|nummer|nr)\.?:?[ \t]{{0,3}})?
       \d{{1,5}}+{_HOUSE_NUMBER_ADDITION}(?![\d:]|[.,]\d))?
"""
# A postcode is four digits not starting with 0 and two letters. Postcode and house number
# together point at one address, so they are taken as one piece, before any other number rule
# could claim the house number.
_POSTCODE = re.compile(
    rf"""
    [1-9](?<![\w.,€/-].)\d{{3}}[ \t]?(?P<letters>[A-Za-z]{{2}})(?![^\W\d_])
    {_HOUSE_NUMBER_AFTER_POSTCODE}
    """,
    re.VERBOSE,
)
_POSTCODE_CUE_BEFORE = re.compile(r"(?<![^\W\d_])(?i:postcode)[ \t]{0,3}:?[ \t]{0,3}\Z")
_POSTCODE_CUE_REACH = 16  # "postcode" with a colon and some spaces
# SA, SD and SS were never issued (PostNL). The others are units and abbreviations that follow
# a number far more often than a postcode does ("2021 EU", "1000 KM"); with a cue they count.
_LETTERS_NEVER_ISSUED = frozenset({"SA", "SD", "SS"})
_LETTERS_USUALLY_NOT_A_POSTCODE = frozenset(
    {"EU", "NL", "KM", "KG", "CM", "MM", "MB", "GB", "KB", "TB", "PX"}
)
# Agents type postcodes in lower case too ("woont op 3450 zl 23"). Lower-case letters after four
# digits are a postcode when something else says so (see _has_postcode_context) and they are not
# a word or unit that follows a year or a count ("2021 en 2022", "1500 km", "2023 op de markt");
# those still count after the word "postcode".
_LOWERCASE_WORDS_AFTER_A_NUMBER = frozenset(
    {
        "ad", "af", "al", "am", "as", "be", "bv", "ca", "cc", "cl", "cm", "ct", "da", "de", "dl",
        "do", "dr", "du", "en", "er", "eu", "ex", "ga", "gb", "ha", "he", "hl", "ho", "ie", "ik",
        "in", "ir", "is", "ja", "je", "jl", "jr", "kb", "kg", "km", "kw", "la", "le", "ma", "mb",
        "me", "mg", "ml", "mm", "mr", "na", "nl", "no", "nu", "of", "ok", "om", "op", "pa", "pc",
        "pk", "pm", "pp", "px", "sr", "st", "ta", "tb", "te", "to", "tv", "uk", "up", "us", "uw",
        "vs", "wc", "we", "ze", "zo",
    }
)  # fmt: skip


def _follows_postcode_cue(text: str, start: int) -> bool:
    """Tell whether the word "postcode" comes right before a position."""
    reach = max(0, start - _POSTCODE_CUE_REACH)
    return _POSTCODE_CUE_BEFORE.search(text, reach, start) is not None


def _has_postcode_context(found: re.Match[str]) -> bool:
    """Tell whether a lower-case postcode candidate stands where addresses stand.

    A house number follows ("3450 zl 23"), a place follows ("9361 rk Budel"), an address was
    just masked ("[ADRES], 4342 ab"), or an address cue comes right before ("woont op").
    "2021 ab" after an amount or a year, in plain text, stays.
    """
    text = found.string
    if found.end() > found.end("letters"):
        return True
    after = text[found.end() : found.end() + 3].lstrip(" \t,")
    if after[:1].isupper():
        return True
    before = text[max(0, found.start() - _ADDRESS_CONTEXT_REACH) : found.start()]
    if before.rstrip(" \t,\r\n").endswith(_CLAIMED):
        return True
    cue = _ADDRESS_CUE_BEFORE.search(before)
    return cue is not None


def _accept_postcode(found: re.Match[str]) -> Span | None:
    """The postcode's span (with house number) unless its letters rule it out.

    Units, abbreviations and short words count only after the word "postcode": "2021 en 2022"
    and "1000 KM" must stay.
    """
    letters = found.group("letters")
    if letters.upper() in _LETTERS_NEVER_ISSUED:
        return None
    if letters.isupper() and letters not in _LETTERS_USUALLY_NOT_A_POSTCODE:
        return found.span()
    if (
        letters.islower()
        and letters not in _LOWERCASE_WORDS_AFTER_A_NUMBER
        and _has_postcode_context(found)
    ):
        return found.span()
    return found.span() if _follows_postcode_cue(found.string, found.start()) else None


def _find_postcodes(text: str) -> list[Span]:
    """The spans of Dutch postcodes, with the house number when one follows."""
    return _find_accepted(_POSTCODE, text, _accept_postcode)


# --- Street and house number -----------------------------------------------------------------

_STREET_SUFFIXES = (
    "straat", "straatje", "laan", "laantje", "weg", "plein", "pleintje", "gracht", "kade",
    "dijk", "singel", "dreef", "steeg", "steegje", "pad", "hof", "park", "plantsoen", "markt",
    "boulevard", "allee", "ring", "baan", "dam", "wal", "veld", "erf", "hoek", "zijde", "kaai",
    "haven", "kanaal", "poort",
)  # fmt: skip
# Written in lower case, only suffixes that hardly end another word count, and only after three
# more letters: "ik woon op de kerkstraat 12", but not "de weg 2" or "een park 3".
_LOWERCASE_STREET_SUFFIXES = (
    "straat", "laan", "weg", "plein", "gracht", "kade", "dijk", "singel", "dreef", "steeg",
    "plantsoen", "boulevard",
)  # fmt: skip
_MINIMUM_LETTERS_BEFORE_LOWERCASE_SUFFIX = 3
# Street words that open a name: "Laan van Vollenhove", "Plein van de Verenigde Naties".
_STREET_WORDS_OPENING_A_NAME = frozenset(
    {"Laan", "Plein", "Weg", "Kade", "Singel", "Dreef", "Gracht", "Markt", "Straat", "Boulevard",
     "Dijk", "Park", "Allee"}
)  # fmt: skip
_PREPOSITIONS = (
    "van", "de", "der", "den", "het", "'t", "ter", "ten", "te", "aan", "bij", "op", "la", "le",
    "du", "des", "achter", "over", "voor", "naar",
)  # fmt: skip
_PREPOSITION = "(?:" + "|".join(re.escape(word) for word in _PREPOSITIONS) + ")"
_CAPITALISED = rf"[A-Z][{_LATIN}'’-]*+\.?"
# Capitalised words that start a sentence, not a street name ("Op Kerkstraat 12" keeps "Op").
_NOT_A_STREET_START = frozenset(
    {"Op", "In", "Aan", "Bij", "Een", "Ik", "Wij", "We", "Mijn", "Onze", "Naar", "Om", "Vanaf",
     "Per", "Tot", "Adres", "Woonadres", "Bel", "Woon", "Woont", "Wonend", "Zie", "Via", "Tel"}
)  # fmt: skip
# Numbers followed by these are quantities, not house numbers ("Amsterdam 12 personen").
_UNIT = (
    r"(?:%|procent|personen|persoon|mensen|uur|minuten|min|euro|km|meter|m|kg|liter|jaar|jaren"
    r"|dagen|dag|weken|maanden|kinderen|keer|x|stuks|huizen|woningen)"
)
_HOUSE_NUMBER = rf"""
    [ \t]+(?:(?i:nr|nummer)\.?[ \t]*)?
    \d{{1,4}}+(?!\d|[.,:]\d|[ \t]*{_UNIT}(?![^\W\d_]))
    {_HOUSE_NUMBER_ADDITION}
"""
# Up to five capitalised words or prepositions, then a house number; whether the words form a
# street name is decided in Python (_is_street_name), which reads more easily than a regex.
_CAPITALISED_ADDRESS = re.compile(
    rf"""
    (?P<street>[A-Z](?<![\w-].)[{_LATIN}'’-]*+\.?(?:[ \t]+(?:{_CAPITALISED}|{_PREPOSITION})){{0,4}})
    {_HOUSE_NUMBER}
    """,
    re.VERBOSE,
)
# Anchored on the house number's first digit: a small letter and a space must precede it (a
# cheap test that most digits fail), then one of the suffixes.
_ENDS_IN_LOWERCASE_STREET_SUFFIX = "|".join(
    f"(?<={suffix}[ \\t]\\d)" for suffix in _LOWERCASE_STREET_SUFFIXES
)
_LOWERCASE_ADDRESS = re.compile(
    rf"""
    \d(?<=[a-z][ \t]\d)(?:{_ENDS_IN_LOWERCASE_STREET_SUFFIX})
    \d{{0,3}}+(?!\d|[.,:]\d|[ \t]*{_UNIT}(?![^\W\d_]))
    {_HOUSE_NUMBER_ADDITION}
    """,
    re.VERBOSE,
)
_STREET_WORD_CHARACTERS = re.compile(r"(?:[^\W\d_]|['’-])++")
_LONGEST_STREET_WORD = 40
# Places whose names end like a street; "Amsterdam 2" or "in Rotterdam 12" are not addresses.
_PLACES_ENDING_LIKE_A_STREET = frozenset(
    {
        "Alblasserdam", "Amsterdam", "Appingedam", "Barneveld", "Bergschenhoek", "Durgerdam",
        "Edam", "Edam-Volendam", "Giessendam", "Hardinxveld", "Hardinxveld-Giessendam",
        "Hollandscheveld", "Ilpendam", "Kinderdijk", "Leerdam", "Leidschendam", "Lemelerveld",
        "Maasdam", "Moerdijk", "Monnickendam", "Nieuw-Amsterdam", "Rotterdam", "Schiedam",
        "Simpelveld", "Spaarndam", "Stellendam", "Veendam", "Volendam", "Werkendam",
        "Westerveld", "Zaandam",
    }
)  # fmt: skip
_WORDS_ENDING_LIKE_A_STREET = frozenset({"onderweg", "halfweg", "allerweg", "midweg"})


def _is_street_word(word: str) -> bool:
    """Tell whether a capitalised word is a street name ending ("Kerkstraat", not "Amsterdam")."""
    return (
        word.endswith(_STREET_SUFFIXES)
        and not word.endswith("ering")  # "Vergadering 3", "Regering 2": nouns, not streets
        and word not in _PLACES_ENDING_LIKE_A_STREET
        and word.lower() not in _WORDS_ENDING_LIKE_A_STREET
    )


def _is_street_name(words: Sequence[str]) -> bool:
    """Tell whether capitalised words before a number name a street.

    Either the last word carries the street suffix ("Oude Amersfoortseweg", "Van Ostadelaan"),
    or a street word opens the name ("Laan van Vollenhove").
    """
    if len(words) > 1 and words[0] in _NOT_A_STREET_START:
        return False
    if words[-1][0].isupper() and _is_street_word(words[-1]):
        return True
    return (
        len(words) >= 3
        and words[0] in _STREET_WORDS_OPENING_A_NAME
        and words[1] in _PREPOSITIONS
        and words[-1][0].isupper()
    )


def _accept_capitalised_address(found: re.Match[str]) -> Span | None:
    """The candidate's span when its words name a street."""
    return found.span() if _is_street_name(found.group("street").split()) else None


def _word_ending_at(text: str, end: int) -> tuple[int, str]:
    """Where the word that ends at `end` starts, and the word; at most 40 characters of it.

    Read in the reversed text: a forward search for a word that ends at `end` would try every
    position before it, and this runs for every lower-case address candidate.
    """
    window_start = max(0, end - _LONGEST_STREET_WORD)
    reversed_word = _STREET_WORD_CHARACTERS.match(text[window_start:end][::-1])
    length = 0 if reversed_word is None else reversed_word.end()
    return end - length, text[end - length : end]


def _accept_lowercase_address(found: re.Match[str]) -> Span | None:
    """The span from the start of a lower-case street word to the end of the house number."""
    # One space between word and number.
    word_start, word = _word_ending_at(found.string, found.start() - 1)
    if not word or not word[0].islower():
        return None  # capitalised street names are the other rule's business
    if word in _WORDS_ENDING_LIKE_A_STREET:
        return None
    suffix = next(suffix for suffix in _LOWERCASE_STREET_SUFFIXES if word.endswith(suffix))
    if len(word) - len(suffix) < _MINIMUM_LETTERS_BEFORE_LOWERCASE_SUFFIX:
        return None
    return (word_start, found.end())


# Street names without a street suffix ("Lange Voorhout 3", "Schapenkamp 16a", "oude delft
# 24") can only be told from a place and a number by what surrounds them: a cue such as "woont
# aan de" or "adres:" right before, or a postcode right after ("Spui 19-1, 2511 BL", or on the
# next line of a letter's address block). This rule runs before the postcode rule, so it can
# still see that postcode.
_ADDRESS_CUE = re.compile(
    r"""(?<![^\W\d_])(?i:
        (?:woon|woont|wonen|wonend|wonende|woonachtig|verblijf|verblijft|verblijven|verhuisd
          |verhuist|verhuizen|ingeschreven)[ \t]+(?:aan|op|naar|bij)(?:[ \t]+(?:de|het|'t))?
      | (?:woon|post|bezoek|huis)?adres(?:[ \t]+is|[ \t]*:)?
    )(?![^\W\d_])[ \t]*""",
    re.VERBOSE,
)
_ADDRESS_CUE_BEFORE = re.compile(_ADDRESS_CUE.pattern + r"\Z", re.VERBOSE)
_HOUSE_NUMBER_IN_CONTEXT = re.compile(
    rf"""
    \d(?<=[^\W\d_][ \t]\d)\d{{0,3}}+(?!\d|[.,:]\d|[ \t]*{_UNIT}(?![^\W\d_]))
    (?![-/.]\d{{1,2}}[-/.]\d|[ \t]+{_MONTH})  # a date: "vanaf 15 december", "op 1-1-2022"
    {_HOUSE_NUMBER_ADDITION}
    (?:(?=[ \t]*,?[ \t]*(?:\r?\n[ \t]*)?[1-9]\d{{3}}[ \t]?(?P<postcode_letters>[A-Za-z]{{2}})
        (?![^\W\d_])))?
    """,
    re.VERBOSE,
)
_STREET_TOKEN = re.compile(rf"[{_LATIN}'’-]++\.?")
# Words that join the parts of a capitalised street name ("Burg. de Vlugtlaan").
_PARTICLES_IN_A_STREET_NAME = frozenset({"van", "de", "der", "den", "het", "'t", "ter", "ten"})
_MOST_STREET_WORDS = 4
_ADDRESS_CONTEXT_REACH = 80
# A four-digit number that reads as a year after a cue: "verhuisd naar Zwolle 2021".
_YEAR = re.compile(r"(?:19|20)\d\d")


def _street_tokens_before(text: str, end: int) -> list[tuple[int, str]]:
    """The words on the line before a position, with their starts, last word first."""
    line_start = max(text.rfind("\n", 0, end) + 1, end - _ADDRESS_CONTEXT_REACH)
    tokens = [
        (line_start + found.start(), found.group())
        for found in re.finditer(r"[^ \t]+", text[line_start:end])
    ]
    return tokens[::-1]


def _is_capitalised_word(word: str) -> bool:
    """Tell whether a word starts with a capital and holds a small letter ("Spui", "Burg.")."""
    return word[0].isupper() and not word.isupper()


def _street_start(tokens: list[tuple[int, str]]) -> int | None:
    """Where the street name ends that the given words (last first) close; None if they don't.

    Either capitalised words with particles between them ("Lange Voorhout", "Burg. de
    Vlugtlaan"), or up to two small words typed by an agent ("oude delft").
    """
    start = None
    capitalised: bool | None = None
    words = 0
    for token_start, token in tokens:
        if not _STREET_TOKEN.fullmatch(token) or words == _MOST_STREET_WORDS:
            break
        if _is_capitalised_word(token) and capitalised is not False:
            if token in _NOT_A_STREET_START:
                break
            start, capitalised = token_start, True
        elif capitalised and token in _PARTICLES_IN_A_STREET_NAME:
            continue  # kept only when a capitalised word comes before it
        elif capitalised is not True and token.islower() and token not in _PREPOSITIONS:
            if words == 2:
                break
            start, capitalised = token_start, False
        else:
            break
        words += 1
    return start


def _accept_address_in_context(found: re.Match[str]) -> Span | None:
    """Street and number when a postcode follows or an address cue comes right before."""
    text = found.string
    letters = found.group("postcode_letters")
    if (
        letters is not None
        and letters.upper() not in _LETTERS_NEVER_ISSUED
        and (
            letters.isupper()
            or (letters.islower() and letters not in _LOWERCASE_WORDS_AFTER_A_NUMBER)
        )
    ):
        start = _street_start(_street_tokens_before(text, found.start() - 1))
        return None if start is None else (start, found.end())
    if _YEAR.fullmatch(found.group()):
        return None
    line_start = max(text.rfind("\n", 0, found.start()) + 1, found.start() - _ADDRESS_CONTEXT_REACH)
    if not _holds_an_address_cue_word(text[line_start : found.start()].lower()):
        return None  # the cue pattern is slow to fail; most numbers have no cue before them
    cue_end = None
    for cue in _ADDRESS_CUE.finditer(text, line_start, found.start()):
        cue_end = cue.end()
    if cue_end is None:
        return None
    tokens = _street_tokens_before(text, found.start() - 1)
    start = _street_start([token for token in tokens if token[0] >= cue_end])
    return None if start != cue_end else (start, found.end())


# Every address cue holds one of these words, and a postcode has this shape.
_ADDRESS_CUE_WORDS = ("woon", "wonen", "verblijf", "verhui", "ingeschreven", "adres")
_POSTCODE_SHAPE = re.compile(r"[1-9]\d{3}[ \t]?[A-Za-z]{2}(?![^\W\d_])")


def _holds_an_address_cue_word(lowered: str) -> bool:
    """Tell whether a lowered text holds a word that every address cue holds one of."""
    for word in _ADDRESS_CUE_WORDS:
        if word in lowered:
            return True
    return False


# The first digit of a house number after a word: where _HOUSE_NUMBER_IN_CONTEXT can match.
_HOUSE_NUMBER_START = re.compile(r"\d(?<=[^\W\d_][ \t]\d)(?<!\d\d)")
# A house number (with addition) ending right before a postcode: "Spui 19-1, |2511 BL".
_HOUSE_NUMBER_BEFORE = re.compile(
    rf"(?<=[^\W\d_][ \t])\d{{1,4}}{_HOUSE_NUMBER_ADDITION}[ \t]*,?[ \t]*(?:\r?\n[ \t]*)?\Z",
    re.VERBOSE,
)
_HOUSE_NUMBER_BEFORE_REACH = 24


def _address_candidate_starts(text: str) -> list[int]:
    """Where a street's house number may start: after an address cue word or before a postcode.

    Speed: the candidates come from the few places with a cue word or a postcode shape, instead
    of from every number in the text.
    """
    starts: set[int] = set()
    lowered = text.lower()
    for word in _ADDRESS_CUE_WORDS:
        position = lowered.find(word)
        while position != -1:
            reach = position + len(word) + _ADDRESS_CONTEXT_REACH
            starts.update(
                found.start() for found in _HOUSE_NUMBER_START.finditer(text, position, reach)
            )
            position = lowered.find(word, position + 1)
    for postcode in _POSTCODE_SHAPE.finditer(text):
        window_start = max(0, postcode.start() - _HOUSE_NUMBER_BEFORE_REACH)
        if not _DIGIT.search(text, max(window_start, postcode.start() - 12), postcode.start()):
            continue  # no house number right before: skip the slower search
        number = _HOUSE_NUMBER_BEFORE.search(text, window_start, postcode.start())
        if number is not None:
            starts.add(number.start())
    return sorted(starts)


def _find_addresses_in_context(text: str) -> list[Span]:
    """The spans of streets of any name with a house number, after a cue or before a postcode."""
    starts = _address_candidate_starts(text)
    if not starts:
        return []
    return _find_accepted_at(_HOUSE_NUMBER_IN_CONTEXT, text, _accept_address_in_context, starts)


def _find_capitalised_addresses(text: str) -> list[Span]:
    """The spans of capitalised street names with a house number."""
    return _find_accepted(_CAPITALISED_ADDRESS, text, _accept_capitalised_address)


def _find_lowercase_addresses(text: str) -> list[Span]:
    """The spans of street names typed in lower case, with a house number."""
    return _find_accepted(_LOWERCASE_ADDRESS, text, _accept_lowercase_address)


# --- Names -----------------------------------------------------------------------------------

# Only names behind a cue are masked: without one, a capitalised word is as likely a place, an
# organisation or the start of a sentence, and those must stay for analysis.
_NAME_CUES = (
    "mevrouw", "mevr.", "mevr", "mw.", "mw", "mvr.", "mvr", "meneer", "mijnheer", "mnr.", "mnr",
    "dhr.", "dhr", "de heer", "fam.", "familie", "mr.", "mr", "mrs.", "mrs", "dr.", "drs.",
    "ir.", "prof.", "naam:", "naam :", "naam is", "heet", "genaamd", "ik ben",
)  # fmt: skip
# Capitalised words that follow such a cue without being a name ("ik ben Nederlander",
# "mevrouw Jansen van de Gemeente Hilversum").
_NOT_A_NAME = r"""(?:
    Nederlander|Nederlandse|Nederlands|Oekraïner|Oekraïense|Oekraïens|Syriër|Syrische|Turk
  | Turkse|Marokkaan|Marokkaanse|Pool|Poolse|Duitser|Duitse|Belg|Belgische|Eritreeër|Eritrese
  | Afghaan|Afghaanse|Surinamer|Surinaamse|Europeaan|Europese|Moslim|Christen|Katholiek
  | Gemeente|Provincie|Rijksoverheid|Veiligheidsregio|Ministerie|Politie|Brandweer|Stichting
  | Oekraïne|Syrië|Turkije|Marokko|Eritrea|Afghanistan|Nederland|Rusland|Polen|Horeca
)(?![^\W\d_])"""
# A capital then a small letter, so abbreviations in capitals ("GGD", "IND") never count.
_NAME_WORD = (
    rf"(?!{_NOT_A_NAME})[{_UPPER}](?:['’][{_UPPER}])?[{_LOWER}][^\W\d_]*+(?:[-'’][^\W\d_]++)*+"
)
_INITIALS = rf"(?:[{_UPPER}][a-z]?\.[ \t]?){{1,4}}"
_NAME_PARTICLES = (
    r"(?:(?:van|de|der|den|het|'t|’t|ter|ten|te|el|al|la|le|du|da|di|dos|das|des|von|zu|bin|ibn)"
    r"[ \t]+|d['’]){0,3}"
)
_PERSON_NAME = (
    rf"(?:{_INITIALS})?{_NAME_PARTICLES}{_NAME_WORD}"
    rf"(?:[ \t]+{_NAME_PARTICLES}{_NAME_WORD}){{0,3}}"
)
_NAME = re.compile(
    rf"(?:{_cue_alternatives(_NAME_CUES)})(?![^\W\d_])[ \t]*(?P<name>{_PERSON_NAME})", re.VERBOSE
)


# Names in forms, e-mail headers and signatures: after a label that holds "naam" or "name"
# ("Naam rekeninghouder:", "Full name:"), an account holder or applicant label, an e-mail
# "Van:" header (a name then "<address>"), "my name is" and its Ukrainian, and on the line
# after (or right behind) a closing greeting ("Met vriendelijke groet,\nJan de Vries").
_NAME_LABELS = r"""(?i:
    (?:naam|name)[^:\n]{0,30}:
  | (?:rekeninghouder|aanvrager|afzender|ondertekend[ \t]door)[ \t]*:
  | van[ \t]*:(?=[ \t]*[^\n<]{2,60}<)
  | my[ \t]+name[ \t]+is
)|Мене[ \t]+звати|мене[ \t]+звати"""
_CLOSINGS = r"""(?i:
    (?:met[ \t]+)?(?:vriendelijke|hartelijke|beste|lieve)[ \t]+groet(?:en)?
  | groet(?:en|jes)? | mvg | (?:kind|best)[ \t]+regards | regards
)[ \t]*,?[ \t]*(?:\r?\n[ \t]*){0,2}"""
_LABELLED_NAME = re.compile(
    rf"(?:{_NAME_LABELS}|{_CLOSINGS})[ \t]*(?P<name>{_PERSON_NAME})", re.VERBOSE
)


def _accept_labelled_name(found: re.Match[str]) -> Span | None:
    """The name's span, when its label or greeting starts a word."""
    start = found.start()
    if start > 0 and found.string[start - 1].isalpha():
        return None
    return found.span("name")


def _accept_name(found: re.Match[str]) -> Span | None:
    """The span of the name after a cue that starts a word ("mw." but not "...mw.").

    "naam" may end a longer word: "achternaam:", "voornaam:", "meisjesnaam:".
    """
    start = found.start()
    if start > 0 and found.string[start - 1].isalpha() and found.group()[:4].lower() != "naam":
        return None
    return found.span("name")


def _find_names(text: str) -> list[Span]:
    """The spans of names after a title or cue; the cue itself is not part of the span."""
    return _find_accepted(_NAME, text, _accept_name)


# Words without which the labelled-name pattern cannot match: a cheap test first, because
# that pattern has no fixed first character for the regex engine to skip ahead on.
_LABEL_WORDS = (
    "naam", "name", "rekeninghouder", "aanvrager", "afzender", "ondertekend", "van:", "van :",
    "groet", "mvg", "regards", "звати",
)  # fmt: skip


def _mentions_a_name_label(text: str) -> bool:
    """Tell whether the text holds a word that labels or signs off with a name."""
    lowered = text.lower()
    # A plain loop: it runs for every text, and any() over a generator costs a fifth more.
    for word in _LABEL_WORDS:
        if word in lowered:
            return True
    return False


# Every alternative of _NAME_LABELS and _CLOSINGS starts with one of these words, in any case
# ("best" covers "beste", "мене" covers "Мене"). Looking them up in the lowered text is much
# cheaper than letting the engine try the whole pattern at every position.
_LABEL_FIRST_WORDS = (
    "naam", "name", "rekeninghouder", "aanvrager", "afzender", "ondertekend", "van", "my",
    "мене", "met", "vriendelijke", "hartelijke", "best", "lieve", "groet", "mvg", "kind",
    "regards",
)  # fmt: skip
# The only characters that (?i:...) matches to a letter of those words while lower() does not
# give that letter: "İ" and "ı" match "i", "ſ" matches "s" (found by trying every code point).
# "İ" is also the one character that lower() turns into two, which would shift the positions.
_FOLDS_UNLIKE_LOWER = re.compile("[İıſ]")


def _label_starts(text: str) -> list[int] | None:
    """Where a label or greeting may start, ascending; None when lower() cannot tell."""
    return _word_starts(text, _LABEL_FIRST_WORDS)


def _word_starts(text: str, words: Iterable[str]) -> list[int] | None:
    """Where any of the (lower-case) words occurs, ascending; None when lower() cannot tell."""
    if _FOLDS_UNLIKE_LOWER.search(text):
        return None
    lowered = text.lower()
    starts: set[int] = set()
    for word in words:
        position = lowered.find(word)
        while position != -1:
            starts.add(position)
            position = lowered.find(word, position + 1)
    return sorted(starts)


def _find_labelled_names(text: str) -> list[Span]:
    """The spans of names after a form label, an e-mail header or a closing greeting."""
    starts = _label_starts(text)
    if starts is None:
        return _find_accepted(_LABELLED_NAME, text, _accept_labelled_name)
    return _find_accepted_at(_LABELLED_NAME, text, _accept_labelled_name, starts)


# The account holder after "t.n.v." (ten name van), and family members and roles in agents'
# notes: "zoon Ahmed (geb. ...)", "ondernemer Wim Dekker, KvK ...". The name must start with a
# capital right after the word, so "ondernemer te Zwolle" and "vluchteling van Oekraïense
# afkomst" stay.
_ROLE_WORDS = (
    "t.n.v.", "t.n.v", "tnv", "ten name van", "zoon", "dochter", "vader", "moeder", "broer",
    "zus", "zuster", "echtgenoot", "echtgenote", "partner", "kleinzoon", "kleindochter", "oom",
    "tante", "opa", "oma", "vluchteling", "ondernemer", "cliënt", "client", "contactpersoon",
)  # fmt: skip
# Speed: these words are too common a start for a pattern the engine tries at every "o" or
# "t". So the pattern starts at a capital (which the engine skips to quickly) and looks behind
# it for one of the words, as a whole word, and one space or tab: first for the word's last
# character, which rules out most capitals (those that start a sentence, for one).


def _role_lookbehind(words: Iterable[str]) -> str:
    """Look-behinds for the words before a space and the current character, by last letter."""
    by_last_character: dict[str, list[str]] = {}
    for word in words:
        by_last_character.setdefault(word[-1], []).append(word)
    return "|".join(
        rf"(?<=(?i:{re.escape(last)})[ \t].)(?:"
        + "|".join(rf"(?<=(?<![^\W\d_])(?i:{re.escape(word)})[ \t].)" for word in group)
        + ")"
        for last, group in sorted(by_last_character.items())
    )


_ROLE_NAME_START = re.compile(rf"[{_UPPER}](?:{_role_lookbehind(_ROLE_WORDS)})")
_PERSON_NAME_AT = re.compile(_PERSON_NAME, re.VERBOSE)


def _accept_role_name(found: re.Match[str]) -> Span | None:
    """The span of the name that starts at the capital, if a name starts there."""
    name = _PERSON_NAME_AT.match(found.string, found.start())
    return None if name is None else name.span()


def _find_role_names(text: str) -> list[Span]:
    """The spans of names after "t.n.v." or a family member or role such as "zoon"."""
    return _find_accepted(_ROLE_NAME_START, text, _accept_role_name)


# --- The registry ----------------------------------------------------------------------------

# The order is deliberate: a rule only sees text that earlier rules left unclaimed.
# - e-mail first: addresses hold digits and dots that read as phone numbers or names;
# - IBAN before BSN and phone: an account number holds runs of digits that pass for either;
# - date of birth before phone: "geb. 06-03-1985" must not feed the phone rule;
# - phone before BSN: "+31 612 345 678" holds nine digits that may pass the elfproef;
# - a street of any name before a postcode, while that postcode can still be seen;
# - postcode (with house number) before address: one identifier, taken whole;
# - names last: their cues are words, and nothing else should be left to read as a name.
MASKING_RULES: tuple[MaskingRule, ...] = (
    MaskingRule(PersonalDataKind.EMAIL, _find_email_addresses, False, _contains_at_sign),
    MaskingRule(PersonalDataKind.IBAN, _find_ibans),
    MaskingRule(PersonalDataKind.BIRTH_DATE, _find_birth_dates, True, _mentions_birth),
    MaskingRule(PersonalDataKind.PHONE, _find_phone_numbers),
    MaskingRule(PersonalDataKind.BSN, _find_bsns),
    MaskingRule(PersonalDataKind.ADDRESS, _find_addresses_in_context),
    MaskingRule(PersonalDataKind.POSTCODE, _find_postcodes),
    MaskingRule(PersonalDataKind.ADDRESS, _find_capitalised_addresses),
    MaskingRule(PersonalDataKind.ADDRESS, _find_lowercase_addresses),
    MaskingRule(PersonalDataKind.NAME, _find_names, needs_digit=False),
    MaskingRule(
        PersonalDataKind.NAME, _find_labelled_names, needs_digit=False, hint=_mentions_a_name_label
    ),
    MaskingRule(PersonalDataKind.NAME, _find_role_names, needs_digit=False),
)

# A private-use character: no pattern matches it, and it keeps every later offset in place.
_CLAIMED = "\ue000"


def _claim(text: str, spans: Sequence[Span]) -> str:
    """Return the text with the given spans blanked out, so later rules cannot reuse them."""
    pieces: list[str] = []
    last = 0
    for start, end in spans:
        pieces.append(text[last:start])
        pieces.append(_CLAIMED * (end - start))
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


def find_personal_data(text: str, *, rules: Sequence[MaskingRule] = MASKING_RULES) -> list[Match]:
    """Find the personal data in a text: non-overlapping matches, ordered by position."""
    if not text:
        return []
    has_digit = _contains_digit(text)
    remaining = text
    matches: list[Match] = []
    for rule in rules:
        if (rule.needs_digit and not has_digit) or (rule.hint and not rule.hint(remaining)):
            continue
        spans = rule.detect(remaining)
        if not spans:
            continue
        matches.extend(Match(start, end, rule.kind) for start, end in spans)
        remaining = _claim(remaining, spans)
    matches.sort(key=lambda match: match.start)
    return matches


# A text rarely needs a second round, never more than a few; the bound guards the loop.
MAX_MASKING_ROUNDS = 5


def mask_personal_data(text: str, *, rules: Sequence[MaskingRule] = MASKING_RULES) -> str:
    """Replace the personal data in a text by placeholders such as "[TELEFOON]".

    Masking twice gives what masking once gives. A placeholder can free data that was glued to
    what it replaced: in "0612345678NL91ABNA0417164300" the IBAN only stands on its own once the
    number is "[TELEFOON]". So a text in which a match shares its word with other letters or
    digits is masked again until nothing changes; the rest is done after one pass.
    """
    for _ in range(MAX_MASKING_ROUNDS):
        text, touched_glued_text = mask_once(text, rules)
        if not touched_glued_text:
            break
    return text


# Looked up once per match: reading an Enum member's value is slow enough to show in a profile.
_PLACEHOLDERS = {kind: kind.placeholder for kind in PersonalDataKind}


def mask_once(text: str, rules: Sequence[MaskingRule]) -> tuple[str, bool]:
    """One pass: each match replaced by its placeholder; and whether a match was glued on."""
    matches = find_personal_data(text, rules=rules)
    if not matches:
        return text, False
    pieces: list[str] = []
    last = 0
    glued = False
    for match in matches:
        pieces.append(text[last : match.start])
        pieces.append(_PLACEHOLDERS[match.kind])
        last = match.end
        glued = glued or is_glued(text, match.start, match.end)
    pieces.append(text[last:])
    return "".join(pieces), glued


def is_glued(text: str, start: int, end: int) -> bool:
    """Tell whether the word around the span holds a letter or digit outside it.

    "06-12345678." is not glued (a full stop only), "0612345678NL91ABNA0417164300" and
    "0@0.AA.@0.AA" are: what follows may only become visible once the span is a placeholder.
    """
    return _has_alnum_until_space(text, start - 1, -1) or _has_alnum_until_space(text, end, 1)


def _has_alnum_until_space(text: str, position: int, step: int) -> bool:
    """Walk from position in one direction up to white space; tell whether a letter or digit
    comes first."""
    while 0 <= position < len(text) and not text[position].isspace():
        if text[position].isalnum():
            return True
        position += step
    return False


# --- Masking a CSV file ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScrubSummary:
    """How many rows a scrub read, and in how many it masked something."""

    rows: int
    masked_rows: int


def scrub_csv(source: Iterable[str], target: TextIO) -> ScrubSummary:
    """Copy an `id,text` CSV from source to target with the text masked, one row at a time.

    Streaming keeps memory flat for exports of millions of rows. Raises ValidationFailed
    (Dutch message) for a wrong header, a row without exactly two columns or bad encoding.
    """
    writer = csv.writer(target)
    writer.writerow(ID_TEXT_COLUMNS)
    rows = masked_rows = 0
    for identifier, text in read_id_text_rows(source):
        masked = mask_personal_data(text)
        writer.writerow((spreadsheet_safe(identifier), spreadsheet_safe(masked)))
        rows += 1
        masked_rows += masked != text
    return ScrubSummary(rows=rows, masked_rows=masked_rows)
