"""Demo data for `flask --app kcc seed-demo`: the Gooi & Vechtstreek safety region."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select

from kcc.auth.models import Role, User
from kcc.auth.services import hash_password
from kcc.escalation.mailing import ensure_default_template
from kcc.extensions import db
from kcc.faq.demo import seed_demo_faq
from kcc.reference.crisis_templates import CRISIS_TEMPLATES
from kcc.reference.models import Crisis, Department, Municipality
from kcc.reference.services import add_crisis_from_template

# Veiligheidsregio Gooi en Vechtstreek (CBS gemeentecodes, 2026).
GOOI_EN_VECHTSTREEK = (
    ("GM0376", "Blaricum"),
    ("GM0317", "Eemnes"),
    ("GM1942", "Gooise Meren"),
    ("GM0402", "Hilversum"),
    ("GM0406", "Huizen"),
    ("GM0417", "Laren"),
    ("GM1696", "Wijdemeren"),
)
DEPARTMENTS = (
    "Publiekszaken",
    "Werk en Inkomen",
    "Onderwijs en Jeugd",
    "Zorg en Welzijn",
    "Economische Zaken",
    "Vergunningen",
    "Openbare Orde en Veiligheid",
    "Opvang en Huisvesting",
    "Communicatie",
)
DEMO_START_DATES = {"corona": date(2020, 3, 15), "oekraine": date(2022, 3, 1)}
DEMO_HOME_MUNICIPALITY = "GM0402"


@dataclass(frozen=True)
class DemoSummary:
    """What seed-demo added, and how to log in."""

    created: dict[str, int]
    usernames: tuple[str, ...]
    password: str


def demo_password(instance_path: Path, given: str | None) -> str:
    """Return the demo password: the given one, or one generated once and kept in instance/."""
    if given:
        return given
    password_file = instance_path / "demo_login.txt"
    if password_file.exists():
        return password_file.read_text(encoding="utf-8").strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(12)
    password_file.write_text(password, encoding="utf-8")
    password_file.chmod(0o600)
    return password


def demo_user(role: Role) -> User:
    """The demo user of a role (its username is the role's code)."""
    return db.session.scalars(select(User).where(User.username == role.value)).one()


def seed_demo(password: str, *, with_faq: bool = False) -> DemoSummary:
    """Add whatever demo data is missing; running it again changes nothing.

    `with_faq` also publishes a few FAQ entries (the demo app wants them; most tests start
    from an FAQ of their own).
    """
    created = {"gemeenten": 0, "afdelingen": 0, "crises": 0, "onderwerpen": 0, "gebruikers": 0}
    created["e-mailsjablonen"] = 0
    municipalities = {m.cbs_code: m for m in db.session.execute(select(Municipality)).scalars()}
    for code, name in GOOI_EN_VECHTSTREEK:
        if code not in municipalities:
            municipalities[code] = Municipality(cbs_code=code, name=name)
            db.session.add(municipalities[code])
            created["gemeenten"] += 1
    departments = {d.name: d for d in db.session.execute(select(Department)).scalars()}
    for name in DEPARTMENTS:
        if name not in departments:
            departments[name] = Department(name=name)
            db.session.add(departments[name])
            created["afdelingen"] += 1
    for template in CRISIS_TEMPLATES.values():
        crisis_added, topics_added = add_crisis_from_template(
            template, departments, start_date=DEMO_START_DATES.get(template.code)
        )
        created["crises"] += crisis_added
        created["onderwerpen"] += topics_added
    # Every crisis gets the standard answer letter, for the coordinator to adapt.
    db.session.flush()
    for crisis in db.session.execute(select(Crisis)).scalars():
        created["e-mailsjablonen"] += ensure_default_template(crisis)
    existing_users = set(db.session.execute(select(User.username)).scalars())
    usernames = tuple(role.value for role in Role)
    password_hash = hash_password(password)
    for role in Role:
        if role.value not in existing_users:
            db.session.add(
                User(
                    username=role.value,
                    full_name=f"Demo {role.label}",
                    role=role.value,
                    password_hash=password_hash,
                    municipality=municipalities[DEMO_HOME_MUNICIPALITY],
                    department=departments["Publiekszaken"] if role is Role.SPECIALIST else None,
                )
            )
            created["gebruikers"] += 1
    db.session.commit()
    if with_faq:
        created["veelgestelde vragen"] = seed_demo_faq(
            demo_user(Role.COORDINATOR), demo_user(Role.ANALYST)
        )
    return DemoSummary(created=created, usernames=usernames, password=password)
