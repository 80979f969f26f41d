"""Intake fixtures: the demo region and a way to fill in the registration form."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy import select

from kcc.extensions import db
from kcc.reference.models import Crisis, Municipality


@dataclass(frozen=True)
class DemoIds:
    """Ids of demo records tests register questions against."""

    hilversum: int
    huizen: int
    corona: int
    oekraine: int


@pytest.fixture
def ids(app: Flask, demo: None) -> DemoIds:
    """The demo municipalities and crises by id."""
    with app.app_context():
        municipality = {m.name: m.id for m in db.session.execute(select(Municipality)).scalars()}
        crisis = {c.code: c.id for c in db.session.execute(select(Crisis)).scalars()}
    return DemoIds(
        hilversum=municipality["Hilversum"],
        huizen=municipality["Huizen"],
        corona=crisis["corona"],
        oekraine=crisis["oekraine"],
    )
