"""Masking rules that read context: names after roles, streets of any name, lower-case postcodes.

Added after the independent corpus (bench/data/masking_independent) showed these misses on its
dev set; each case here is a pattern class, not a copy of a corpus text.
"""

from __future__ import annotations

import pytest

from kcc.privacy.masking import is_valid_iban, mask_personal_data

NAMES_AFTER_ROLES = [
    ("Zoon Ahmed van der Linden (geb. 3-4-2012) heeft geen BSN.", "Zoon [NAAM] (geb."),
    ("Uitbetalen op rekening t.n.v. J. de Vries graag.", "t.n.v. [NAAM] graag."),
    ("Het geld kan naar de rekening tnv Olena Kovalenko.", "tnv [NAAM]."),
    ("ondernemer Wim Dekker, KvK 12345678, belt terug.", "ondernemer [NAAM], KvK 12345678"),
    ("Vluchteling Iryna Bondarenko verblijft in de sporthal.", "Vluchteling [NAAM] verblijft"),
    ("Haar dochter Fatima el Amrani is ziek.", "dochter [NAAM] is ziek."),
]


@pytest.mark.parametrize(("text", "expected_part"), NAMES_AFTER_ROLES)
def test_a_name_after_a_role_or_account_holder_cue_is_masked(text: str, expected_part: str) -> None:
    assert expected_part in mask_personal_data(text)


ROLE_WORDS_WITHOUT_A_NAME = [
    "Ondernemer te Zwolle vraagt om uitstel.",
    "Vluchteling van Oekraïense afkomst zoekt werk.",
    "Vluchteling Oekraïne vraagt naar leefgeld.",
    "Europa Nostra organiseert een actie.",
    "De ondernemer vraagt uitleg. Zoon is ziek.",
    "Mijn zoon. Hij is 12.",
]


@pytest.mark.parametrize("text", ROLE_WORDS_WITHOUT_A_NAME)
def test_a_role_word_without_a_capitalised_name_after_it_changes_nothing(text: str) -> None:
    assert mask_personal_data(text) == text


STREETS_IN_CONTEXT = [
    ("Ik woon aan de Lange Voorhout 3 in Den Haag.", "Ik woon aan de [ADRES] in Den Haag."),
    ("Verhuisd naar Schapenkamp 16a per 1 mei.", "Verhuisd naar [ADRES] per 1 mei."),
    ("mw woont aan de achterom 153-2 sinds kort", "mw woont aan de [ADRES] sinds kort"),
    ("Adres: Spui 19-1, 2511 BL Den Haag", "Adres: [ADRES], [POSTCODE] Den Haag"),
    ("Stuur de brief naar Oude Delft 12-2, 2611 BC Delft.", "naar [ADRES], [POSTCODE] Delft."),
    ("Groet,\nJan\nHeuvel 234-hs\n6170 av Groningen", "\n[ADRES]\n[POSTCODE] Groningen"),
    ("Mijn adres is Burg. de Vlugtlaan 12 bis.", "Mijn adres is [ADRES]."),
]


@pytest.mark.parametrize(("text", "expected_part"), STREETS_IN_CONTEXT)
def test_a_street_without_a_street_suffix_is_masked_after_a_cue_or_before_a_postcode(
    text: str, expected_part: str
) -> None:
    assert expected_part in mask_personal_data(text)


NUMBERS_AFTER_WORDS_THAT_STAY = [
    "Hij is verhuisd naar Zwolle 2021 of 2022.",
    "Zij woont in Utrecht sinds 2012.",
    "Ik woon al 12 jaar op dit adres.",
    "Woont aan de rand van de stad, vanaf 15 december 2026 elders.",
    "Adres volgt na 1-1-2027.",
    "Het gaat om Kamer 12 en Zaal 3 in het gemeentehuis.",
]


@pytest.mark.parametrize("text", NUMBERS_AFTER_WORDS_THAT_STAY)
def test_numbers_after_words_without_an_address_context_stay(text: str) -> None:
    assert mask_personal_data(text) == text


LOWERCASE_POSTCODES = [
    ("woont op 3450 zl 23, zwolle", "woont op [POSTCODE], zwolle"),
    ("Kerkstraat 1, 9361 rk Budel", "[ADRES], [POSTCODE] Budel"),
    ("postcode 1211 ab", "postcode [POSTCODE]"),
    ("adres 1211 ab", "adres [POSTCODE]"),
]


@pytest.mark.parametrize(("text", "expected"), LOWERCASE_POSTCODES)
def test_a_lowercase_postcode_is_masked_where_addresses_stand(text: str, expected: str) -> None:
    assert mask_personal_data(text) == expected


@pytest.mark.parametrize(
    "text", ["In 2021 en 2022", "€ 1000 aa", "sinds 2023 op de markt", "een rit van 1500 km"]
)
def test_lowercase_letters_after_a_number_without_an_address_context_stay(text: str) -> None:
    assert mask_personal_data(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Woont op 1695 QL 21-II.", "Woont op [POSTCODE]."),
        ("Woont op 2178PM 80 A, Zwolle.", "Woont op [POSTCODE], Zwolle."),
        ("Woont op 8921 KN 18 zw.", "Woont op [POSTCODE]."),
    ],
)
def test_a_house_number_addition_after_a_postcode_is_masked_with_it(
    text: str, expected: str
) -> None:
    assert mask_personal_data(text) == expected


@pytest.mark.parametrize(
    "shaped_like_an_iban",
    ["NL25 RBRB 0753 1824 60", "NL00 SNSB 0942 0356 33", "nl25rbrb0753182460"],
)
def test_an_iban_with_a_wrong_checksum_is_not_read_as_a_phone_number(
    shaped_like_an_iban: str,
) -> None:
    text = f"Foutmelding bij rekeningnummer {shaped_like_an_iban} op het formulier."

    assert not is_valid_iban(shaped_like_an_iban)
    assert mask_personal_data(text) == text
