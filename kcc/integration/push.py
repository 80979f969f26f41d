"""Pushing questions to a Klantinteracties API (Open Klant): send, log, retry with back-off.

Order of calls, per the API (0.1.2):
1. POST /maak-klantcontact creates the klantcontact, its betrokkene and its onderwerpobject in
   one request (so Open Klant never holds a contact without its caller).
2. POST /digitaleadressen per phone number and e-mail address, linked to the betrokkene.
3. POST /internetaken for an escalation, linked to the klantcontact.
A second push of the same question updates (PATCH) what exists, and creates what is missing:
Open Klant's uuids are kept in the push log, and addresses are found back by their referentie.

A network failure, a timeout, 408, 429 or a 5xx is retried later with exponential back-off;
any other refusal (a 4xx, a document our schema rejects) needs a person and fails at once.
Settings: KLANTINTERACTIES_URL (the API root, e.g. https://.../klantinteracties/api/v1),
KLANTINTERACTIES_TOKEN (sent as `Authorization: Token ...`), KLANTINTERACTIES_TIMEOUT (s).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import current_app
from sqlalchemy import case, func, or_, select

from kcc.auth.models import User
from kcc.escalation.models import Escalation
from kcc.exceptions import KccError, NotFound
from kcc.extensions import db, utcnow
from kcc.governance.audit import record_event
from kcc.governance.models import AuditAction
from kcc.intake.models import Question
from kcc.integration.klantinteracties import Links, export_errors, export_question
from kcc.integration.models import KlantinteractiesPush
from kcc.localtime import format_local

DEFAULT_TIMEOUT = 10.0
# 1, 2, 4, 8 ... minutes between attempts, never more than six hours; after the last attempt
# a person looks at it (the admin screen's "opnieuw proberen").
FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=6)
MAX_ATTEMPTS = 8
DEFAULT_BATCH = 100
RETRYABLE_STATUSES = frozenset({408, 429})
MAX_ERROR_DETAIL = 300


class PushStatus(StrEnum):
    """Where a question's push stands."""

    WAITING = "wachtend"
    SENT = "verzonden"
    FAILED = "mislukt"

    @property
    def label(self) -> str:
        """Dutch name shown on the screen."""
        return self.value.capitalize()


class NotConfigured(KccError):
    """No Open Klant address is configured."""


class RemoteError(Exception):
    """A call to Open Klant failed; the message is Dutch and says what to do."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class OpenKlantSettings:
    """Where Open Klant is and how to log in."""

    base_url: str
    token: str
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> OpenKlantSettings:
        """The settings from the app's config; NotConfigured without a usable URL."""
        base_url = (config.get("KLANTINTERACTIES_URL") or "").strip().rstrip("/")
        if not base_url:
            raise NotConfigured("Er is geen Open Klant ingesteld (KLANTINTERACTIES_URL).")
        # Only http(s): urllib also opens file:// and ftp:// addresses.
        if urlsplit(base_url).scheme not in {"http", "https"}:
            raise NotConfigured("KLANTINTERACTIES_URL moet met http:// of https:// beginnen.")
        return cls(
            base_url=base_url,
            token=config.get("KLANTINTERACTIES_TOKEN") or "",
            timeout=float(config.get("KLANTINTERACTIES_TIMEOUT") or DEFAULT_TIMEOUT),
        )


def is_configured() -> bool:
    """Tell whether pushes can be sent at all."""
    try:
        OpenKlantSettings.from_config(current_app.config)
    except NotConfigured:
        return False
    return True


class OpenKlantClient:
    """JSON over HTTP to one Klantinteracties API, with the token Open Klant expects."""

    def __init__(self, settings: OpenKlantSettings) -> None:
        self.settings = settings

    def call(
        self,
        method: str,
        path: str,
        step: str,
        body: dict[str, Any] | None = None,
        query: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """One request; the answer's JSON, or RemoteError naming the step in Dutch."""
        url = self.settings.base_url + path + ("?" + urlencode(query) if query else "")
        request = urllib.request.Request(  # noqa: S310  the scheme is checked in from_config
            url,
            method=method,
            data=json.dumps(body).encode("utf-8") if body is not None else None,
            headers={
                "Authorization": f"Token {self.settings.token}",
                "Accept": "application/json",
                "Content-Type": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.settings.timeout) as response:  # noqa: S310
                payload = response.read()
        except urllib.error.HTTPError as error:
            raise refusal(error, step) from error
        except TimeoutError as error:
            raise self.timed_out(step) from error
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            if isinstance(reason, TimeoutError):  # a timeout while connecting
                raise self.timed_out(step) from error
            raise RemoteError(
                f"Open Klant is niet bereikbaar bij {step} ({reason}).", retryable=True
            ) from error
        try:
            return json.loads(payload) if payload else {}  # type: ignore[no-any-return]
        except ValueError as error:
            raise RemoteError(
                f"Open Klant gaf geen geldige JSON terug bij {step}.", retryable=True
            ) from error

    def timed_out(self, step: str) -> RemoteError:
        """No answer in time: worth another try later."""
        return RemoteError(
            f"Open Klant antwoordde niet binnen {self.settings.timeout:g} seconden bij {step}.",
            retryable=True,
        )

    def create(self, path: str, body: dict[str, Any], step: str) -> dict[str, Any]:
        """POST a new document."""
        return self.call("POST", path, step, body)

    def update(self, path: str, uuid: str, body: dict[str, Any], step: str) -> dict[str, Any]:
        """PATCH an existing document, addressed by its uuid under our own base URL."""
        return self.call("PATCH", f"{path}/{uuid}", step, body)

    def find(self, path: str, query: dict[str, str], step: str) -> list[dict[str, Any]]:
        """GET a filtered list; the `results` of the first page."""
        results = self.call("GET", path, step, query=query).get("results")
        return results if isinstance(results, list) else []


def refusal(error: urllib.error.HTTPError, step: str) -> RemoteError:
    """An HTTP error status as a Dutch message; server trouble is worth another try."""
    status = error.code
    if status >= 500:
        return RemoteError(f"Open Klant gaf een serverfout ({status}) bij {step}.", retryable=True)
    if status in RETRYABLE_STATUSES:
        return RemoteError(
            f"Open Klant vroeg om het later opnieuw te proberen ({status}) bij {step}.",
            retryable=True,
        )
    if status in {401, 403}:
        return RemoteError(
            f"Open Klant weigerde de toegang ({status}) bij {step}: controleer "
            "KLANTINTERACTIES_TOKEN en de rechten van dat token.",
            retryable=False,
        )
    detail = refusal_detail(error)
    return RemoteError(
        f"Open Klant weigerde {step} ({status})" + (f": {detail}" if detail else "."),
        retryable=False,
    )


def refusal_detail(error: urllib.error.HTTPError) -> str:
    """What Open Klant said was wrong (its invalidParams), shortened for the log."""
    try:
        body = json.loads(error.read() or b"{}")
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    params = body.get("invalidParams") or []
    parts = [
        f"{param.get('name', '')}: {param.get('reason', '')}"
        for param in params
        if isinstance(param, dict)
    ]
    text = "; ".join(parts) or str(body.get("detail") or body.get("title") or "")
    return text[:MAX_ERROR_DETAIL]


def uuid_of(document: Mapping[str, Any]) -> str:
    """A created document's uuid: its `uuid`, or the last part of its `url`."""
    if document.get("uuid"):
        return str(document["uuid"])
    return str(document.get("url", "")).rstrip("/").rsplit("/", 1)[-1]


def url_of(document: Mapping[str, Any], client: OpenKlantClient, path: str) -> str:
    """A created document's URL as Open Klant names it (built from the uuid if missing)."""
    return str(document.get("url") or f"{client.settings.base_url}{path}/{uuid_of(document)}")


def retry_delay(attempts: int) -> timedelta:
    """Wait before attempt `attempts + 1`: doubling from one minute, at most six hours."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_WAIT)


def push_of(question_id: int, now: datetime) -> KlantinteractiesPush:
    """The question's push log row, made (waiting) on the first push."""
    push = db.session.execute(
        select(KlantinteractiesPush).where(KlantinteractiesPush.question_id == question_id)
    ).scalar_one_or_none()
    if push is None:
        push = KlantinteractiesPush(
            question_id=question_id,
            status=PushStatus.WAITING.value,
            attempts=0,
            last_error="",
            created_at=now,
        )
        db.session.add(push)
    return push


def push_question(
    question_id: int,
    *,
    now: datetime | None = None,
    user: User | None = None,
    client: OpenKlantClient | None = None,
) -> KlantinteractiesPush:
    """Send one question to Open Klant now and log the outcome; returns the log row."""
    now = now or utcnow()
    client = client or OpenKlantClient(OpenKlantSettings.from_config(current_app.config))
    question = db.session.get(Question, question_id)
    if question is None:
        raise NotFound("Deze vraag bestaat niet.")
    push = push_of(question_id, now)
    push.attempts += 1
    try:
        send_question(question, push, client)
    except RemoteError as error:
        record_failure(push, str(error), retryable=error.retryable, now=now)
    else:
        record_success(push, question, user=user, now=now)
    db.session.commit()
    return push


def record_success(
    push: KlantinteractiesPush, question: Question, *, user: User | None, now: datetime
) -> None:
    """Mark the push sent; the transfer of personal data goes into the audit log."""
    push.status = PushStatus.SENT.value
    push.pushed_at = now
    push.last_error = ""
    push.next_attempt_at = None
    record_event(
        AuditAction.KLANTINTERACTIES_PUSHED,
        object_type="question",
        object_id=question.id,
        detail=f"naar Klantinteracties (Open Klant) verstuurd: {push.klantcontact_url}",
        user_id=user.id if user else None,
        username=user.username if user else "klantinteracties-push",
        now=now,
    )


def record_failure(
    push: KlantinteractiesPush, message: str, *, retryable: bool, now: datetime
) -> None:
    """Keep the reason; plan the next attempt, or give up after the last one."""
    if retryable and push.attempts < MAX_ATTEMPTS:
        push.status = PushStatus.WAITING.value
        push.next_attempt_at = now + retry_delay(push.attempts)
        push.last_error = (
            f"{message} Poging {push.attempts} van {MAX_ATTEMPTS}; volgende poging "
            f"{format_local(push.next_attempt_at)}."
        )
    else:
        push.status = PushStatus.FAILED.value
        push.next_attempt_at = None
        suffix = f" Gestopt na {push.attempts} pogingen." if retryable else ""
        push.last_error = message + suffix


def send_question(question: Question, push: KlantinteractiesPush, client: OpenKlantClient) -> None:
    """Create or update every document of the question, remembering what Open Klant made."""
    provisional = export_question(question, include_personal_data=True)
    check_documents(provisional)
    klantcontact_uuid, betrokkene_uuid = send_klantcontact(provisional, push, client)
    links = Links(klantcontact=klantcontact_uuid, betrokkene=betrokkene_uuid)
    bundle = export_question(question, include_personal_data=True, links=links)
    check_documents(bundle)
    if bundle["digitaleAdressen"]:
        send_addresses(bundle["digitaleAdressen"], client)
    if bundle["interneTaak"] is not None:
        send_task(bundle["interneTaak"], push, client)


def check_documents(bundle: dict[str, Any]) -> None:
    """Refuse to send what Open Klant would refuse: our schema says exactly why."""
    problems = export_errors(bundle)
    if problems:
        raise RemoteError(
            "De gegevens passen niet in de Klantinteracties-API: " + "; ".join(problems[:3]),
            retryable=False,
        )


def send_klantcontact(
    bundle: dict[str, Any], push: KlantinteractiesPush, client: OpenKlantClient
) -> tuple[str, str | None]:
    """Create klantcontact, betrokkene and onderwerpobject at once, or update the klantcontact.

    Returns the uuids of the klantcontact and (when the caller left contact details) the
    betrokkene.
    """
    body = bundle["maakKlantcontact"]
    wants_betrokkene = "betrokkene" in body
    if push.klantcontact_url is None:
        created = client.create("/maak-klantcontact", body, "het klantcontact aanmaken")
        klantcontact = created.get("klantcontact") or {}
        klantcontact_uuid = uuid_of(klantcontact)
        betrokkene_uuid = uuid_of(created.get("betrokkene") or {}) if wants_betrokkene else None
        if not klantcontact_uuid or betrokkene_uuid == "":
            raise RemoteError(
                "Open Klant noemde geen uuid van het nieuwe klantcontact of de betrokkene.",
                retryable=False,
            )
        push.klantcontact_url = url_of(klantcontact, client, "/klantcontacten")
        # Stored at once: Open Klant cannot take the contact back, so a crash before the
        # final commit must not make the next attempt create it a second time.
        db.session.commit()
        return klantcontact_uuid, betrokkene_uuid
    # Never follow a URL from a response with our token: address it under our own base URL.
    klantcontact_uuid = push.klantcontact_url.rstrip("/").rsplit("/", 1)[-1]
    client.update(
        "/klantcontacten", klantcontact_uuid, body["klantcontact"], "het klantcontact bijwerken"
    )
    if not wants_betrokkene:
        return klantcontact_uuid, None
    return klantcontact_uuid, existing_or_new_betrokkene(body, klantcontact_uuid, client)


def existing_or_new_betrokkene(
    body: dict[str, Any], klantcontact_uuid: str, client: OpenKlantClient
) -> str:
    """The klantcontact's betrokkene in Open Klant, added if an earlier push made none."""
    found = client.find(
        "/betrokkenen", {"hadKlantcontact__uuid": klantcontact_uuid}, "de betrokkene zoeken"
    )
    if found:
        return uuid_of(found[0])
    created = client.create(
        "/betrokkenen",
        {**body["betrokkene"], "hadKlantcontact": {"uuid": klantcontact_uuid}},
        "de betrokkene aanmaken",
    )
    return uuid_of(created)


def send_addresses(addresses: list[dict[str, Any]], client: OpenKlantClient) -> None:
    """Create each digital address Open Klant does not have yet (found by its referentie)."""
    for address in addresses:
        found = client.find(
            "/digitaleadressen", {"referentie": address["referentie"]}, "het adres zoeken"
        )
        if not found:
            client.create("/digitaleadressen", address, "het digitale adres aanmaken")


def send_task(task: dict[str, Any], push: KlantinteractiesPush, client: OpenKlantClient) -> None:
    """Create the interne taak, or bring its status and text up to date."""
    if push.interne_taak_url is None:
        created = client.create("/internetaken", task, "de interne taak aanmaken")
        push.interne_taak_url = url_of(created, client, "/internetaken")
        db.session.commit()  # as for the klantcontact: never create it twice
        return
    task_uuid = push.interne_taak_url.rstrip("/").rsplit("/", 1)[-1]
    client.update("/internetaken", task_uuid, task, "de interne taak bijwerken")


def due_question_ids(*, now: datetime, limit: int = DEFAULT_BATCH) -> list[int]:
    """Questions to push now: never pushed, waiting and due, or changed since they were sent.

    Failed pushes wait for a person (retry_push); they are not picked up again.
    """
    pushed = select(KlantinteractiesPush.question_id)
    never = select(Question.id).where(Question.id.not_in(pushed)).order_by(Question.id)
    waiting = (
        select(KlantinteractiesPush.question_id)
        .where(
            KlantinteractiesPush.status == PushStatus.WAITING.value,
            or_(
                KlantinteractiesPush.next_attempt_at.is_(None),
                KlantinteractiesPush.next_attempt_at <= now,
            ),
        )
        .order_by(KlantinteractiesPush.next_attempt_at, KlantinteractiesPush.id)
    )
    changed = (
        select(KlantinteractiesPush.question_id)
        .join(Question, Question.id == KlantinteractiesPush.question_id)
        .outerjoin(Escalation, Escalation.question_id == Question.id)
        .where(
            KlantinteractiesPush.status == PushStatus.SENT.value,
            or_(
                Question.updated_at > KlantinteractiesPush.pushed_at,
                Escalation.updated_at > KlantinteractiesPush.pushed_at,
            ),
        )
        .order_by(KlantinteractiesPush.id)
    )
    ids: list[int] = []
    for query in (waiting, changed, never):
        remaining = limit - len(ids)
        if remaining <= 0:
            break
        ids.extend(db.session.execute(query.limit(remaining)).scalars())
    return ids


@dataclass(frozen=True)
class PushSummary:
    """What one run over the pending questions did."""

    sent: int
    waiting: int
    failed: int


def push_pending(
    *, now: datetime | None = None, limit: int = DEFAULT_BATCH, user: User | None = None
) -> PushSummary:
    """Push every question that is due (see due_question_ids), at most `limit` of them."""
    now = now or utcnow()
    client = OpenKlantClient(OpenKlantSettings.from_config(current_app.config))
    counts = {status: 0 for status in PushStatus}
    for question_id in due_question_ids(now=now, limit=limit):
        push = push_question(question_id, now=now, user=user, client=client)
        counts[PushStatus(push.status)] += 1
    return PushSummary(
        sent=counts[PushStatus.SENT],
        waiting=counts[PushStatus.WAITING],
        failed=counts[PushStatus.FAILED],
    )


def retry_push(push_id: int, *, user: User, now: datetime | None = None) -> KlantinteractiesPush:
    """A person asks for another try: the count starts over and the push runs now."""
    client = OpenKlantClient(OpenKlantSettings.from_config(current_app.config))
    push = db.session.get(KlantinteractiesPush, push_id)
    if push is None:
        raise NotFound("Deze verzending bestaat niet.")
    push.attempts = 0
    push.status = PushStatus.WAITING.value
    push.next_attempt_at = None
    return push_question(push.question_id, now=now, user=user, client=client)


def list_pushes(page: int, per_page: int = 50) -> Any:
    """The push log for the screen, failures and waiting ones first, then the newest."""
    order = case(
        (KlantinteractiesPush.status == PushStatus.FAILED.value, 0),
        (KlantinteractiesPush.status == PushStatus.WAITING.value, 1),
        else_=2,
    )
    query = select(KlantinteractiesPush).order_by(order, KlantinteractiesPush.id.desc())
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def counts_by_status() -> dict[str, int]:
    """How many pushes are in each status (every status listed, zero included)."""
    rows = db.session.execute(
        select(KlantinteractiesPush.status, func.count()).group_by(KlantinteractiesPush.status)
    ).all()
    counts = {status.value: 0 for status in PushStatus}
    counts.update({status: count for status, count in rows})
    return counts


def references_of(question_ids: list[int]) -> dict[int, str]:
    """Reference numbers of these questions (the push log keeps only the id)."""
    if not question_ids:
        return {}
    rows = db.session.execute(
        select(Question.id, Question.reference).where(Question.id.in_(question_ids))
    ).all()
    return {question_id: reference or str(question_id) for question_id, reference in rows}


def export_documents(
    question_id: int, *, include_personal_data: bool, user: User | None = None
) -> dict[str, object]:
    """The Klantinteracties documents of one question; showing personal data is audited."""
    question = db.session.get(Question, question_id)
    if question is None:
        raise NotFound("Deze vraag bestaat niet.")
    bundle = export_question(question, include_personal_data=include_personal_data)
    if include_personal_data:
        record_event(
            AuditAction.VIEW_PERSONAL_DATA,
            object_type="question",
            object_id=question.id,
            detail="Klantinteracties-export",
            **({"user_id": user.id, "username": user.username} if user else {}),
        )
        db.session.commit()
    return bundle
