"""Masking personal data in free text: what is masked, what stays, and in which order."""

from __future__ import annotations

import pytest

from kcc.privacy.masking import (
    MASKING_RULES,
    Match,
    PersonalDataKind,
    find_personal_data,
    is_valid_bsn,
    is_valid_iban,
    mask_personal_data,
)

PHONE_NOTATIONS = [
    "0612345678",
    "06-12345678",
    "06 1234 5678",
    "06-123 456 78",
    "06 12 34 56 78",
    "06 - 123 456 78",
    "+31 6 12345678",
    "+31612345678",
    "0031 6 12345678",
    "0031612345678",
    "+31 (0)6 12345678",
    "+31(0)6-12345678",
    "+31 20 123 4567",
    "(035) 123 45 67",
    "(0573) 12 34 56",
    "035-1234567",
    "035 123 4567",
    "020-1234567",
    "020 - 123 45 67",
    "020/1234567",
    "0573 12 34 56",
    "0800-1234",
    "0800 1234567",
    "0900 1234567",
    "0900-123 45 67",
    "+48 123 456 789",
    "+44 20 7946 0958",
    "+32 2 123 45 67",
    "06\u00a012345678",
]


@pytest.mark.parametrize("number", PHONE_NOTATIONS)
def test_phone_numbers_in_every_common_notation_are_masked(number: str) -> None:
    assert mask_personal_data(f"Bel mij op {number} terug.") == "Bel mij op [TELEFOON] terug."


MASKED_CASES = [
    # e-mail
    ("Mail naar jan.jansen@example.nl.", "Mail naar [E-MAIL]."),
    ("Via j.de.vries+kcc@gemeente-hilversum.nl graag", "Via [E-MAIL] graag"),
    ("adres: OLENA_K@Mail.Example.co.uk)", "adres: [E-MAIL])"),
    # BSN, elfproef-valid, compact and grouped
    ("BSN 123456782 staat op de brief", "BSN [BSN] staat op de brief"),
    ("bsn: 123.456.782.", "bsn: [BSN]."),
    ("BSN 123 456 782 graag", "BSN [BSN] graag"),
    ("burgerservicenummer 1234.56.782", "burgerservicenummer [BSN]"),
    ("BSN-nummer: 111222333", "BSN-nummer: [BSN]"),
    # IBAN, checksum-valid, any country and case
    ("Rekening NL91ABNA0417164300 graag", "Rekening [IBAN] graag"),
    ("Rekening NL91 ABNA 0417 1643 00 en niet een andere", "Rekening [IBAN] en niet een andere"),
    ("rekening nl91abna0417164300", "rekening [IBAN]"),
    ("Duits: DE89 3704 0044 0532 0130 00.", "Duits: [IBAN]."),
    ("Belgisch BE68 5390 0754 7034 bank", "Belgisch [IBAN] bank"),
    # street and house number
    ("Ze woont op Kerkstraat 12 in Hilversum", "Ze woont op [ADRES] in Hilversum"),
    ("Oude Amersfoortseweg 123a, Hilversum", "[ADRES], Hilversum"),
    ("Stationsplein 1-3 is gesloten", "[ADRES] is gesloten"),
    ("Laan van Vollenhove 45 bis", "[ADRES]"),
    ("Van Ostadelaan 7", "[ADRES]"),
    ("Burgemeester de Vlugtlaan 125", "[ADRES]"),
    ("Prins Hendrikkade 12 hs", "[ADRES]"),
    ("Op Kerkstraat 12 woont ze.", "Op [ADRES] woont ze."),
    ("ik woon op de kerkstraat 12", "ik woon op de [ADRES]"),
    # postcode, with and without house number
    ("1211 AB 12", "[POSTCODE]"),
    ("1211AB, 12", "[POSTCODE]"),
    ("postcode 1211 ab huisnummer 12", "postcode [POSTCODE]"),
    ("Postcode: 1211ab", "Postcode: [POSTCODE]"),
    ("Woont in 1211 AB Hilversum", "Woont in [POSTCODE] Hilversum"),
    ("Adres: Kerkstraat 12, 1211 AB Hilversum", "Adres: [ADRES], [POSTCODE] Hilversum"),
    # date of birth: only next to a birth cue, and the cue stays
    ("geboren 12-03-1985", "geboren [GEBOORTEDATUM]"),
    ("geb. 12 maart 1985", "geb. [GEBOORTEDATUM]"),
    ("geboortedatum: 1985-03-12", "geboortedatum: [GEBOORTEDATUM]"),
    ("gb 12/3/85", "gb [GEBOORTEDATUM]"),
    ("DOB 12.03.1985", "DOB [GEBOORTEDATUM]"),
    ("Geboren te Den Haag op 1 mei 1990", "Geboren te Den Haag op [GEBOORTEDATUM]"),
    ("Zij is op 12 maart 1985 geboren.", "Zij is op [GEBOORTEDATUM] geboren."),
    # names after a title or cue: the cue stays
    ("Ik sprak mevrouw Jansen", "Ik sprak mevrouw [NAAM]"),
    ("mw. de Vries belt terug", "mw. [NAAM] belt terug"),
    ("dhr. P. van den Berg", "dhr. [NAAM]"),
    ("meneer Bakker uit Hilversum", "meneer [NAAM] uit Hilversum"),
    ("de heer Ahmed El Amrani", "de heer [NAAM]"),
    ("naam: Olena Kovalenko", "naam: [NAAM]"),
    ("Achternaam: Jansen-de Vries", "Achternaam: [NAAM]"),
    ("mijn naam is Jan Smit", "mijn naam is [NAAM]"),
    ("Ik ben Petra en ik woon in Hilversum.", "Ik ben [NAAM] en ik woon in Hilversum."),
    ("Mevrouw Jansen van de GGD belde.", "Mevrouw [NAAM] van de GGD belde."),
    ("meneer Bakker van de Gemeente Hilversum", "meneer [NAAM] van de Gemeente Hilversum"),
    ("naam: Олена Коваленко", "naam: [NAAM]"),
    ("de heer Łukasz Nowak", "de heer [NAAM]"),
]


@pytest.mark.parametrize(("text", "expected"), MASKED_CASES, ids=[case[0] for case in MASKED_CASES])
def test_personal_data_is_replaced_by_its_placeholder(text: str, expected: str) -> None:
    assert mask_personal_data(text) == expected


LOOK_ALIKES = [
    # amounts
    "Tegemoetkoming van € 1.250,00 per huishouden",
    "Het kost 250 euro",
    "In totaal 1.234.567 inwoners",
    "€ 123.456.782",
    "123.456.782 euro",
    # dates and times of measures
    "Van kracht sinds 15-12-2021 20:00 uur",
    "Vanaf 01-01-2022 20:00 uur geldt de avondklok",
    "Op 06-01-2022 12 personen opgevangen",
    "Geldt vanaf 15 december",
    "per 1-1-2022",
    "Per 1 januari verandert de regel",
    "Avondklok van 21:00 tot 04:30 uur",
    # case numbers that fail the elfproef, references, eight-digit numbers
    "Zaaknummer 123456789",
    "Zaak 123 456 789 en zaak 987.654.321",
    "Referentie KCC-2026-000123",
    "Dossier 12345678",
    "Nummer 000000000",
    "Zaak 0012345678",
    # articles, percentages, years, quantities, versions
    "Zie artikel 2.1 van de regeling",
    "Volgens art. 5:13 Awb",
    "Een stijging van 12,5% ten opzichte van 2021",
    "In 2021 en 2022",
    "Maximaal 4 personen op 1,5 meter afstand",
    "Versie 2.1.3 van de app",
    "Sinds 2021 EU-breed",
    # postcode look-alikes
    "Postcode 0123 AB bestaat niet",
    "Letters 1234 SS, 1234 SA en 1234 SD worden niet uitgegeven",
    "Een rit van 1000 KM",
    "12345 AB",
    # places, organisations and ordinary words that look like streets or names
    "De GGD en de IND in Hilversum",
    "In Amsterdam 12 personen opgevangen",
    "in Rotterdam 2021",
    "Amsterdam 2",
    "Vergadering 3 maart",
    "ik ben onderweg 2 uur",
    "Mevrouw belt over de opvang.",
    "ik ben Nederlander",
    "Ik ben 12 jaar",
    "De snelweg A12 is dicht",
    "Hilversum, Laren en Blaricum",
    # invalid checksums
    "Rekening NL91ABNA0417164301",
]


@pytest.mark.parametrize("text", LOOK_ALIKES)
def test_numbers_and_words_that_only_look_alike_stay(text: str) -> None:
    assert mask_personal_data(text) == text


def test_dates_without_a_birth_cue_stay_and_with_one_are_masked() -> None:
    text = "Maatregel per 12-03-1985 ingetrokken; geboren 12-03-1985."

    assert mask_personal_data(text) == (
        "Maatregel per 12-03-1985 ingetrokken; geboren [GEBOORTEDATUM]."
    )


VALID_BSNS = ["123456782", "111222333", "012345672"]


@pytest.mark.parametrize("bsn", VALID_BSNS)
def test_a_valid_bsn_passes_the_elfproef_in_any_notation(bsn: str) -> None:
    grouped = f"{bsn[:3]} {bsn[3:6]} {bsn[6:]}"
    dotted = f"{bsn[:4]}.{bsn[4:6]}.{bsn[6:]}"

    assert is_valid_bsn(bsn)
    assert is_valid_bsn(grouped)
    assert is_valid_bsn(dotted)
    assert mask_personal_data(f"BSN {grouped}") == "BSN [BSN]"


@pytest.mark.parametrize("position", range(9))
def test_every_one_digit_change_to_a_bsn_fails_the_elfproef(position: int) -> None:
    bsn = "123456782"
    for digit in "0123456789":
        if digit == bsn[position]:
            continue
        changed = bsn[:position] + digit + bsn[position + 1 :]
        assert not is_valid_bsn(changed), changed
        assert mask_personal_data(f"BSN {changed}") == f"BSN {changed}"


@pytest.mark.parametrize("value", ["12345678", "1234567820", "000000000", "12345678x", ""])
def test_the_elfproef_asks_for_exactly_nine_digits_not_all_zero(value: str) -> None:
    assert not is_valid_bsn(value)


VALID_IBANS = [
    "NL91ABNA0417164300",
    "NL91 ABNA 0417 1643 00",
    "nl91abna0417164300",
    "DE89370400440532013000",
    "BE68539007547034",
    "GB29NWBK60161331926819",
    "FR1420041010050500013M02606",
]


@pytest.mark.parametrize("iban", VALID_IBANS)
def test_a_valid_iban_passes_the_mod_97_check_and_is_masked(iban: str) -> None:
    assert is_valid_iban(iban)
    assert mask_personal_data(f"IBAN: {iban}.") == "IBAN: [IBAN]."


def test_every_one_character_change_to_an_iban_fails_the_check() -> None:
    iban = "NL91ABNA0417164300"
    for position in range(2, len(iban)):
        for replacement in "0123456789" if iban[position].isdigit() else "ABCDEFXYZ":
            if replacement == iban[position]:
                continue
            changed = iban[:position] + replacement + iban[position + 1 :]
            assert not is_valid_iban(changed), changed
            assert mask_personal_data(changed) == changed


@pytest.mark.parametrize("value", ["NL91ABNA04171643", "NL91", "9191ABNA0417164300", ""])
def test_an_iban_needs_a_country_code_and_enough_characters(value: str) -> None:
    assert not is_valid_iban(value)


def test_several_kinds_at_once_are_each_masked_in_place() -> None:
    text = (
        "Mevrouw Jansen (geb. 12-03-1985, BSN 123456782) woont op Kerkstraat 12, 1211 AB "
        "Hilversum. Bel 06-12345678 of mail p.jansen@example.nl; uitbetalen op "
        "NL91 ABNA 0417 1643 00. Het gaat om € 1.250,00 per 1-1-2022, zaak 123456789."
    )

    assert mask_personal_data(text) == (
        "Mevrouw [NAAM] (geb. [GEBOORTEDATUM], BSN [BSN]) woont op [ADRES], [POSTCODE] "
        "Hilversum. Bel [TELEFOON] of mail [E-MAIL]; uitbetalen op "
        "[IBAN]. Het gaat om € 1.250,00 per 1-1-2022, zaak 123456789."
    )


def test_find_reports_spans_and_kinds_in_text_order_for_highlighting() -> None:
    text = "Bel 06-12345678 of mail jan@example.nl, mevrouw Jansen."

    matches = find_personal_data(text)

    assert [(text[m.start : m.end], m.kind) for m in matches] == [
        ("06-12345678", PersonalDataKind.PHONE),
        ("jan@example.nl", PersonalDataKind.EMAIL),
        ("Jansen", PersonalDataKind.NAME),
    ]
    assert matches[0] == Match(4, 15, PersonalDataKind.PHONE)
    assert matches[0].span == (4, 15)


def test_placeholders_are_exactly_the_agreed_words() -> None:
    assert {kind.placeholder for kind in PersonalDataKind} == {
        "[TELEFOON]",
        "[E-MAIL]",
        "[BSN]",
        "[IBAN]",
        "[ADRES]",
        "[POSTCODE]",
        "[GEBOORTEDATUM]",
        "[NAAM]",
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # e-mail before phone: the digits belong to the address
        ("0612345678@example.nl", "[E-MAIL]"),
        # phone before BSN: the nine national digits pass the elfproef on their own
        ("+31 612 345 609", "[TELEFOON]"),
        ("612 345 609", "[BSN]"),
        # postcode with its house number before anything else reads the number
        ("1211 AB 123", "[POSTCODE]"),
    ],
)
def test_rules_apply_in_their_deliberate_order(text: str, expected: str) -> None:
    assert mask_personal_data(text) == expected


def test_the_registry_lists_e_mail_before_phone_and_iban_before_bsn() -> None:
    kinds = [rule.kind for rule in MASKING_RULES]

    assert kinds.index(PersonalDataKind.EMAIL) < kinds.index(PersonalDataKind.PHONE)
    assert kinds.index(PersonalDataKind.IBAN) < kinds.index(PersonalDataKind.BSN)
    # Streets of any name go before the postcode (they need to see it follow); the street rules
    # that read suffixes go after it, so "1211 AB 12" is taken whole.
    detectors = [rule.detect.__name__ for rule in MASKING_RULES]
    assert detectors.index("_find_addresses_in_context") < kinds.index(PersonalDataKind.POSTCODE)
    assert kinds.index(PersonalDataKind.POSTCODE) < detectors.index("_find_capitalised_addresses")


def test_callers_can_apply_a_subset_of_the_rules() -> None:
    phone_only = [rule for rule in MASKING_RULES if rule.kind is PersonalDataKind.PHONE]

    assert mask_personal_data("Bel 06-12345678, mevrouw Jansen", rules=phone_only) == (
        "Bel [TELEFOON], mevrouw Jansen"
    )


@pytest.mark.parametrize(
    "text",
    [case[0] for case in MASKED_CASES]
    + [f"Bel {number} terug" for number in PHONE_NOTATIONS]
    + LOOK_ALIKES,
)
def test_masking_twice_gives_the_same_text_as_masking_once(text: str) -> None:
    once = mask_personal_data(text)

    assert mask_personal_data(once) == once


def test_empty_text_has_nothing_to_mask() -> None:
    assert mask_personal_data("") == ""
    assert find_personal_data("") == []


def test_unicode_text_stays_intact_around_the_placeholders() -> None:
    text = "Café ‘De Gouden Leeuw’ 😀 — Олена: 06-12345678 ✓, naïef geëvacueerd"

    assert mask_personal_data(text) == (
        "Café ‘De Gouden Leeuw’ 😀 — Олена: [TELEFOON] ✓, naïef geëvacueerd"
    )


def test_text_without_personal_data_is_returned_unchanged() -> None:
    text = "Wanneer gaan de scholen weer open na de storm?"

    assert mask_personal_data(text) is text


@pytest.mark.parametrize(
    "text",
    [
        "1 " * 20_000,
        "0" * 50_000,
        "+1 " * 15_000,
        "a@" * 20_000,
        "NL91 " + "ABCD " * 10_000,
        "1234 AB " * 5_000,
        "Kerkstraat " * 5_000,
        "mevrouw " * 5_000,
        "dhr. " + "P. " * 15_000,
        "geboren " * 5_000,
    ],
    ids=["digits-spaces", "zeros", "plus", "at-signs", "iban", "postcodes", "streets", "cues",
         "initials", "birth-cues"],
)  # fmt: skip
def test_long_repetitive_input_is_handled_without_runaway_backtracking(text: str) -> None:
    # A catastrophic pattern would hang here for hours; a linear one takes milliseconds.
    once = mask_personal_data(text)

    assert mask_personal_data(once) == once


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("BSN 5493 85 277 graag controleren", "BSN [BSN] graag controleren"),
        ("Met vriendelijke groet,\n\nOksana Shevchenko", "Met vriendelijke groet,\n\n[NAAM]"),
        ("Groet, Anouk", "Groet, [NAAM]"),
        ("Van: Hamza Aberkan <h@example.nl>", "Van: [NAAM] <[E-MAIL]>"),
        ("Naam rekeninghouder: Людмила Савчук", "Naam rekeninghouder: [NAAM]"),
        ("Naam gastheer/-vrouw: Zeynep Şahin", "Naam gastheer/-vrouw: [NAAM]"),
        ("Hello, my name is Taras Hnatiuk.", "Hello, my name is [NAAM]."),
        ("Мене звати Катерина Гриценко.", "Мене звати [NAAM]."),
        # A greeting before the municipality's own sign-off is no name.
        ("Groet,\nGemeente Hilversum", "Groet,\nGemeente Hilversum"),
        ("Mijn geboortedatum is 20-03-1967.", "Mijn geboortedatum is [GEBOORTEDATUM]."),
    ],
)
def test_names_in_forms_headers_and_signatures_are_masked(text: str, expected: str) -> None:
    assert mask_personal_data(text) == expected
