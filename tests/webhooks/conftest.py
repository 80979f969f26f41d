"""Webhook fixtures: a trustme CA, a real HTTPS receiver trusted through WEBHOOK_CA_BUNDLE, the
demo region by id, and endpoints registered the way the admin screen does it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme
from flask import Flask
from sqlalchemy import select

from kcc.auth.models import User
from kcc.extensions import db
from kcc.reference.models import Crisis, Municipality
from kcc.webhooks.events import WebhookEvent
from kcc.webhooks.services import EndpointInput, create_endpoint
from tests.webhooks.receiver import HttpsReceiver


@pytest.fixture(scope="session")
def certificate_authority(tmp_path_factory: pytest.TempPathFactory) -> tuple[trustme.CA, Path]:
    """A throwaway CA for the run, and its certificate as a PEM file."""
    ca = trustme.CA()
    path = tmp_path_factory.mktemp("webhook-ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return ca, path


@pytest.fixture
def receiver(app: Flask, certificate_authority: tuple[trustme.CA, Path]) -> Iterator[HttpsReceiver]:
    """An HTTPS receiver on 127.0.0.1 whose CA the app trusts (WEBHOOK_CA_BUNDLE)."""
    ca, path = certificate_authority
    server = HttpsReceiver(ca, path).start()
    app.config.update(WEBHOOK_CA_BUNDLE=str(path), WEBHOOK_TIMEOUT=5)
    yield server
    server.stop()


@dataclass(frozen=True)
class Region:
    """Ids of the demo records the tests use."""

    hilversum: int
    oekraine: int
    users: dict[str, int]


@pytest.fixture
def region(app: Flask, demo: None) -> Region:
    """The demo municipality Hilversum (GM0402), the crisis oekraine and the users."""
    with app.app_context():
        hilversum = db.session.execute(
            select(Municipality.id).where(Municipality.cbs_code == "GM0402")
        ).scalar_one()
        oekraine = db.session.execute(
            select(Crisis.id).where(Crisis.code == "oekraine")
        ).scalar_one()
        users = {user.username: user.id for user in db.session.scalars(select(User))}
        return Region(hilversum=hilversum, oekraine=oekraine, users=users)


RegisterEndpoint = Callable[..., int]


@pytest.fixture
def register_endpoint(app: Flask, region: Region) -> RegisterEndpoint:
    """Register an endpoint as the admin; every event unless told otherwise. Returns its id."""

    def register(
        url: str, *events: WebhookEvent, is_active: bool = True, description: str = ""
    ) -> int:
        chosen = tuple(event.value for event in (events or tuple(WebhookEvent)))
        with app.app_context():
            admin = db.session.get_one(User, region.users["admin"])
            endpoint = create_endpoint(
                EndpointInput(url=url, description=description, events=chosen, is_active=is_active),
                user=admin,
            )
            return endpoint.id

    return register
