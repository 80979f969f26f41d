"""Generate the independent masking corpus: bench/data/masking_independent/{dev,test}.jsonl.

Run: .venv/bin/python bench/make_masking_corpus.py   (seeded; the output is committed)

Written on 2026-12-04 before reading kcc/privacy/masking.py or its test data, from what a
contact centre hears and types, not from what the rules catch. Each line is one JSON object:
  {"id": "dev-0001", "text": "...",
   "personal": [{"start": 10, "end": 21, "kind": "TELEFOON"}, ...],
   "lookalikes": [{"start": 40, "end": 48, "kind": "BEDRAG"}, ...]}
start/end are character offsets into text (Python slicing). Personal kinds are the placeholder
words (TELEFOON, E-MAIL, BSN, IBAN, ADRES, POSTCODE, GEBOORTEDATUM, NAAM); look-alike kinds only
say what the number is (BEDRAG, DATUM, TIJD, ZAAKNUMMER, ...), for reading the report.

Labelling decisions (also in docs/decisions.md):
- A name span is the name without its title: "mevrouw [De Vries-Bakker]", "dhr. [A. de Wit]".
- An address span is street + house number + addition: "[Burg. de Vlugtlaan 12-2]"; a postcode
  span includes a house number that follows it directly: "[1234 AB 12]".
- A date-of-birth span is the date only: "geboren op [3 maart 1984]".
- 0800 numbers count as phone numbers (the brief lists them; a caller may leave one).
- Ten-digit numbers that do not start with 0 (order numbers) are not phone numbers: no Dutch
  or international phone number is written that way; they are look-alikes.
- IBAN-shaped strings with a wrong checksum are look-alikes (examples in instructions, typos).
The dev and test sets come from the same templates with different seeds, so the test set
measures generalisation over values and combinations, not over new phrasings.
"""

from __future__ import annotations

import json
import random
import re
import string
from collections.abc import Callable
from pathlib import Path

OUTPUT = Path(__file__).resolve().parent / "data" / "masking_independent"
SETS = {"dev": (20261204, 650), "test": (4122026, 650)}

Piece = tuple[str, str | None, str | None]  # (text, "personal"/"lookalike"/None, kind)

# --- value pools -------------------------------------------------------------------------------

FIRST_NAMES = (
    "Sanne",
    "Pieter",
    "Fatima",
    "Mohammed",
    "Olena",
    "Oleksandr",
    "Ayşe",
    "Mehmet",
    "Emma",
    "Daan",
    "Noah",
    "Lotte",
    "Yusuf",
    "Iryna",
    "Dmytro",
    "Saskia",
    "Kees",
    "Anouk",
    "Bram",
    "Ahmed",
    "Nadia",
    "Tetiana",
    "Mariam",
    "Wim",
    "Ingrid",
    "Jeroen",
    "Samira",
    "Priya",
    "Rahel",
    "Tesfay",
    "Abdullah",
    "Joost",
    "Marieke",
    "Hanna",
    "Bogdan",
    "Lucas",
    "Zeynep",
)
SURNAMES = (
    "Jansen",
    "de Vries",
    "van den Berg",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "de Groot",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "van Leeuwen",
    "Dekker",
    "Brouwer",
    "de Wit",
    "Dijkstra",
    "Smits",
    "El Amrani",
    "Yilmaz",
    "Kaya",
    "Öztürk",
    "Kovalenko",
    "Shevchenko",
    "Bondarenko",
    "Tkachenko",
    "Haddad",
    "Al-Hassan",
    "Tesfaye",
    "Ghebremedhin",
    "Boukhari",
    "Ramdin",
    "van der Linden",
    "Verhoeven",
    "ter Horst",
    "Kuipers",
    "van 't Hof",
    "Hoekstra",
    "Postma",
    "Nguyen",
)
DOUBLE_SURNAMES = (
    "De Vries-Bakker",
    "Jansen-Kok",
    "van Dijk-Smit",
    "Bos-El Idrissi",
    "Mulder-Yilmaz",
)
TITLES = ("dhr.", "mevr.", "mevrouw", "meneer", "de heer", "mw.", "mr.", "Dhr.", "Mevrouw", "Mw.")

STREETS_WITH_SUFFIX = (
    "Kerkstraat",
    "Dorpsstraat",
    "Stationsweg",
    "Molenlaan",
    "Julianalaan",
    "Beatrixplein",
    "Prinsengracht",
    "Oranjesingel",
    "Wilhelminakade",
    "Kastanjelaan",
    "Schoolstraat",
    "Burg. de Vlugtlaan",
    "Dr. Schaepmanstraat",
    "Prins Hendrikkade",
    "Korte Nieuwstraat",
    "Van Goghstraat",
    "Eikenlaan",
    "Zuiderdijk",
    "Marktplein",
    "Vondelstraat",
    "Hoofdweg",
    "Sint Jansstraat",
    "Burgemeester van Roijensingel",
    "Jan van Galenstraat",
    "Rozenhof",
    "Jacob Catsstraat",
    "Westerkade",
    "Kloosterpad",
    "Ds. Kuypersteeg",
    "Groenmarkt",
)
STREETS_WITHOUT_SUFFIX = (
    "Lange Voorhout",
    "Schapenkamp",
    "Bosdrift",
    "Achterom",
    "Oudegracht",
    "Spui",
    "Coolsingel",
    "Boschdijk",
    "Wijnhaven",
    "Vismarkt",
    "Ganzenmarkt",
    "Hooigracht",
    "Brink",
    "Lange Brink",
    "De Ruyterkade",
    "Kalverstraat",
    "Rapenburg",
    "Oude Delft",
    "Voorstraat",
    "Nieuwe Binnenweg",
    "Dam",
    "Heuvel",
    "Hoogstraat",
    "Steenstraat",
    "Hofplein",
    "Buitenhof",
    "Lindenhof",
    "Zeedijk",
    "Polderweg",
    "Amstel",
)
BANK_CODES = ("ABNA", "RABO", "INGB", "SNSB", "ASNB", "TRIO", "KNAB", "BUNQ", "RBRB")
EMAIL_DOMAINS = (
    "gmail.com",
    "hotmail.com",
    "outlook.com",
    "ziggo.nl",
    "kpnmail.nl",
    "live.nl",
    "xs4all.nl",
    "student.uva.nl",
    "mail.ru",
    "ukr.net",
    "gemeente-voorbeeld.nl",
    "zorggroep-oost.nl",
    "planet.nl",
    "icloud.com",
    "bakkerijdekroon.nl",
    "leerling.scholengroep.nl",
)
MONTHS = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)
PLACES = (
    "Utrecht",
    "Zwolle",
    "Den Haag",
    "Rotterdam",
    "Amersfoort",
    "Venlo",
    "Deventer",
    "Groningen",
    "Leeuwarden",
    "Maastricht",
    "Ter Apel",
    "Budel",
    "Valkenburg",
    "Almere",
    "Delft",
)


def personal(text: str, kind: str) -> Piece:
    """A piece of text that is personal data of the given placeholder kind."""
    return (text, "personal", kind)


def lookalike(text: str, kind: str) -> Piece:
    """A piece of text that looks like personal data but must stay."""
    return (text, "lookalike", kind)


# --- personal data generators -----------------------------------------------------------------


def digits(rng: random.Random, count: int) -> str:
    """A string of random digits."""
    return "".join(rng.choice(string.digits) for _ in range(count))


def phone_number(rng: random.Random) -> str:
    """A Dutch (mostly) or foreign phone number in one of the notations people write."""
    # Mobile numbers start 06-1 to 06-5 and subscriber numbers never with 0 or 1.
    mobile = "6" + rng.choice("12345") + digits(rng, 7)
    area = rng.choice(("20", "10", "30", "70", "40", "50", "38", "43", "546", "575", "229", "77"))
    rest = rng.choice("23456789") + digits(rng, 8 - len(area))
    choice = rng.randrange(20)
    if choice == 0:
        return f"0{mobile[:1]}-{mobile[1:]}"
    if choice == 1:
        return f"06 {mobile[1:5]} {mobile[5:]}"
    if choice == 2:
        return "06 " + " ".join(mobile[i : i + 2] for i in range(1, 9, 2))
    if choice == 3:
        return "0" + mobile
    if choice == 4:
        return f"+31 6 {mobile[1:5]} {mobile[5:]}"
    if choice == 5:
        return "+31" + mobile
    if choice == 6:
        return f"+31 (0)6 {mobile[1:]}"
    if choice == 7:
        return f"0031 6 {mobile[1:]}"
    if choice == 8:
        return "0031" + mobile
    if choice == 9:
        return (
            f"(0{area}) {rest[:3]} {rest[3:5]} {rest[5:]}"
            if len(area) == 2
            else f"(0{area}) {rest}"
        )
    if choice == 10:
        return f"0{area}-{rest}"
    if choice == 11:
        return f"0{area} {rest[:3]} {rest[3:]}"
    if choice == 12:
        return (
            f"0{area}-{rest[:3]} {rest[3:5]} {rest[5:]}"
            if len(area) == 2
            else f"0{area}-{rest[:2]} {rest[2:4]} {rest[4:]}"
        )
    if choice == 13:
        return "0800-" + digits(rng, 7) if rng.random() < 0.5 else "0800 " + digits(rng, 4)
    if choice == 14:
        return f"+380 {digits(rng, 2)} {digits(rng, 3)} {digits(rng, 4)}"
    if choice == 15:
        return f"+32 4{digits(rng, 2)} {digits(rng, 2)} {digits(rng, 2)} {digits(rng, 2)}"
    if choice == 16:
        return f"+49 15{digits(rng, 1)} {digits(rng, 8)}"
    if choice == 17:
        return f"06-{mobile[1:5]} {mobile[5:]}"
    if choice == 18:
        return f"+316-{mobile[1:]}"
    return f"0{area}{rest}"


def email_address(rng: random.Random) -> str:
    """An e-mail address: plain, dotted, with a plus tag, a subdomain or in capitals."""
    first = rng.choice(FIRST_NAMES).lower().replace("ş", "s").replace("ö", "o")
    last = rng.choice(SURNAMES).lower().replace(" ", "").replace("'", "").replace("ö", "o")
    local = rng.choice(
        (
            f"{first}.{last}",
            f"{first[0]}.{last}",
            f"{first}{rng.randrange(70, 100)}",
            f"{first}_{last}",
            f"{first}+{rng.choice(('gemeente', 'opvang', 'corona', 'kcc'))}",
            f"{last}{rng.randrange(1, 999)}",
            f"{first}-{last}",
        )
    )
    address = f"{local}@{rng.choice(EMAIL_DOMAINS)}"
    return address.upper() if rng.random() < 0.1 else address


def valid_bsn_digits(rng: random.Random) -> str:
    """Nine digits that pass the elfproef (9·d1 + 8·d2 + ... + 2·d8 − d9 divisible by 11)."""
    while True:
        head = ("0" if rng.random() < 0.05 else rng.choice("123456789")) + digits(rng, 7)
        total = sum(
            int(digit) * weight for digit, weight in zip(head, range(9, 1, -1), strict=True)
        )
        last = total % 11
        if last < 10:
            return head + str(last)


def passes_elfproef(number: str) -> bool:
    """Whether nine digits pass the BSN elfproef."""
    weights = (9, 8, 7, 6, 5, 4, 3, 2, -1)
    return sum(int(d) * w for d, w in zip(number, weights, strict=True)) % 11 == 0


def bsn(rng: random.Random) -> str:
    """A valid BSN, plain, with dots or with spaces."""
    number = valid_bsn_digits(rng)
    return rng.choice(
        (
            number,
            number,
            f"{number[:4]}.{number[4:6]}.{number[6:]}",
            f"{number[:4]} {number[4:6]} {number[6:]}",
            f"{number[:3]}.{number[3:6]}.{number[6:]}",
            f"{number[:3]} {number[3:6]} {number[6:]}",
        )
    )


def iban_check_digits(country: str, bban: str) -> str:
    """The two check digits of an IBAN (ISO 13616, mod 97)."""
    rearranged = bban + country + "00"
    numeric = "".join(str(int(char, 36)) for char in rearranged)
    return f"{98 - int(numeric) % 97:02d}"


def raw_iban(rng: random.Random, *, valid: bool = True) -> str:
    """An IBAN without spaces, mostly Dutch, sometimes Belgian, German or Ukrainian."""
    country = rng.choices(("NL", "BE", "DE", "UA"), weights=(12, 1, 1, 2))[0]
    if country == "NL":
        bban = rng.choice(BANK_CODES) + digits(rng, 10)
    elif country == "BE":
        bban = digits(rng, 12)
    elif country == "DE":
        bban = digits(rng, 18)
    else:
        bban = digits(rng, 6) + "0000" + digits(rng, 15)
    check = iban_check_digits(country, bban)
    if not valid:
        check = f"{(int(check) + rng.randrange(1, 90)) % 100:02d}"
    return country + check + bban


def format_iban(value: str, rng: random.Random) -> str:
    """Write an IBAN grouped by four, ungrouped, or in lower case."""
    style = rng.randrange(5)
    if style in (0, 1):
        return " ".join(value[i : i + 4] for i in range(0, len(value), 4))
    if style == 2:
        return value.lower()
    return value


def iban(rng: random.Random) -> str:
    """A checksum-valid IBAN as people write it."""
    return format_iban(raw_iban(rng), rng)


def house_number(rng: random.Random) -> str:
    """A house number with the additions that occur: 12a, 12-2, 12 bis, 12-hs, 12 A."""
    number = str(rng.choice((rng.randrange(1, 30), rng.randrange(1, 300))))
    addition = rng.choices(
        ("", "a", "A", "-2", "-1", " bis", "-hs", " A", "-II", " zw", "b"),
        weights=(30, 4, 3, 3, 2, 1, 1, 2, 1, 1, 2),
    )[0]
    return number + addition


def address(rng: random.Random) -> str:
    """Street + house number, sometimes typed in lower case by an agent."""
    pool = STREETS_WITH_SUFFIX if rng.random() < 0.6 else STREETS_WITHOUT_SUFFIX
    text = f"{rng.choice(pool)} {house_number(rng)}"
    return text.lower() if rng.random() < 0.12 else text


def postcode(rng: random.Random) -> str:
    """A Dutch postcode (no SA, SD, SS) in the usual notations."""
    while True:
        letters = "".join(rng.choice(string.ascii_uppercase) for _ in range(2))
        if letters not in ("SA", "SD", "SS"):
            break
    number = rng.choice("123456789") + digits(rng, 3)
    style = rng.randrange(6)
    if style == 0:
        return number + letters
    if style == 1:
        return f"{number} {letters.lower()}"
    return f"{number} {letters}"


def postcode_with_number(rng: random.Random) -> str:
    """A postcode followed directly by a house number."""
    return f"{postcode(rng)} {house_number(rng)}"


def birth_date(rng: random.Random) -> str:
    """A date of birth between 1930 and 2020 in one of the written forms."""
    year = rng.randrange(1930, 2021)
    month = rng.randrange(1, 13)
    day = rng.randrange(1, 29)
    style = rng.randrange(7)
    if style == 0:
        return f"{day} {MONTHS[month - 1]} {year}"
    if style == 1:
        return f"{day:02d}-{month:02d}-{year}"
    if style == 2:
        return f"{year}-{month:02d}-{day:02d}"
    if style == 3:
        return f"{day}-{month}-{year}"
    if style == 4:
        return f"{day:02d}/{month:02d}/{year}"
    if style == 5:
        return f"{day:02d}.{month:02d}.{year}"
    return f"{day} {MONTHS[month - 1][:3]} {year}"


def full_name(rng: random.Random) -> str:
    """First name and surname (surname may carry a lower-case prefix)."""
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"


def surname_for_title(rng: random.Random) -> str:
    """A surname as written after a title: prefix capitalised, sometimes double or with initial."""
    surname = rng.choice(SURNAMES + DOUBLE_SURNAMES)
    style = rng.randrange(4)
    if style == 0:
        return f"{rng.choice(string.ascii_uppercase)}. {surname}"
    if style == 1:
        return surname[:1].upper() + surname[1:]
    return surname


# --- look-alike generators --------------------------------------------------------------------


def amount(rng: random.Random) -> str:
    """An amount of money."""
    whole = rng.choice((rng.randrange(5, 999), rng.randrange(1000, 99999)))
    grouped = f"{whole:,}".replace(",", ".")
    cents = f"{rng.randrange(100):02d}"
    return rng.choice(
        (
            f"€ {grouped},{cents}",
            f"€{whole}",
            f"{whole} euro",
            f"EUR {grouped},{cents}",
            f"€ {grouped},-",
            f"{grouped} euro",
        )
    )


def measure_date(rng: random.Random) -> str:
    """A date of a measure or appointment (2020-2027), not a birth date."""
    year = rng.randrange(2020, 2028)
    month = rng.randrange(1, 13)
    day = rng.randrange(1, 29)
    return rng.choice(
        (
            f"{day} {MONTHS[month - 1]} {year}",
            f"{day:02d}-{month:02d}-{year}",
            f"{year}-{month:02d}-{day:02d}",
            f"{day}-{month}-{year}",
            f"{day:02d}/{month:02d}/{year}",
            f"{day} {MONTHS[month - 1]}",
        )
    )


def clock_time(rng: random.Random) -> str:
    """A time of day."""
    hour = rng.randrange(7, 23)
    minute = rng.choice((0, 15, 30, 45))
    return rng.choice(
        (f"{hour}:{minute:02d}", f"{hour:02d}:{minute:02d}", f"{hour}.{minute:02d} uur")
    )


def failing_nine_digits(rng: random.Random) -> str:
    """Nine digits that fail the elfproef."""
    while True:
        number = rng.choice("123456789") + digits(rng, 8)
        if not passes_elfproef(number):
            return number


def case_number(rng: random.Random) -> str:
    """A case or reference number; nine-digit ones fail the elfproef."""
    style = rng.randrange(6)
    if style == 0:
        return f"Z-{rng.randrange(2020, 2027)}-{digits(rng, 6)}"
    if style == 1:
        return f"{rng.randrange(2020, 2027)}-{digits(rng, 5)}"
    if style == 2:
        return failing_nine_digits(rng)
    if style == 3:
        number = failing_nine_digits(rng)
        return f"{number[:4]}.{number[4:6]}.{number[6:]}"
    if style == 4:
        return f"ZK{digits(rng, 7)}"
    number = failing_nine_digits(rng)
    return f"{number[:3]} {number[3:6]} {number[6:]}"


def article_reference(rng: random.Random) -> str:
    """A reference to an article of law or a regulation."""
    return rng.choice(
        (
            f"artikel {rng.randrange(1, 300)} Gemeentewet",
            f"art. {rng.randrange(1, 9)}:{rng.randrange(1, 80)} Awb",
            f"artikel {rng.randrange(1, 12)}.{rng.randrange(1, 9)} van de regeling",
            f"artikel {rng.randrange(170, 180)} van de Gemeentewet",
            f"art. {rng.randrange(1, 60)} Wet publieke gezondheid",
            f"artikel {rng.randrange(1, 40)} lid {rng.randrange(1, 5)} APV",
        )
    )


def count_phrase(rng: random.Random) -> str:
    """A count of homes, people, beds."""
    number = rng.choice((rng.randrange(2, 99), rng.randrange(100, 999), rng.randrange(1000, 20000)))
    written = (
        f"{number:,}".replace(",", ".") if number >= 1000 and rng.random() < 0.6 else str(number)
    )
    return f"{written} {rng.choice(COUNTED_THINGS)}"


COUNTED_THINGS = (
    "woningen",
    "huishoudens",
    "bedden",
    "statushouders",
    "asielzoekers",
    "vluchtelingen",
    "adressen",
    "ondernemers",
    "leerlingen",
)


def percentage(rng: random.Random) -> str:
    """A percentage."""
    whole = rng.randrange(1, 100)
    return rng.choice(
        (f"{whole}%", f"{whole},{rng.randrange(1, 10)}%", f"{whole} procent", f"{whole} %")
    )


def kvk_number(rng: random.Random) -> str:
    """A Chamber of Commerce number (eight digits)."""
    return rng.choice("0123456789") + digits(rng, 7)


def order_number(rng: random.Random) -> str:
    """A ten-digit order or invoice number that does not start with 0."""
    return rng.choice("123456789") + digits(rng, 9)


def bad_iban(rng: random.Random) -> str:
    """An IBAN-shaped string whose checksum fails."""
    return format_iban(raw_iban(rng, valid=False), rng)


def road_number(rng: random.Random) -> str:
    """A motorway or provincial road."""
    return rng.choice((f"A{rng.randrange(1, 80)}", f"N{rng.randrange(200, 400)}"))


def year_or_week(rng: random.Random) -> str:
    """A year, a week number or a school year."""
    year = rng.randrange(2019, 2028)
    return rng.choice((str(year), f"week {rng.randrange(1, 53)}", f"{year}-{year + 1}"))


# --- templates --------------------------------------------------------------------------------

GENERATORS: dict[str, tuple[str | None, str, Callable[[random.Random], str]]] = {
    "phone": ("personal", "TELEFOON", phone_number),
    "email": ("personal", "E-MAIL", email_address),
    "bsn": ("personal", "BSN", bsn),
    "iban": ("personal", "IBAN", iban),
    "address": ("personal", "ADRES", address),
    "postcode": ("personal", "POSTCODE", postcode),
    "postcodenr": ("personal", "POSTCODE", postcode_with_number),
    "dob": ("personal", "GEBOORTEDATUM", birth_date),
    "name": ("personal", "NAAM", full_name),
    "surname": ("personal", "NAAM", surname_for_title),
    "amount": ("lookalike", "BEDRAG", amount),
    "date": ("lookalike", "DATUM", measure_date),
    "time": ("lookalike", "TIJD", clock_time),
    "case": ("lookalike", "ZAAKNUMMER", case_number),
    "nine": ("lookalike", "NEGEN_CIJFERS", failing_nine_digits),
    "article": ("lookalike", "ARTIKEL", article_reference),
    "count": ("lookalike", "AANTAL", count_phrase),
    "percent": ("lookalike", "PERCENTAGE", percentage),
    "kvk": ("lookalike", "KVK", kvk_number),
    "order": ("lookalike", "ORDERNUMMER", order_number),
    "badiban": ("lookalike", "IBAN_ONGELDIG", bad_iban),
    "road": ("lookalike", "WEG", road_number),
    "year": ("lookalike", "JAAR", year_or_week),
    "title": (None, "", lambda rng: rng.choice(TITLES)),
    "place": (None, "", lambda rng: rng.choice(PLACES)),
}

# Openings: what the contact is about (mostly look-alikes, no personal data).
SITUATIONS = (
    "Beller vraagt of de noodverordening vanaf {date} nog geldt, ook na {time}.",
    "Vraag over de tegemoetkoming van {amount} voor ondernemers; aanvraag ingediend op {date}.",
    "Inwoner wil weten waarom het leefgeld van {amount} per maand nog niet is gestort.",
    "Ondernemer (KvK {kvk}) vraagt of de TOZO-regeling ook na {date} doorloopt.",
    "Mevrouw belt over de opvang van Oekraïense vluchtelingen; in de sporthal zijn {count} vrij.",
    "Meneer is boos over de azc-locatie in {place}: er komen {count}, {percent} meer dan gezegd.",
    "Naar aanleiding van zaaknummer {case}: de beller heeft nog geen reactie gehad.",
    "Vraag over wateroverlast, de {road} is afgesloten sinds {time}; {count} hebben schade.",
    "Beller verwijst naar {article} en wil weten of de burgemeester dit mag.",
    "School vraagt hoe het zit met testen; {percent} van de klas is ziek sinds {date}.",
    "Zorginstelling meldt dat het bezoek vanaf {date} weer mag tussen {time} en {time}.",
    "bel terug ivm schade kelder, evacuatie {date} om {time}, ref {case}.",
    "Inwoner heeft een factuur (ordernummer {order}) van {amount} voor zandzakken ontvangen.",
    "De gastgezinregeling betaalt {amount} per persoon; beller vraagt of dat vanaf {date} geldt.",
    "Vraag over de energietoeslag {year}: het bedrag van {amount} staat in {article}.",
    "Klacht over geluidsoverlast bij de noodopvang, meerdere keren na {time}, zaak {case}.",
    "Ondernemer gaf per ongeluk rekeningnummer {badiban} op en krijgt een foutmelding.",
    "Op het formulier staat als voorbeeld {badiban}; beller snapt niet wat hij moet invullen.",
    "Het klantnummer {nine} staat op de brief van {date}; beller vraagt wat dat is.",
    "Beller vraagt of zijn dossier {case} al is doorgezet naar de GGD.",
    "Ondernemer met {count} vraagt naar compensatie; omzetverlies {percent} over {year}.",
    "Vraag over de mondkapjesplicht in het OV sinds {date}, ook voor kinderen tot 12 jaar?",
    "Vrijwilliger wil helpen bij de opvang in {place}, in {year} op dinsdag vanaf {time}.",
    "melding: water in de straat, {count} getroffen, brandweer ter plaatse om {time}.",
    "Het referentienummer {nine} hoort bij de aanvraag van {date}, bedrag {amount}.",
    "Instelling vraagt of de {amount} subsidie (kenmerk {case}) ook voor {count} geldt.",
    "Bij de pinautomaat stond {amount} afgeschreven met kenmerk {order}.",
    "De vergadering over de opvanglocatie is op {date} om {time} in het gemeentehuis van {place}.",
    "Beller vraagt waarom de vaccinatieplek in {place} pas om {time} open gaat.",
    "Agrariër vraagt om vergoeding voor {count} die door de {road} niet bereikbaar waren.",
)

# Sentences carrying personal data.
PERSONAL_SENTENCES = (
    "Terugbellen op {phone}.",
    "Mijn telefoonnummer is {phone}, bereikbaar na {time}.",
    "Bereikbaar via {phone} of per mail: {email}",
    "U kunt mij mailen op {email}.",
    "tel {phone} / mail {email}",
    "Mijn naam is {name} en ik woon aan de {address} in {place}.",
    "Mijn BSN is {bsn}.",
    "bsn {bsn}, geb. {dob}",
    "BSN: {bsn} (zoon), geboren op {dob}.",
    "Het geld kan naar {iban} t.n.v. {name}.",
    "Rekeningnummer: {iban}",
    "graag overmaken op {iban} ovv {case}",
    "Adres: {address}, {postcode} {place}.",
    "Woont op {postcodenr}, {place}.",
    "postcode {postcode}",
    "{title} {surname} belt namens haar moeder, geboortedatum: {dob}.",
    "Gesproken met {title} {surname}, die vraagt om terugbelverzoek op {phone}.",
    "Ik ben {name}, geboren {dob}, en mijn burgerservicenummer is {bsn}.",
    "Met vriendelijke groet,\n{name}\n{address}\n{postcode} {place}\n{phone}",
    "Groet, {name} ({email})",
    "Naam: {name}\nTelefoon: {phone}\nE-mail: {email}",
    "Naam aanvrager: {name}, IBAN {iban}, BSN {bsn}",
    "{title} {surname} ({phone}) wil een afspraak.",
    "Gastgezin {title} {surname}, {address}, heeft {count} opgevangen.",
    "Contactpersoon namens de school: {name}, {phone}.",
    "Vluchteling {name}, geboortedatum {dob}, verblijft sinds {date} op {address}.",
    "Bel {title} {surname} terug op {phone} tussen {time} en {time}.",
    "mw {surname} tel {phone} wil weten of bsn {bsn} goed staat",
    "Stuur de brief naar {address}, {postcodenr}?",
    "mail: {email} tel: {phone}",
    "De heer {surname} is geboren op {dob} en woont aan de {address}.",
    "Mijn e-mailadres is {email} en mijn nummer {phone}.",
    "Uitbetaling op rekening {iban}, bedrag {amount}.",
    "Ondernemer {name}, KvK {kvk}, rekening {iban}.",
    "Hallo, ik ben {name} uit {place}. Bel me op {phone}.",
    "Zoon {name} (geb. {dob}) heeft geen BSN gekregen, alleen {nine}.",
    "Verhuisd naar {address} per {date}.",
    "Mijn adres is {address} in {place}, postcode {postcode}.",
)

CLOSINGS = (
    "",
    "",
    " Graag snel reactie.",
    " Alvast bedankt.",
    " Beller is doorverbonden met de backoffice.",
    " Afgehandeld, geen terugbelverzoek.",
    " Terugbellen binnen 2 werkdagen.",
    " Doorgezet naar team Opvang.",
    " Ik hoor graag van u.",
)

FIELD = re.compile(r"\{(\w+)\}")


def fill(template: str, rng: random.Random) -> list[Piece]:
    """Turn a template into pieces, each placeholder filled by its generator."""
    pieces: list[Piece] = []
    position = 0
    for found in FIELD.finditer(template):
        pieces.append((template[position : found.start()], None, None))
        label, kind, generate = GENERATORS[found.group(1)]
        pieces.append((generate(rng), label, kind or None))
        position = found.end()
    pieces.append((template[position:], None, None))
    return pieces


def compose(rng: random.Random) -> list[Piece]:
    """One text: a situation, and in two of three texts one or two sentences of personal data."""
    pieces = fill(rng.choice(SITUATIONS), rng)
    sentences = rng.choices((0, 1, 2), weights=(1, 3, 1))[0]
    for template in rng.sample(PERSONAL_SENTENCES, sentences):
        pieces.append((rng.choice((" ", "\n", " ")), None, None))
        pieces.extend(fill(template, rng))
    pieces.append((rng.choice(CLOSINGS), None, None))
    if rng.random() < 0.15:
        pieces = [
            (text.lower(), label, kind) if label != "personal" else (text, label, kind)
            for text, label, kind in pieces
        ]
    return pieces


def to_record(identifier: str, pieces: list[Piece]) -> dict:
    """Join pieces into text with the offsets of personal data and look-alikes."""
    text = ""
    personal_spans: list[dict] = []
    lookalike_spans: list[dict] = []
    for piece, label, kind in pieces:
        start = len(text)
        text += piece
        if label == "personal":
            personal_spans.append({"start": start, "end": len(text), "kind": kind})
        elif label == "lookalike":
            lookalike_spans.append({"start": start, "end": len(text), "kind": kind})
    return {
        "id": identifier,
        "text": text,
        "personal": personal_spans,
        "lookalikes": lookalike_spans,
    }


def main() -> None:
    """Write both sets."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    for name, (seed, size) in SETS.items():
        rng = random.Random(seed)
        records = [to_record(f"{name}-{index:04d}", compose(rng)) for index in range(1, size + 1)]
        with (OUTPUT / f"{name}.jsonl").open("w", encoding="utf-8") as output:
            for record in records:
                output.write(json.dumps(record, ensure_ascii=False) + "\n")
        personal_count = sum(len(record["personal"]) for record in records)
        lookalike_count = sum(len(record["lookalikes"]) for record in records)
        print(
            f"{name}: {len(records)} texts, {personal_count} personal values, "
            f"{lookalike_count} look-alikes"
        )


if __name__ == "__main__":
    main()
