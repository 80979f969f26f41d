"""Reference data: municipalities, departments, crises and their topics."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from kcc.exceptions import NotFound, ValidationFailed
from kcc.extensions import db
from kcc.reference.crisis_templates import CRISIS_TEMPLATES, CrisisTemplate
from kcc.reference.models import Crisis, Department, Municipality, Topic

CBS_CODE_PATTERN = re.compile(r"^GM\d{4}$")
CRISIS_CODE_PATTERN = re.compile(r"^[a-z0-9_-]+$")
TOPIC_CODE_PATTERN = re.compile(r"^[a-z0-9_]+$")


@dataclass(frozen=True)
class MunicipalityInput:
    """What an administrator enters for a municipality."""

    cbs_code: str
    name: str
    is_active: bool = True


@dataclass(frozen=True)
class DepartmentInput:
    """What an administrator enters for a department."""

    name: str
    email: str | None = None
    is_active: bool = True


@dataclass(frozen=True)
class CrisisInput:
    """The editable details of a crisis; its code is fixed once created."""

    name: str
    start_date: date
    description: str = ""
    is_active: bool = True
    # Service level for escalations, in working hours (see kcc/escalation/calendar.py).
    response_hours: float = 17.0


@dataclass(frozen=True)
class TopicInput:
    """The editable details of a topic; its code is fixed once created."""

    name: str
    description: str = ""
    default_department_id: int | None = None
    is_active: bool = True
    # Empty: the crisis's service level applies.
    response_hours: float | None = None


# Half an hour up to ten working weeks: anything outside is a typo, not a service level.
MIN_RESPONSE_HOURS = 0.5
MAX_RESPONSE_HOURS = 425.0


def check_response_hours(hours: float | None) -> None:
    """Refuse a service level no contact centre would mean."""
    if hours is not None and not MIN_RESPONSE_HOURS <= hours <= MAX_RESPONSE_HOURS:
        raise ValidationFailed(
            f"Kies een termijn tussen {MIN_RESPONSE_HOURS:g} en {MAX_RESPONSE_HOURS:g} werkuren.",
            field="response_hours",
        )


def commit_unless_duplicate(message: str, *, field: str) -> None:
    """Commit; a unique constraint another request won meanwhile becomes a ValidationFailed."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ValidationFailed(message, field=field) from None


def require_text(value: str, message: str, *, field: str) -> str:
    """Return the stripped value, or refuse an empty one."""
    text = value.strip()
    if not text:
        raise ValidationFailed(message, field=field)
    return text


def count_reference_data() -> dict[str, int]:
    """Return how many municipalities, departments, crises and topics exist."""
    return {
        name: db.session.execute(select(func.count()).select_from(model)).scalar_one()
        for name, model in (
            ("municipalities", Municipality),
            ("departments", Department),
            ("crises", Crisis),
            ("topics", Topic),
        )
    }


# Municipalities


def list_municipalities() -> list[Municipality]:
    """Return every municipality, by name."""
    return list(db.session.execute(select(Municipality).order_by(Municipality.name)).scalars())


def get_municipality(municipality_id: int) -> Municipality:
    """Return a municipality by id or raise NotFound."""
    municipality = db.session.get(Municipality, municipality_id)
    if municipality is None:
        raise NotFound("Deze gemeente bestaat niet.")
    return municipality


def normalise_cbs_code(code: str) -> str:
    """Check a CBS code (GM and four digits) and return it in upper case."""
    cbs_code = code.strip().upper()
    if not CBS_CODE_PATTERN.fullmatch(cbs_code):
        raise ValidationFailed(
            "Een CBS-code is GM met vier cijfers, bijvoorbeeld GM0402.", field="cbs_code"
        )
    return cbs_code


def check_cbs_code_is_free(cbs_code: str, *, except_id: int | None = None) -> None:
    """Refuse a CBS code another municipality already has."""
    query = select(Municipality.name).where(Municipality.cbs_code == cbs_code)
    if except_id is not None:
        query = query.where(Municipality.id != except_id)
    holder = db.session.execute(query).scalar_one_or_none()
    if holder is not None:
        raise ValidationFailed(
            f"De CBS-code {cbs_code} is al in gebruik bij gemeente {holder}.", field="cbs_code"
        )


def create_municipality(data: MunicipalityInput) -> Municipality:
    """Add a municipality with a unique CBS code."""
    cbs_code = normalise_cbs_code(data.cbs_code)
    name = require_text(data.name, "Vul de naam van de gemeente in.", field="name")
    check_cbs_code_is_free(cbs_code)
    municipality = Municipality(cbs_code=cbs_code, name=name, is_active=data.is_active)
    db.session.add(municipality)
    commit_unless_duplicate(f"De CBS-code {cbs_code} is al in gebruik.", field="cbs_code")
    return municipality


def update_municipality(municipality_id: int, data: MunicipalityInput) -> Municipality:
    """Change a municipality's CBS code, name or active state."""
    municipality = get_municipality(municipality_id)
    cbs_code = normalise_cbs_code(data.cbs_code)
    name = require_text(data.name, "Vul de naam van de gemeente in.", field="name")
    check_cbs_code_is_free(cbs_code, except_id=municipality.id)
    municipality.cbs_code = cbs_code
    municipality.name = name
    municipality.is_active = data.is_active
    commit_unless_duplicate(f"De CBS-code {cbs_code} is al in gebruik.", field="cbs_code")
    return municipality


# Departments


def list_departments() -> list[Department]:
    """Return every department, by name."""
    return list(db.session.execute(select(Department).order_by(Department.name)).scalars())


def list_active_departments() -> list[Department]:
    """Departments that take work, by name."""
    return list(
        db.session.execute(
            select(Department).where(Department.is_active.is_(True)).order_by(Department.name)
        ).scalars()
    )


def get_department(department_id: int) -> Department:
    """Return a department by id or raise NotFound."""
    department = db.session.get(Department, department_id)
    if department is None:
        raise NotFound("Deze afdeling bestaat niet.")
    return department


def check_department_name_is_free(name: str, *, except_id: int | None = None) -> None:
    """Refuse a name another department already has, whatever its capitals."""
    query = select(Department.id).where(func.lower(Department.name) == name.lower())
    if except_id is not None:
        query = query.where(Department.id != except_id)
    if db.session.execute(query).first():
        raise ValidationFailed(f"Er is al een afdeling met de naam {name}.", field="name")


def create_department(data: DepartmentInput) -> Department:
    """Add a department with a unique name."""
    name = require_text(data.name, "Vul de naam van de afdeling in.", field="name")
    check_department_name_is_free(name)
    department = Department(
        name=name, email=(data.email or "").strip() or None, is_active=data.is_active
    )
    db.session.add(department)
    commit_unless_duplicate(f"Er is al een afdeling met de naam {name}.", field="name")
    return department


def update_department(department_id: int, data: DepartmentInput) -> Department:
    """Change a department's name, e-mail address or active state."""
    department = get_department(department_id)
    name = require_text(data.name, "Vul de naam van de afdeling in.", field="name")
    check_department_name_is_free(name, except_id=department.id)
    department.name = name
    department.email = (data.email or "").strip() or None
    department.is_active = data.is_active
    commit_unless_duplicate(f"Er is al een afdeling met de naam {name}.", field="name")
    return department


# Crises and topics


def list_crises_with_topic_counts() -> list[tuple[Crisis, int]]:
    """Return every crisis with its number of topics: active ones first, newest first."""
    topic_count = func.count(Topic.id)
    rows = db.session.execute(
        select(Crisis, topic_count)
        .outerjoin(Topic, Topic.crisis_id == Crisis.id)
        .group_by(Crisis.id)
        .order_by(Crisis.is_active.desc(), Crisis.start_date.desc(), Crisis.name)
    ).all()
    return [(crisis, count) for crisis, count in rows]


def get_crisis(crisis_id: int) -> Crisis:
    """Return a crisis by id or raise NotFound."""
    crisis = db.session.get(Crisis, crisis_id)
    if crisis is None:
        raise NotFound("Deze crisis bestaat niet.")
    return crisis


def list_topics(crisis_id: int) -> list[Topic]:
    """Return a crisis's topics by name, with their default departments loaded."""
    return list(
        db.session.execute(
            select(Topic)
            .where(Topic.crisis_id == crisis_id)
            .options(selectinload(Topic.default_department))
            .order_by(Topic.name)
        ).scalars()
    )


def get_topic(topic_id: int) -> Topic:
    """Return a topic by id or raise NotFound."""
    topic = db.session.get(Topic, topic_id)
    if topic is None:
        raise NotFound("Dit onderwerp bestaat niet.")
    return topic


def apply_crisis_details(crisis: Crisis, data: CrisisInput) -> None:
    """Check the editable details, then copy them onto a crisis."""
    name = require_text(data.name, "Vul de naam van de crisis in.", field="name")
    crisis.name = name
    crisis.description = data.description.strip()
    crisis.start_date = data.start_date
    crisis.is_active = data.is_active
    check_response_hours(data.response_hours)
    crisis.response_hours = data.response_hours


def create_crisis(code: str, data: CrisisInput, *, template_code: str | None = None) -> Crisis:
    """Add a crisis with a unique code, with the topics of a template when one is chosen."""
    crisis_code = code.strip().lower()
    if not CRISIS_CODE_PATTERN.fullmatch(crisis_code):
        raise ValidationFailed(
            "Gebruik voor de code alleen kleine letters, cijfers, - en _.", field="code"
        )
    template = None
    if template_code:
        template = CRISIS_TEMPLATES.get(template_code)
        if template is None:
            raise ValidationFailed(f"Onbekend sjabloon {template_code!r}.", field="template")
    if db.session.execute(select(Crisis.id).where(Crisis.code == crisis_code)).first():
        raise ValidationFailed(f"Er is al een crisis met de code {crisis_code}.", field="code")
    # Every query runs before the new crisis joins the session, so autoflush cannot insert
    # it early and a lost race on the code surfaces at the one commit below.
    departments = {department.name: department for department in list_departments()}
    crisis = Crisis(code=crisis_code)
    apply_crisis_details(crisis, data)
    db.session.add(crisis)
    if template is not None:
        add_template_topics(crisis, template, departments)
    commit_unless_duplicate(f"Er is al een crisis met de code {crisis_code}.", field="code")
    return crisis


def update_crisis(crisis_id: int, data: CrisisInput) -> Crisis:
    """Change a crisis's name, description, start date or active state."""
    crisis = get_crisis(crisis_id)
    apply_crisis_details(crisis, data)
    db.session.commit()
    return crisis


def check_default_department(department_id: int | None) -> None:
    """Refuse a default department that does not exist."""
    if department_id is not None and db.session.get(Department, department_id) is None:
        raise ValidationFailed("Deze afdeling bestaat niet.", field="default_department_id")


def apply_topic_details(topic: Topic, data: TopicInput) -> None:
    """Check the editable details, then copy them onto a topic."""
    name = require_text(data.name, "Vul de naam van het onderwerp in.", field="name")
    check_default_department(data.default_department_id)
    topic.name = name
    topic.description = data.description.strip()
    topic.default_department_id = data.default_department_id
    topic.is_active = data.is_active
    check_response_hours(data.response_hours)
    topic.response_hours = data.response_hours


def create_topic(crisis_id: int, code: str, data: TopicInput) -> Topic:
    """Add a topic to a crisis; its code is unique within that crisis."""
    crisis = get_crisis(crisis_id)
    topic_code = code.strip().lower()
    if not TOPIC_CODE_PATTERN.fullmatch(topic_code):
        raise ValidationFailed(
            "Gebruik voor de code alleen kleine letters, cijfers en _.", field="code"
        )
    taken = db.session.execute(
        select(Topic.id).where(Topic.crisis_id == crisis.id, Topic.code == topic_code)
    ).first()
    if taken:
        raise ValidationFailed(
            f"Crisis {crisis.name} heeft al een onderwerp met de code {topic_code}.",
            field="code",
        )
    topic = Topic(code=topic_code)
    apply_topic_details(topic, data)
    crisis.topics.append(topic)  # only now: the checks above query, and autoflush must wait
    commit_unless_duplicate(
        f"Crisis {crisis.name} heeft al een onderwerp met de code {topic_code}.", field="code"
    )
    return topic


def update_topic(topic_id: int, data: TopicInput) -> Topic:
    """Change a topic's name, description, default department or active state."""
    topic = get_topic(topic_id)
    apply_topic_details(topic, data)
    db.session.commit()
    return topic


def add_template_topics(
    crisis: Crisis, template: CrisisTemplate, departments: dict[str, Department]
) -> int:
    """Add the template's topics the crisis lacks, with their default departments by name."""
    known_codes = {topic.code for topic in crisis.topics}
    topics_added = 0
    for topic in template.topics:
        if topic.code in known_codes:
            continue
        crisis.topics.append(
            Topic(
                code=topic.code,
                name=topic.name,
                description=topic.description,
                default_department=departments.get(topic.department or ""),
            )
        )
        topics_added += 1
    return topics_added


def add_crisis_from_template(
    template: CrisisTemplate,
    departments: dict[str, Department],
    *,
    start_date: date | None = None,
) -> tuple[int, int]:
    """Add a template's crisis and any of its missing topics; the caller commits.

    Returns how many crises (0 or 1) and topics were added.
    """
    crisis = db.session.execute(
        select(Crisis).where(Crisis.code == template.code)
    ).scalar_one_or_none()
    crisis_added = 0
    if crisis is None:
        crisis = Crisis(
            code=template.code,
            name=template.name,
            description=template.description,
            start_date=start_date or date.today(),
            is_active=True,
        )
        db.session.add(crisis)
        crisis_added = 1
    return crisis_added, add_template_topics(crisis, template, departments)


# What intake offers: active records only


def list_active_municipalities() -> list[Municipality]:
    """Return the municipalities an agent may register a question for, by name."""
    return list(
        db.session.execute(
            select(Municipality).where(Municipality.is_active).order_by(Municipality.name)
        ).scalars()
    )


def list_active_crises() -> list[Crisis]:
    """Return the running crises, the most recently started first (the default choice)."""
    return list(
        db.session.execute(
            select(Crisis)
            .where(Crisis.is_active)
            .order_by(Crisis.start_date.desc(), Crisis.name)
            .options(selectinload(Crisis.topics))
        ).scalars()
    )


def list_crises_with_topics() -> list[Crisis]:
    """Return every crisis with its topics loaded, active ones first (search filters, API)."""
    return list(
        db.session.execute(
            select(Crisis)
            .order_by(Crisis.is_active.desc(), Crisis.start_date.desc(), Crisis.name)
            .options(selectinload(Crisis.topics))
        ).scalars()
    )


def find_municipality_by_cbs_code(cbs_code: str) -> Municipality | None:
    """Return the municipality with this CBS code (any case), if it exists."""
    if "\x00" in cbs_code:  # PostgreSQL refuses NUL in a parameter; no code contains one
        return None
    return db.session.execute(
        select(Municipality).where(Municipality.cbs_code == cbs_code.strip().upper())
    ).scalar_one_or_none()


def find_crisis_by_code(code: str) -> Crisis | None:
    """Return the crisis with this code, if it exists."""
    if "\x00" in code:
        return None
    return db.session.execute(
        select(Crisis).where(Crisis.code == code.strip().lower())
    ).scalar_one_or_none()
