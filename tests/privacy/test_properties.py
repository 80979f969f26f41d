"""Property-based tests (hypothesis) for masking personal data and normalising phone numbers.

The example-based tests in test_masking.py pin down known notations; these generate valid and
almost-valid BSNs, IBANs, phone numbers and e-mail addresses, embed them in sentences and check
the rules that must hold for every one of them (docs/decisions.md, section Masking).
"""

from __future__ import annotations

import re
import string

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from kcc.intake.contact_rules import normalise_phone
from kcc.privacy.masking import (
    find_personal_data,
    is_valid_bsn,
    is_valid_iban,
    mask_personal_data,
)

PROPERTY_SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

ELFPROEF_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)
CANONICAL_PHONE = re.compile(r"^(0\d{9}|0(800|900|906|909)\d{4,7}|\+\d{8,15})$")


# --- Reference implementations ----------------------------------------------------------------


def reference_is_valid_bsn(value: str) -> bool:
    """Nine ASCII digits (other characters ignored), not all zero, passing the elfproef."""
    digits = [int(character) for character in value if character in string.digits]
    if len(digits) != 9 or sum(digits) == 0:
        return False
    return sum(w * d for w, d in zip(ELFPROEF_WEIGHTS, digits, strict=True)) % 11 == 0


def iban_number(compact: str) -> int:
    """The integer of ISO 13616: first four characters moved to the end, letters as 10-35."""
    rearranged = compact[4:] + compact[:4]
    return int(
        "".join(
            character if character.isdigit() else str(ord(character) - ord("A") + 10)
            for character in rearranged
        )
    )


def reference_is_valid_iban(value: str) -> bool:
    """Two letters, two digits, 11-30 letters or digits (spaces ignored), mod 97 == 1."""
    compact = value.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34:
        return False
    if not all(character in string.ascii_uppercase for character in compact[:2]):
        return False
    if not all(character in string.digits for character in compact[2:4]):
        return False
    alphanumeric = string.ascii_uppercase + string.digits
    if not all(character in alphanumeric for character in compact[4:]):
        return False
    return iban_number(compact) % 97 == 1


def iban_check_digits(country: str, bban: str) -> str:
    """The two check digits that make country + check digits + bban a valid IBAN."""
    return f"{98 - iban_number(country + '00' + bban) % 97:02d}"


# --- Strategies -------------------------------------------------------------------------------

digit = st.integers(min_value=0, max_value=9)


@st.composite
def valid_bsns(draw: st.DrawFn) -> str:
    """Nine digits passing the elfproef: eight drawn, the ninth computed (rejected if it is 10)."""
    first_eight = draw(st.lists(digit, min_size=8, max_size=8))
    # sum(w_i * d_i) - d9 ≡ 0 (mod 11), so d9 ≡ sum of the weighted first eight (mod 11).
    last = sum(w * d for w, d in zip(ELFPROEF_WEIGHTS, first_eight, strict=False)) % 11
    assume(last <= 9 and any(first_eight + [last]))
    return "".join(map(str, [*first_eight, last]))


invalid_bsns = st.from_regex(r"[1-9][0-9]{8}", fullmatch=True).filter(
    lambda value: not reference_is_valid_bsn(value)
)


def bsn_notations(bsn: str) -> list[str]:
    """Compact, 3-3-3 with spaces or dots, and 4-2-3 with dots: what masking.py recognises."""
    return [
        bsn,
        f"{bsn[:3]} {bsn[3:6]} {bsn[6:]}",
        f"{bsn[:3]}.{bsn[3:6]}.{bsn[6:]}",
        f"{bsn[:4]}.{bsn[4:6]}.{bsn[6:]}",
    ]


mobile_numbers = st.from_regex(r"06[0-9]{8}", fullmatch=True)


def mobile_notations(number: str) -> list[str]:
    """Common ways of writing one 06 number (all supported by masking.py and contact_rules)."""
    subscriber = number[2:]
    return [
        number,
        f"06-{subscriber}",
        f"06 {subscriber}",
        f"06 {subscriber[:4]} {subscriber[4:]}",
        f"06-{subscriber[:3]} {subscriber[3:6]} {subscriber[6:]}",
        "06 " + " ".join(subscriber[i : i + 2] for i in range(0, 8, 2)),
        f"+31 6 {subscriber}",
        f"+316{subscriber}",
        f"+31 (0)6 {subscriber}",
        f"0031 6 {subscriber}",
        f"00316{subscriber}",
    ]


email_addresses = st.builds(
    "{}@{}.nl".format,
    st.from_regex(r"[a-z][a-z0-9]{0,10}(\.[a-z0-9]{1,8})?", fullmatch=True),
    st.from_regex(r"[a-z][a-z0-9]{0,15}", fullmatch=True),
)


@st.composite
def dutch_ibans(draw: st.DrawFn) -> str:
    """NL + computed check digits + four-letter bank code + ten digits, compact."""
    bank = draw(st.text(alphabet=string.ascii_uppercase, min_size=4, max_size=4))
    account = draw(st.text(alphabet=string.digits, min_size=10, max_size=10))
    bban = bank + account
    return "NL" + iban_check_digits("NL", bban) + bban


@st.composite
def any_country_ibans(draw: st.DrawFn) -> str:
    """A checksum-valid IBAN of any shape ISO 13616 allows: 2 letters, 2 digits, 11-30 more."""
    country = draw(st.text(alphabet=string.ascii_uppercase, min_size=2, max_size=2))
    bban = draw(st.text(alphabet=string.ascii_uppercase + string.digits, min_size=11, max_size=30))
    return country + iban_check_digits(country, bban) + bban


def grouped_by_four(compact: str) -> str:
    """The paper notation of an IBAN: groups of four separated by spaces."""
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


SENTENCES = st.sampled_from(
    [
        "{}",
        "Mijn nummer is {}.",
        "Graag contact via {} vandaag",
        "Het gaat om {}, zegt de beller.",
        "({})",
        "Gegevens: {} en verder niets",
    ]
)

# Plain filler: no digits or capitals, so it holds no personal data of its own.
filler = st.text(alphabet=string.ascii_lowercase + " ,", max_size=30).map(
    lambda words: f" {words} "
)

amounts = st.one_of(
    st.builds(
        "€ {},{:02d}".format,
        st.integers(min_value=1, max_value=999_999_999).map(lambda n: f"{n:,}".replace(",", ".")),
        st.integers(min_value=0, max_value=99),
    ),
    st.integers(min_value=1, max_value=999_999_999).map("€ {}".format),
    st.integers(min_value=1, max_value=999_999_999).map("{} euro".format),
)
times = st.builds(
    "{:02d}:{:02d} uur".format,
    st.integers(min_value=0, max_value=23),
    st.integers(min_value=0, max_value=59),
)
years = st.integers(min_value=1900, max_value=2099).map(str)

# Pieces that may or may not be personal data, for the properties that must hold for any text.
pieces = st.one_of(
    st.text(max_size=20),
    st.text(alphabet=string.digits + " .-+/:,()€@", max_size=20),
    filler,
    valid_bsns().flatmap(lambda bsn: st.sampled_from(bsn_notations(bsn))),
    invalid_bsns,
    mobile_numbers.flatmap(lambda number: st.sampled_from(mobile_notations(number))),
    email_addresses,
    dutch_ibans(),
    dutch_ibans().map(grouped_by_four),
    amounts,
    times,
    years,
    st.sampled_from(
        [
            "mevrouw Jansen",
            "dhr. de Vries",
            "geboren 12-03-1985",
            "Kerkstraat 12",
            "1211 AB 12",
            "postcode",
            "[BSN]",
            "[TELEFOON]",
            "KCC-2026-000123",
            "art. 5:13",
        ]
    ),
)
mixed_texts = st.lists(pieces, max_size=8).map("".join)
mixed_texts_with_separators = st.lists(pieces, max_size=8).map(" ".join)
any_texts = st.one_of(st.text(), mixed_texts, mixed_texts_with_separators)


# --- mask_personal_data / find_personal_data ---------------------------------------------------


@PROPERTY_SETTINGS
@given(any_texts)
def test_masking_never_raises_and_returns_text(text: str) -> None:
    assert isinstance(mask_personal_data(text), str)


@example("0612345678NL91ABNA0417164300")  # the IBAN only stands alone after the number is masked
@example("0@0.AA.@0.AA")  # the second address only shows once the first is masked
@PROPERTY_SETTINGS
@given(any_texts)
def test_masking_is_idempotent(text: str) -> None:
    masked = mask_personal_data(text)
    assert mask_personal_data(masked) == masked


@PROPERTY_SETTINGS
@given(
    valid_bsns().flatmap(lambda bsn: st.sampled_from(bsn_notations(bsn))),
    SENTENCES,
    filler,
)
def test_valid_bsn_in_a_sentence_is_masked(notation: str, sentence: str, tail: str) -> None:
    text = sentence.format(notation) + tail
    masked = mask_personal_data(text)
    assert notation not in masked
    # A BSN written 080000009 or 0800.00.009 is also a valid 0800 number, and the phone rule
    # runs first (docs/decisions.md, Order): it is masked, only under the other placeholder.
    reads_as_service_number = notation.startswith(("0800", "0900", "0906", "0909"))
    assert ("[TELEFOON]" if reads_as_service_number else "[BSN]") in masked


@PROPERTY_SETTINGS
@given(mobile_numbers.flatmap(lambda number: st.sampled_from(mobile_notations(number))), SENTENCES)
def test_mobile_number_in_a_sentence_is_masked(notation: str, sentence: str) -> None:
    masked = mask_personal_data(sentence.format(notation))
    assert notation not in masked
    assert "[TELEFOON]" in masked


@example("+31 6 12345678", "12")  # once a leak: the greedy international form took the 12
@PROPERTY_SETTINGS
@given(
    mobile_numbers.flatmap(lambda number: st.sampled_from(mobile_notations(number))),
    st.integers(min_value=1, max_value=2099).map(str),
)
def test_mobile_number_followed_by_a_number_is_masked(notation: str, number: str) -> None:
    masked = mask_personal_data(f"Tel {notation} {number} keer gebeld")
    assert notation not in masked
    assert "[TELEFOON]" in masked


@PROPERTY_SETTINGS
@given(email_addresses, SENTENCES)
def test_email_address_in_a_sentence_is_masked(address: str, sentence: str) -> None:
    masked = mask_personal_data(sentence.format(address))
    assert address not in masked
    assert "[E-MAIL]" in masked


@PROPERTY_SETTINGS
@given(dutch_ibans(), st.sampled_from([str, grouped_by_four, str.lower]), SENTENCES)
def test_valid_iban_in_a_sentence_is_masked(iban: str, notation, sentence: str) -> None:
    written = notation(iban)
    masked = mask_personal_data(sentence.format(written))
    assert written not in masked
    assert "[IBAN]" in masked


@PROPERTY_SETTINGS
@given(st.one_of(amounts, times, years, invalid_bsns), SENTENCES, filler)
def test_look_alikes_stay_verbatim(look_alike: str, sentence: str, tail: str) -> None:
    text = sentence.format(look_alike) + tail
    assert mask_personal_data(text) == text


@PROPERTY_SETTINGS
@given(any_texts)
def test_found_spans_lie_within_the_text_and_do_not_overlap(text: str) -> None:
    matches = find_personal_data(text)
    previous_end = 0
    for match in matches:
        assert 0 <= previous_end <= match.start < match.end <= len(text)
        previous_end = match.end


# --- normalise_phone ---------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(mobile_numbers)
def test_every_notation_of_a_mobile_number_normalises_to_the_same_value(number: str) -> None:
    subscriber = number[2:]
    notations = [
        *mobile_notations(number),
        f"+31(0)6-{subscriber}",
        f"(06) {subscriber}",
        "06." + ".".join(subscriber[i : i + 2] for i in range(0, 8, 2)),
        f"06/{subscriber}",
        f"  06-{subscriber}\n",
    ]
    assert {notation: normalise_phone(notation) for notation in notations} == dict.fromkeys(
        notations, number
    )


phone_like_texts = st.text(alphabet=string.digits + "+-./() \t()", max_size=25)


@PROPERTY_SETTINGS
@given(st.one_of(st.text(), phone_like_texts, mixed_texts))
def test_normalised_phone_is_none_or_canonical(value: str) -> None:
    normalised = normalise_phone(value)
    assert normalised is None or CANONICAL_PHONE.match(normalised)


# --- is_valid_bsn / is_valid_iban against reference implementations ----------------------------


@PROPERTY_SETTINGS
@given(
    st.one_of(
        valid_bsns(),
        valid_bsns().flatmap(lambda bsn: st.sampled_from(bsn_notations(bsn))),
        st.from_regex(r"[0-9]{9}", fullmatch=True),
        st.text(alphabet=string.digits + " .-", max_size=14),
    )
)
def test_is_valid_bsn_agrees_with_reference(value: str) -> None:
    assert is_valid_bsn(value) == reference_is_valid_bsn(value)


@PROPERTY_SETTINGS
@given(valid_bsns())
def test_generated_bsns_are_valid(bsn: str) -> None:
    assert is_valid_bsn(bsn)


@st.composite
def mutated(draw: st.DrawFn, ibans: st.SearchStrategy[str]) -> str:
    """A valid IBAN with one character replaced by another letter or digit."""
    iban = draw(ibans)
    position = draw(st.integers(min_value=0, max_value=len(iban) - 1))
    replacement = draw(st.sampled_from(string.ascii_uppercase + string.digits))
    return iban[:position] + replacement + iban[position + 1 :]


@PROPERTY_SETTINGS
@given(
    st.one_of(
        dutch_ibans(),
        dutch_ibans().map(grouped_by_four),
        dutch_ibans().map(str.lower),
        any_country_ibans(),
        mutated(dutch_ibans()),
        mutated(any_country_ibans()),
        st.text(alphabet=string.ascii_letters + string.digits + " ", max_size=36),
    )
)
def test_is_valid_iban_agrees_with_reference(value: str) -> None:
    assert is_valid_iban(value) == reference_is_valid_iban(value)


@PROPERTY_SETTINGS
@given(st.one_of(dutch_ibans(), any_country_ibans()))
def test_generated_ibans_are_valid(iban: str) -> None:
    assert is_valid_iban(iban)
