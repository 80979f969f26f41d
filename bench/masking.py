"""Masking speed: 50,000 realistic mixed question texts through mask_personal_data on one core.

Run: .venv/bin/python bench/masking.py   (target: at least 20,000 texts/s)

Time is the CPU time of this process (time.process_time), so other work on a shared machine
does not count against the figure; wall-clock time is printed beside it.
"""

from __future__ import annotations

import random
import statistics
import time

from kcc.privacy.masking import mask_personal_data

TEXT_COUNT = 50_000
ROUNDS = 3
SEED = 20260101

OPENINGS = (
    "Goedemiddag, ik bel over",
    "Beller vraagt naar",
    "Inwoner wil weten hoe het zit met",
    "Mevrouw belt met een vraag over",
    "Vraag via de chat over",
    "Ondernemer vraagt uitleg over",
    "Meneer is boos over",
    "Bezorgde ouder vraagt naar",
)
SUBJECTS = (
    "de noodverordening die vanaf 15 december geldt",
    "de opvang van Oekraïense vluchtelingen in de gemeente",
    "de tegemoetkoming van € 1.250,00 voor ondernemers",
    "het testen bij de GGD en de wachttijd van 2 uur",
    "de avondklok vanaf 21:00 uur tot 04:30 uur",
    "de regel van 1,5 meter afstand in winkels",
    "de evacuatie van de wijk en de opvang in sporthal De Brug",
    "de energietoeslag van 1300 euro uit artikel 2.1 van de regeling",
    "de inzamelingsactie en de 4 personen per huishouden",
    "het besluit van 1-1-2022 en de regels uit art. 5:13",
    "het drinkwater in de wijken rond de A12",
    "de verlenging van de maatregelen tot 15-12-2021",
)
DETAILS = (
    "Zij heeft zaaknummer 123456789 en referentie KCC-2026-000123.",
    "Het gaat om 12,5% meer aanvragen dan in 2021.",
    "De beller is niet tevreden over het antwoord van de IND.",
    "Graag terugbellen op {phone}.",
    "Hij is bereikbaar via {email}.",
    "BSN {bsn} staat op de brief.",
    "Adres: {street} {number}, {postcode} Hilversum.",
    "Uitbetalen op rekening {iban} graag.",
    "Geboren {birth_date}, woont alleen.",
    "Het gaat om {title} {surname}.",
    "Mijn naam is {first_name} {surname}.",
    "Versie 2.1.3 van de app werkt niet.",
    "Er komen 250 mensen naar de bijeenkomst om 20:00 uur.",
    "Postcode {postcode} valt binnen het gebied.",
)
PHONES = ("06-12345678", "+31 6 12345678", "(035) 123 45 67", "020-1234567", "0800-1234")
EMAILS = ("p.jansen@example.nl", "info@bakkerij-de-vries.nl", "olena.k@mail.example.com")
BSNS = ("123456782", "111.222.333", "123 456 782")
IBANS = ("NL91ABNA0417164300", "NL91 ABNA 0417 1643 00", "DE89370400440532013000")
STREETS = ("Kerkstraat", "Oude Amersfoortseweg", "Van Ostadelaan", "Stationsplein")
TITLES = ("mevrouw", "mw.", "dhr.", "meneer", "de heer")
SURNAMES = ("Jansen", "de Vries", "van den Berg", "Bakker", "El Amrani", "Kovalenko")
FIRST_NAMES = ("Jan", "Petra", "Olena", "Ahmed", "Fatima")


def random_date(generator: random.Random) -> str:
    """A day-month-year date between 1940 and 2005, written as people type it."""
    day, month, year = (
        generator.randint(1, 28),
        generator.randint(1, 12),
        generator.randint(1940, 2005),
    )
    return f"{day}-{month}-{year}"


def generate_texts(count: int, seed: int) -> list[str]:
    """Question texts of about 200 characters; roughly half hold some personal data."""
    generator = random.Random(seed)
    texts = []
    for _ in range(count):
        detail = generator.choice(DETAILS).format(
            phone=generator.choice(PHONES),
            email=generator.choice(EMAILS),
            bsn=generator.choice(BSNS),
            street=generator.choice(STREETS),
            number=generator.randint(1, 250),
            postcode=f"{generator.randint(1000, 9999)} {generator.choice(('AB', 'KL', 'XZ'))}",
            iban=generator.choice(IBANS),
            birth_date=random_date(generator),
            title=generator.choice(TITLES),
            surname=generator.choice(SURNAMES),
            first_name=generator.choice(FIRST_NAMES),
        )
        texts.append(
            f"{generator.choice(OPENINGS)} {generator.choice(SUBJECTS)}. "
            f"{detail} Ook vraagt de beller naar {generator.choice(SUBJECTS)}."
        )
    return texts


def time_masking(texts: list[str]) -> tuple[float, float]:
    """CPU and wall-clock seconds one pass of mask_personal_data over all texts takes."""
    cpu_started, wall_started = time.process_time(), time.perf_counter()
    for text in texts:
        mask_personal_data(text)
    return time.process_time() - cpu_started, time.perf_counter() - wall_started


def main() -> None:
    """Print texts per second and microseconds per text (best of a few passes)."""
    texts = generate_texts(TEXT_COUNT, SEED)
    masked = sum(mask_personal_data(text) != text for text in texts)
    passes = [time_masking(texts) for _ in range(ROUNDS)]
    cpu = min(cpu for cpu, _ in passes)
    wall = min(wall for _, wall in passes)
    print(
        f"masking: {len(texts)} texts, mean {statistics.mean(map(len, texts)):.0f} characters, "
        f"{masked / len(texts):.0%} with personal data"
    )
    print(
        f"masking: {len(texts) / cpu:,.0f} texts/s, {cpu / len(texts) * 1e6:.1f} µs per text "
        f"(CPU time, best of {ROUNDS} passes; wall clock {len(texts) / wall:,.0f} texts/s)"
    )


if __name__ == "__main__":
    main()
