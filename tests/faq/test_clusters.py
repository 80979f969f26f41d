"""Stored cluster runs, the cluster screens, "maak FAQ", comparing runs and "werkt het?"."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select

from kcc.auth.models import User
from kcc.exceptions import Conflict, ValidationFailed
from kcc.extensions import db, utcnow
from kcc.faq import clusters, editorial, impact
from kcc.faq.models import ClusterMember, ClusterRun, FaqEntry, QuestionCluster
from kcc.governance.models import AuditEvent
from kcc.intake.services import QuestionInput, register_question
from kcc.reference.models import Crisis, Municipality, Topic
from tests.faq.conftest import PublishEntry
from tests.helpers import AuthActions, csrf_token_from, post_form

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
ANSWER_MOST = "Het leefgeld wordt elke twee weken op vrijdag betaald."
ANSWER_LESS = "Op vrijdag, elke twee weken."
# (text, days before now, answer); five in the last week and two in the week before.
LEEFGELD = [
    ("Wanneer wordt het leefgeld betaald?", 1, ANSWER_MOST),
    ("wanneer wordt het leefgeld uitbetaald", 2, ANSWER_MOST),
    ("Wanneer wordt het leefgeld deze maand betaald?", 3, ANSWER_MOST),
    ("Mevrouw vraagt wanneer het leefgeld wordt betaald, bel 06-12345678", 4, ANSWER_LESS),
    ("wanneer wordt het leefgeld betaald? mail j.jansen@example.nl", 5, ANSWER_LESS),
    ("Wanneer wordt het leefgeld nu betaald", 8, ""),
    ("wanneer word het leefgeld betaald", 12, ""),
]
# Every one carries personal data, so the representative must too, masked.
OPVANG = [
    ("Waar is de opvanglocatie in Hilversum? Bel mij op 06-11223344", 9, ""),
    ("waar is de opvanglocatie, terugbellen 06-55667788", 9, ""),
    ("Waar is de opvanglocatie precies? Mail naar olena.k@example.com", 10, ""),
]
# Three times the same text: that text is the centre. The two answers are given once each.
IND_TEXT = "Hoe krijg ik een IND-sticker?"
IND = [
    (IND_TEXT, 2, "Maak een afspraak bij de balie van het gemeentehuis."),
    (IND_TEXT, 3, ""),
    (IND_TEXT, 4, ""),
    ("hoe kom ik aan een IND sticker", 5, "Bel de IND."),
    ("Hoe krijg je een IND sticker?", 6, ""),
]
ONE_OFFS = [
    ("Mag mijn kind naar school in Nederland?", 2, ""),
    ("Kan ik bij de huisarts terecht?", 3, ""),
    ("Ik wil graag Nederlandse les volgen", 4, ""),
]
PERSONAL_DATA = ("06-12345678", "j.jansen@example.nl", "06-11223344", "olena.k@example.com")


@dataclass(frozen=True)
class Place:
    """The demo records these tests register questions against."""

    oekraine: int
    corona: int
    hilversum: int
    leefgeld_topic: int
    users: dict[str, int]

    def user(self, name: str) -> User:
        """A demo user in the current session."""
        user = db.session.get(User, self.users[name])
        assert user is not None
        return user


@pytest.fixture
def place(app: Flask, demo: None) -> Place:
    """The oekraine crisis, its leefgeld topic, Hilversum and the demo users."""
    with app.app_context():
        crises = {c.code: c.id for c in db.session.scalars(select(Crisis))}
        hilversum = db.session.scalars(select(Municipality).where(Municipality.name == "Hilversum"))
        topic = db.session.scalars(
            select(Topic).where(Topic.crisis_id == crises["oekraine"], Topic.code == "leefgeld")
        ).one()
        return Place(
            oekraine=crises["oekraine"],
            corona=crises["corona"],
            hilversum=hilversum.one().id,
            leefgeld_topic=topic.id,
            users={u.username: u.id for u in db.session.scalars(select(User))},
        )


@pytest.fixture
def in_app(app: Flask) -> Iterator[None]:
    """Service tests run inside an app context (screen tests must not: requests share it)."""
    with app.app_context():
        yield


def register(
    place: Place,
    rows: list[tuple[str, int, str]],
    *,
    now: datetime = NOW,
    crisis_id: int | None = None,
    topic_id: int | None = None,
) -> list[int]:
    """Register questions (received `days` before now) through intake; their ids in order."""
    ids = []
    for text, days, answer in rows:
        received = now - timedelta(days=days, minutes=len(ids))
        question = register_question(
            QuestionInput(
                channel="telefoon",
                caller_type="inwoner",
                municipality_id=place.hilversum,
                crisis_id=crisis_id or place.oekraine,
                text=text,
                answer=answer,
                topic_id=topic_id,
                received_at=received,
            ),
            user_id=place.users["agent"],
            now=received,
        ).question
        ids.append(question.id)
    return ids


@dataclass(frozen=True)
class Burst:
    """The registered questions of each group, by id."""

    leefgeld: list[int]
    opvang: list[int]
    ind: list[int]


def register_burst(place: Place, *, now: datetime = NOW) -> Burst:
    """The three groups, some one-offs, and questions the run must leave out."""
    burst = Burst(
        leefgeld=register(place, LEEFGELD, now=now, topic_id=place.leefgeld_topic),
        opvang=register(place, OPVANG, now=now),
        ind=register(place, IND, now=now),
    )
    register(place, ONE_OFFS, now=now)
    # Outside the period, and of another crisis: not part of the run.
    register(place, [("Wanneer wordt het leefgeld betaald?", 20, "")], now=now)
    register(place, [(text, 1, "") for text, *_ in LEEFGELD[:3]], now=now, crisis_id=place.corona)
    return burst


def cluster_holding(run: ClusterRun, question_id: int) -> QuestionCluster:
    """The run's cluster that holds this question."""
    return db.session.scalars(
        select(QuestionCluster)
        .join(ClusterMember, ClusterMember.cluster_id == QuestionCluster.id)
        .where(QuestionCluster.run_id == run.id, ClusterMember.question_id == question_id)
    ).one()


def members_of(cluster: QuestionCluster) -> set[int]:
    """The question ids stored as the cluster's members."""
    return set(
        db.session.scalars(
            select(ClusterMember.question_id).where(ClusterMember.cluster_id == cluster.id)
        )
    )


# The run and what it stores


def test_a_run_stores_clusters_with_members_growth_terms_and_coverage(
    place: Place, in_app: None, publish_entry: PublishEntry
) -> None:
    burst = register_burst(place)
    entry_id = publish_entry("Hoe kom ik aan een IND-sticker?", "Bij de balie.", now=NOW)

    run = clusters.run_clustering(place.oekraine, days=14, user=place.user("coordinator"), now=NOW)

    assert (run.question_count, run.cluster_count, run.unclustered_count) == (18, 3, 3)
    assert run.period_start == NOW - timedelta(days=14) and run.seconds > 0
    leefgeld = cluster_holding(run, burst.leefgeld[0])
    assert members_of(leefgeld) == set(burst.leefgeld)
    assert (leefgeld.size, leefgeld.this_week, leefgeld.last_week) == (7, 5, 2)
    assert leefgeld.growth == 3 and "leefgeld" in leefgeld.terms
    assert leefgeld.representative_question_id in burst.leefgeld
    assert leefgeld.covered_by_entry_id is None
    ind = cluster_holding(run, burst.ind[0])
    assert members_of(ind) == set(burst.ind)
    assert ind.covered_by_entry_id == entry_id
    assert ind.coverage_score is not None and ind.coverage_score >= 0.35
    assert members_of(cluster_holding(run, burst.opvang[0])) == set(burst.opvang)
    logged = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "cluster_run"))
    assert [(e.object_id, e.username) for e in logged] == [(str(run.id), "coordinator")]


def test_personal_data_never_reaches_the_representative_or_the_screens(
    app: Flask, client: FlaskClient, auth: AuthActions, place: Place
) -> None:
    with app.app_context():
        burst = register_burst(place, now=utcnow())
        run = clusters.run_clustering(place.oekraine, days=14, user=None, now=utcnow())
        opvang = cluster_holding(run, burst.opvang[0])
        leefgeld = cluster_holding(run, burst.leefgeld[0])
        representative = opvang.representative_text
        pages = [
            f"/editorial/clusters/{run.id}",
            f"/editorial/clusters/{run.id}/{opvang.id}",
            f"/editorial/clusters/{run.id}/{leefgeld.id}",
        ]
    assert "[TELEFOON]" in representative or "[E-MAIL]" in representative

    auth.login("coordinator")
    seen = "".join(client.get(page).get_data(as_text=True) for page in pages)

    assert "[TELEFOON]" in seen and "[E-MAIL]" in seen
    assert not [value for value in PERSONAL_DATA if value in seen]


def test_the_screen_limit_refuses_a_large_run_and_names_the_command(
    app: Flask, place: Place, in_app: None
) -> None:
    register(place, LEEFGELD)

    with pytest.raises(ValidationFailed, match="flask --app kcc cluster --crisis"):
        clusters.run_clustering(place.oekraine, days=14, user=None, now=NOW, max_questions=6)
    assert db.session.scalar(select(func.count(ClusterRun.id))) == 0


# Ranking, detail, answers


def test_clusters_rank_uncovered_first_then_by_size(
    place: Place, in_app: None, publish_entry: PublishEntry
) -> None:
    burst = register_burst(place)
    publish_entry("Hoe kom ik aan een IND-sticker?", "Bij de balie.", now=NOW)
    run = clusters.run_clustering(place.oekraine, days=14, user=None, now=NOW)

    page = clusters.ranked_clusters(run)

    expected = [burst.leefgeld[0], burst.opvang[0], burst.ind[0]]
    assert [c.id for c in page.clusters] == [cluster_holding(run, q).id for q in expected]
    assert (page.total, page.pages) == (3, 1)
    assert len(clusters.ranked_clusters(run, per_page=2, page=2).clusters) == 1


def test_the_detail_groups_earlier_answers_and_the_draft_gets_the_best(
    place: Place, in_app: None
) -> None:
    burst = register_burst(place)
    run = clusters.run_clustering(place.oekraine, days=14, user=None, now=NOW)
    leefgeld = cluster_holding(run, burst.leefgeld[0])
    ind = cluster_holding(run, burst.ind[0])

    detail = clusters.cluster_detail(leefgeld, per_page=5)

    assert [(a.text, a.count) for a in detail.answers] == [(ANSWER_MOST, 3), (ANSWER_LESS, 2)]
    assert detail.answered == 5 and (detail.page, detail.pages, len(detail.members)) == (1, 2, 5)
    assert {m.municipality for m in detail.members} == {"Hilversum"}
    assert {m.topic for m in detail.members} == {"Leefgeld"}
    assert clusters.best_earlier_answer(leefgeld) == ANSWER_MOST
    # A tie (once each): the answer given to the member most like the representative wins.
    assert ind.representative_text == IND_TEXT
    assert clusters.best_earlier_answer(ind) == IND[0][2]


def test_maak_faq_is_refused_below_the_minimum_and_prefills_above_it(
    place: Place, in_app: None
) -> None:
    burst = register_burst(place)
    run = clusters.run_clustering(place.oekraine, days=14, user=None, now=NOW)
    opvang = cluster_holding(run, burst.opvang[0])
    leefgeld = cluster_holding(run, burst.leefgeld[0])
    coordinator = place.user("coordinator")

    with pytest.raises(ValidationFailed, match="pas vanaf 5 vragen"):
        clusters.draft_from_cluster(opvang, user=coordinator, now=NOW)
    entry = clusters.draft_from_cluster(leefgeld, user=coordinator, now=NOW)

    assert (entry.state, entry.question, entry.answer) == (
        "concept",
        leefgeld.representative_text,
        ANSWER_MOST,
    )
    assert entry.topic_id == place.leefgeld_topic and entry.author_id == coordinator.id
    assert leefgeld.drafted_entry_id == entry.id and not clusters.is_offerable(leefgeld)
    with pytest.raises(Conflict):
        clusters.draft_from_cluster(leefgeld, user=coordinator, now=NOW)


def test_a_cluster_without_answers_gets_a_placeholder_the_editor_must_replace(
    place: Place, in_app: None
) -> None:
    ids = register(place, [(text, days, "") for text, days, _ in LEEFGELD])
    run = clusters.run_clustering(place.oekraine, days=14, user=None, now=NOW)

    entry = clusters.draft_from_cluster(
        cluster_holding(run, ids[0]), user=place.user("analyst"), now=NOW
    )

    assert entry.answer == clusters.ANSWER_PLACEHOLDER


# Merge, split, compare


def test_merge_moves_members_into_the_largest_and_split_takes_them_out_again(
    place: Place, in_app: None
) -> None:
    burst = register_burst(place)
    run = clusters.run_clustering(place.oekraine, days=14, user=None, now=NOW)
    leefgeld = cluster_holding(run, burst.leefgeld[0])
    opvang_id = cluster_holding(run, burst.opvang[0]).id
    user = place.user("coordinator")

    merged = clusters.merge_clusters(run, [opvang_id, leefgeld.id], user=user, now=NOW)

    assert merged.id == leefgeld.id and db.session.get(QuestionCluster, opvang_id) is None
    assert members_of(merged) == set(burst.leefgeld + burst.opvang)
    # Opvang was received 9-10 days ago: last week grows, this week does not.
    assert (merged.size, merged.this_week, merged.last_week) == (10, 5, 5)
    assert run.cluster_count == 2

    split = clusters.split_cluster(merged, burst.opvang, user=user, now=NOW)

    # The new cluster takes the number after the highest in the run (0 and 1 are left).
    assert split.run_id == run.id and split.label == 2
    assert members_of(split) == set(burst.opvang) and split.size == 3
    assert split.representative_question_id in burst.opvang
    assert "opvanglocatie" in split.terms
    assert (merged.size, merged.this_week, merged.last_week) == (7, 5, 2)
    assert merged.representative_question_id in burst.leefgeld
    assert run.cluster_count == 3
    with pytest.raises(ValidationFailed, match="minstens één vraag"):
        clusters.split_cluster(split, burst.opvang, user=user, now=NOW)
    with pytest.raises(ValidationFailed, match="hoort niet"):
        clusters.split_cluster(split, burst.leefgeld[:1], user=user, now=NOW)


def test_compare_runs_finds_new_grown_same_and_gone_clusters(place: Place, in_app: None) -> None:
    burst = register_burst(place)
    earlier = clusters.run_clustering(place.oekraine, days=14, user=None, now=NOW)
    later_now = NOW + timedelta(hours=2)
    more_leefgeld = register(place, [(t, 0, "") for t, *_ in LEEFGELD[:4]], now=later_now)
    keuring = register(
        place,
        [("Waar kan ik mijn auto laten keuren?", 0, "")] * 2
        + [("waar kan ik mijn auto laten keuren", 0, "")],
        now=later_now,
    )
    # Seven days: the opvang questions (9-10 days old) fall out.
    later = clusters.run_clustering(place.oekraine, days=7, user=None, now=later_now)

    comparison = clusters.compare_runs(earlier, later)

    by_question = {row.cluster.id: row for row in comparison.rows}
    grown = by_question[cluster_holding(later, more_leefgeld[0]).id]
    assert grown.status == "grown" and grown.status_label == "gegroeid"
    assert (
        grown.earlier is not None
        and grown.earlier.id == cluster_holding(earlier, burst.leefgeld[0]).id
    )
    assert by_question[cluster_holding(later, burst.ind[0]).id].status == "same"
    assert by_question[cluster_holding(later, keuring[0]).id].status == "new"
    assert [c.id for c in comparison.gone] == [cluster_holding(earlier, burst.opvang[0]).id]
    assert comparison.count("gone") == 1


# Does it work?


def test_impact_counts_cluster_and_topic_questions_per_week_around_publication(
    place: Place, in_app: None
) -> None:
    burst = register_burst(place)
    run = clusters.run_clustering(place.oekraine, days=14, user=None, now=NOW)
    coordinator, analyst = place.user("coordinator"), place.user("analyst")
    entry = clusters.draft_from_cluster(
        cluster_holding(run, burst.leefgeld[0]), user=coordinator, now=NOW
    )
    entry = editorial.take_action(
        entry.id, "submit", user=coordinator, seen_version=entry.version, now=NOW
    )
    editorial.take_action(entry.id, "publish", user=analyst, seen_version=entry.version, now=NOW)
    # After publication: fewer questions on the topic, one a week.
    after = NOW + timedelta(days=2)
    register(place, [("Leefgeld vraag", 0, "")], now=after, topic_id=place.leefgeld_topic)
    register(place, [("Leefgeld", -7, "")], now=after, topic_id=place.leefgeld_topic)

    result = impact.entry_impact(entry.id, now=NOW + timedelta(days=15))

    assert [w.offset for w in result.weeks] == list(range(-4, 4))
    assert result.weeks[4].starts == NOW.date()
    assert [w.cluster_count for w in result.weeks] == [0, 0, 2, 5, 0, 0, 0, 0]
    # The topic also counts the 20-day-old leefgeld question outside the run (week -3).
    assert [w.topic_count for w in result.weeks] == [0, 1, 2, 5, 1, 1, 0, 0]
    assert [w.is_complete for w in result.weeks[4:]] == [True, True, False, False]
    assert (result.cluster_before, result.cluster_after) == (1.8, 0.0)
    assert (result.topic_before, result.topic_after) == (2.0, 1.0)


def test_impact_of_an_unpublished_entry_is_refused(place: Place, in_app: None) -> None:
    entry = editorial.create_entry(
        editorial.EntryInput(crisis_id=place.oekraine, question="Vraag?", answer="Antwoord."),
        user=place.user("coordinator"),
        now=NOW,
    )

    with pytest.raises(Conflict, match="nog niet gepubliceerd"):
        impact.entry_impact(entry.id, now=NOW)


# Command line


def test_the_command_clusters_a_crisis_and_stores_the_run(
    app: Flask, runner: FlaskCliRunner, place: Place
) -> None:
    with app.app_context():
        register(place, LEEFGELD, now=utcnow())

    result = runner.invoke(args=["cluster", "--crisis", "oekraine", "--days", "30"])

    assert result.exit_code == 0, result.output
    assert re.search(r"Run \d+ \(oekraine, 30 dagen\): 7 vragen, 1 clusters, 0 niet", result.output)
    assert "seconden." in result.output
    with app.app_context():
        run = db.session.scalars(select(ClusterRun)).one()
        assert (run.days, run.question_count, run.created_by_id) == (30, 7, None)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--crisis", "oekraine", "--input", "in.csv"], "niet allebei"),
        (["--days", "7", "--input", "in.csv", "--output", "uit.csv"], "--days hoort bij --crisis"),
        ([], "Geef --crisis CODE"),
        (["--input", "in.csv"], "Geef --crisis CODE"),
    ],
)
def test_the_command_wants_exactly_one_mode(
    runner: FlaskCliRunner, args: list[str], message: str
) -> None:
    result = runner.invoke(args=["cluster", *args])

    assert result.exit_code == 2
    assert message in result.output


def test_the_command_names_an_unknown_crisis(runner: FlaskCliRunner, demo: None) -> None:
    result = runner.invoke(args=["cluster", "--crisis", "bestaat-niet"])

    assert result.exit_code == 1
    assert "Er is geen crisis met code 'bestaat-niet'." in result.output


# Screens


def test_a_coordinator_runs_clusters_from_the_screen_and_makes_a_faq(
    app: Flask, client: FlaskClient, auth: AuthActions, place: Place
) -> None:
    with app.app_context():
        burst = register_burst(place, now=utcnow())
    auth.login("coordinator")

    response = post_form(client, "/editorial/clusters", {"crisis_id": place.oekraine, "days": 14})

    assert response.status_code == 302
    run_url = response.headers["Location"]
    page = client.get(run_url).get_data(as_text=True)
    assert "<dd>18, waarvan 3 niet geclusterd</dd>" in page
    assert page.count("niet gedekt</strong>") == 3
    # Leefgeld (7) and IND (5) can become an entry; opvang (3) cannot.
    assert page.count(">Maak FAQ<") == 2 and "te klein (minder dan 5)" in page
    with app.app_context():
        run = db.session.scalars(select(ClusterRun)).one()
        leefgeld = cluster_holding(run, burst.leefgeld[0])
        opvang = cluster_holding(run, burst.opvang[0])
        leefgeld_id, opvang_id = leefgeld.id, opvang.id
    index = client.get("/editorial/clusters").get_data(as_text=True)
    assert f"Laatste run: run {run.id}" in index

    token = csrf_token_from(client.get(run_url))
    refused = client.post(
        f"/editorial/clusters/{run.id}/{opvang_id}/draft", data={"csrf_token": token}
    )
    made = client.post(
        f"/editorial/clusters/{run.id}/{leefgeld_id}/draft", data={"csrf_token": token}
    )

    assert "pas vanaf 5 vragen" in client.get(refused.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        entry = db.session.scalars(select(FaqEntry)).one()
        assert entry.answer == ANSWER_MOST
    assert made.status_code == 302
    assert made.headers["Location"].endswith(f"/editorial/entries/{entry.id}/edit")


def test_merge_and_split_through_the_cluster_page(
    app: Flask, client: FlaskClient, auth: AuthActions, place: Place
) -> None:
    with app.app_context():
        burst = register_burst(place, now=utcnow())
        run = clusters.run_clustering(place.oekraine, days=14, user=None, now=utcnow())
        leefgeld = cluster_holding(run, burst.leefgeld[0])
        opvang = cluster_holding(run, burst.opvang[0])
        url = f"/editorial/clusters/{run.id}/{leefgeld.id}"
        opvang_label = opvang.label
    auth.login("coordinator")

    wrong = post_form(client, url + "/merge", {"labels": "99"})
    merged = post_form(client, url + "/merge", {"labels": str(opvang_label)})

    assert wrong.status_code == 400 and "geen cluster 99" in wrong.get_data(as_text=True)
    assert merged.headers["Location"].endswith(url)
    page = client.get(url).get_data(as_text=True)
    assert all(f'value="{qid}"' in page for qid in burst.opvang)

    split = post_form(client, url + "/split", {"question_ids": burst.opvang})

    assert split.status_code == 302
    with app.app_context():
        assert members_of(db.session.get(QuestionCluster, leefgeld.id)) == set(burst.leefgeld)
    assert "3 vragen vormen nu cluster" in client.get(split.headers["Location"]).get_data(
        as_text=True
    )


def test_the_compare_and_impact_screens_show_their_figures(
    app: Flask, client: FlaskClient, auth: AuthActions, place: Place, publish_entry: PublishEntry
) -> None:
    now = utcnow()
    with app.app_context():
        register_burst(place, now=now)
    entry_id = publish_entry(IND_TEXT, "Bij de balie.", now=now - timedelta(days=3))
    with app.app_context():
        first = clusters.run_clustering(place.oekraine, days=14, user=None, now=now)
        second = clusters.run_clustering(place.oekraine, days=7, user=None, now=now)
        first_id, second_id = first.id, second.id
    auth.login("analyst")

    compared = client.get(f"/editorial/clusters/compare?earlier={first_id}&later={second_id}")
    shown = client.get(f"/editorial/clusters/impact/{entry_id}")

    assert client.get("/editorial/clusters/compare").status_code == 200  # runs still to choose
    text = compared.get_data(as_text=True)
    assert compared.status_code == 200 and "verdwenen: <strong>1</strong>" in text.lower()
    impact_page = shown.get_data(as_text=True)
    assert shown.status_code == 200 and "Vragen per week" in impact_page
    assert "(week nog niet voorbij)" in impact_page


@pytest.mark.parametrize(
    "path",
    [
        "/editorial/clusters",
        "/editorial/clusters/1",
        "/editorial/clusters/1/1",
        "/editorial/clusters/compare?earlier=1&later=1",
        "/editorial/clusters/impact/1",
    ],
)
def test_the_cluster_screens_are_for_faq_curators_only(
    client: FlaskClient, auth: AuthActions, path: str
) -> None:
    assert client.get(path).status_code == 302  # to the login page
    auth.login("agent")
    assert client.get(path).status_code == 403
