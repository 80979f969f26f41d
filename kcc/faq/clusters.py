"""Clusters of a crisis's questions: stored runs, ranking, merge and split, drafts, comparison.

A run clusters the masked text of the questions received in a period (never the original
text: AVG data minimisation), and stores the clusters with their members so two runs can be
compared later. Coordinators rank them (uncovered first), merge or split them, and turn a
large enough one into a concept FAQ entry.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from flask import current_app
from scipy import sparse
from sklearn.preprocessing import normalize
from sqlalchemy import ColumnElement, func, insert, select, update

from kcc.auth.models import User
from kcc.exceptions import Conflict, NotFound, ValidationFailed
from kcc.extensions import db
from kcc.faq.editorial import QUESTION_MAX, EntryInput, create_entry
from kcc.faq.formatting import unsafe_links
from kcc.faq.models import ClusterMember, ClusterRun, FaqEntry, QuestionCluster
from kcc.governance.audit import record_event
from kcc.governance.models import AuditAction
from kcc.intake.models import Question
from kcc.nlp.clustering import ClusteringResult, ClusteringSettings, cluster_texts
from kcc.nlp.similarity import build_vectorizer
from kcc.nlp.text import load_stop_words, stem_word, tokenise
from kcc.reference.models import Crisis, Municipality, Topic

PAGE_SIZE = 50
MAX_DAYS = 365
# Member rows written per INSERT: bounds memory at 100,000+ questions without many round trips.
INSERT_CHUNK = 10_000
# Members read to recompute a merged or split cluster's representative and terms: the most
# central of 2,000 is as good a representative as of 20,000, at a tenth of the work.
DESCRIBE_SAMPLE = 2_000
TOP_TERMS = 5
MIN_TERM_LENGTH = 3
# compare_runs: below this Jaccard overlap a cluster of the later run counts as new, and
# a size change of less than this share counts as unchanged.
SAME_CLUSTER_OVERLAP = 0.2
SIZE_CHANGE_SHARE = 0.1
ANSWER_PLACEHOLDER = (
    "Vervang deze tekst door het antwoord. Op de vragen in dit cluster is nog geen "
    "bruikbaar antwoord gegeven."
)
EARLIER_ANSWERS_SHOWN = 20


@dataclass(frozen=True)
class LoadedQuestions:
    """The masked questions of a period, as parallel lists (no ORM object per question)."""

    ids: list[int]
    texts: list[str]
    received: np.ndarray  # seconds since the epoch, float64


@dataclass(frozen=True)
class Coverage:
    """The published entry most like a cluster, and how alike (cosine, 0-1)."""

    entry_id: int | None
    score: float | None


@dataclass(frozen=True)
class ClusterPage:
    """One page of a run's clusters in screen order."""

    clusters: list[QuestionCluster]
    page: int
    pages: int
    total: int


@dataclass(frozen=True)
class MemberRow:
    """A member question as the cluster screen shows it (masked text only)."""

    question_id: int
    reference: str | None
    text: str
    received_at: datetime
    municipality: str
    topic: str | None


@dataclass(frozen=True)
class EarlierAnswer:
    """A distinct answer given to members of a cluster, and to how many of them."""

    text: str
    count: int


@dataclass(frozen=True)
class ClusterDetail:
    """A cluster's members (one page) and the answers already given to them."""

    cluster: QuestionCluster
    members: list[MemberRow]
    page: int
    pages: int
    answers: list[EarlierAnswer]
    answered: int


@dataclass(frozen=True)
class ComparedCluster:
    """A cluster of the later run beside the earlier run's cluster that shares most questions."""

    cluster: QuestionCluster
    earlier: QuestionCluster | None
    overlap: float
    status: str

    @property
    def status_label(self) -> str:
        """Dutch word for the change."""
        return COMPARISON_LABELS[self.status]


COMPARISON_LABELS = {
    "new": "nieuw",
    "grown": "gegroeid",
    "shrunk": "gekrompen",
    "same": "even groot",
    "gone": "verdwenen",
}


@dataclass(frozen=True)
class RunComparison:
    """How the clusters of run b relate to those of run a."""

    earlier: ClusterRun
    later: ClusterRun
    rows: list[ComparedCluster]
    gone: list[QuestionCluster]

    def count(self, status: str) -> int:
        """How many clusters changed this way."""
        if status == "gone":
            return len(self.gone)
        return sum(1 for row in self.rows if row.status == status)


# Loading and clustering


def get_crisis(crisis_id: int) -> Crisis:
    """The crisis with this id, or NotFound."""
    crisis = db.session.get(Crisis, crisis_id)
    if crisis is None:
        raise NotFound("Deze crisis bestaat niet.")
    return crisis


def get_crisis_by_code(code: str) -> Crisis:
    """The crisis with this code (as the CLI names it), or NotFound."""
    crisis = db.session.execute(select(Crisis).where(Crisis.code == code)).scalar_one_or_none()
    if crisis is None:
        raise NotFound(f"Er is geen crisis met code '{code}'.")
    return crisis


def period_conditions(crisis_id: int, start: datetime, end: datetime) -> list[ColumnElement[bool]]:
    """Questions of the crisis received in (start, end], read via ix_question_crisis_received."""
    return [
        Question.crisis_id == crisis_id,
        Question.received_at > start,
        Question.received_at <= end,
    ]


def count_questions(crisis_id: int, *, days: int, now: datetime) -> int:
    """How many questions a run over this period would cluster."""
    conditions = period_conditions(crisis_id, now - timedelta(days=days), now)
    return db.session.execute(select(func.count(Question.id)).where(*conditions)).scalar_one()


def load_questions(crisis_id: int, start: datetime, end: datetime) -> LoadedQuestions:
    """Id, masked text and receipt time of the period's questions, oldest id first."""
    rows = db.session.execute(
        select(Question.id, Question.text_masked, Question.received_at)
        .where(*period_conditions(crisis_id, start, end))
        .order_by(Question.id)
    ).all()
    return LoadedQuestions(
        ids=[row[0] for row in rows],
        texts=[row[1] or "" for row in rows],
        received=np.array([row[2].timestamp() for row in rows], dtype=np.float64),
    )


def check_days(days: int) -> None:
    """A period is at least a day and at most a year."""
    if not 1 <= days <= MAX_DAYS:
        raise ValidationFailed(f"Kies een periode van 1 tot {MAX_DAYS} dagen.", field="days")


def check_screen_limit(crisis_id: int, *, days: int, now: datetime, limit: int) -> None:
    """Refuse a run too large to finish within a web request; the CLI has no such limit."""
    count = count_questions(crisis_id, days=days, now=now)
    if count > limit:
        raise ValidationFailed(
            f"Deze periode bevat {count} vragen; op het scherm kunnen er hoogstens {limit} "
            "worden geclusterd. Kies minder dagen, of laat een beheerder het commando "
            "'flask --app kcc cluster --crisis CODE --days N' uitvoeren.",
            field="days",
        )


def run_clustering(
    crisis_id: int,
    *,
    days: int,
    user: User | None,
    now: datetime,
    max_questions: int | None = None,
    settings: ClusteringSettings | None = None,
) -> ClusterRun:
    """Cluster the crisis's questions of the last `days` days and store the run."""
    crisis = get_crisis(crisis_id)
    check_days(days)
    if max_questions is not None:
        check_screen_limit(crisis.id, days=days, now=now, limit=max_questions)
    started = time.perf_counter()
    start = now - timedelta(days=days)
    questions = load_questions(crisis.id, start, now)
    result = cluster_texts(questions.texts, settings or ClusteringSettings())
    run = ClusterRun(
        crisis_id=crisis.id,
        period_start=start,
        period_end=now,
        days=days,
        question_count=len(questions.ids),
        cluster_count=len(result.clusters),
        unclustered_count=result.unclustered,
        created_by_id=user.id if user else None,
        created_at=now,
    )
    db.session.add(run)
    db.session.flush()
    store_clusters(run, questions, result)
    assign_coverage(run)
    run.seconds = round(time.perf_counter() - started, 3)
    record_event(
        AuditAction.CLUSTER_RUN,
        object_type="cluster_run",
        object_id=run.id,
        detail=(
            f"{crisis.code}, {days} dagen: {run.question_count} vragen, "
            f"{run.cluster_count} clusters"
        ),
        user_id=user.id if user else None,
        username=user.username if user else "",
        now=now,
    )
    db.session.commit()
    return run


def week_counts(
    received: np.ndarray, labels: np.ndarray, cluster_count: int, end: datetime
) -> tuple[np.ndarray, np.ndarray]:
    """Members per cluster received in the 7 days before `end`, and in the 7 before those."""
    week = timedelta(days=7).total_seconds()
    boundary, earliest = end.timestamp() - week, end.timestamp() - 2 * week
    clustered = labels >= 0
    this_week = clustered & (received > boundary)
    last_week = clustered & (received > earliest) & (received <= boundary)
    return (
        np.bincount(labels[this_week], minlength=cluster_count),
        np.bincount(labels[last_week], minlength=cluster_count),
    )


def store_clusters(run: ClusterRun, questions: LoadedQuestions, result: ClusteringResult) -> None:
    """Insert the run's clusters and their members in bulk (no ORM object per question)."""
    if not result.clusters:
        return
    labels = np.asarray(result.labels, dtype=np.int64)
    this_week, last_week = week_counts(
        questions.received, labels, len(result.clusters), run.period_end
    )
    db.session.execute(
        insert(QuestionCluster),
        [
            {
                "run_id": run.id,
                "label": cluster.label,
                "size": len(cluster.members),
                "this_week": int(this_week[cluster.label]),
                "last_week": int(last_week[cluster.label]),
                "top_terms": ",".join(cluster.top_terms),
                "representative_question_id": questions.ids[cluster.representative],
                "representative_text": questions.texts[cluster.representative],
                "cohesion": cluster.cohesion,
            }
            for cluster in result.clusters
        ],
    )
    cluster_ids = dict(
        db.session.execute(
            select(QuestionCluster.label, QuestionCluster.id).where(
                QuestionCluster.run_id == run.id
            )
        ).all()
    )
    members = [
        {"cluster_id": cluster_ids[int(label)], "question_id": question_id}
        for question_id, label in zip(questions.ids, labels.tolist(), strict=True)
        if label >= 0
    ]
    for start in range(0, len(members), INSERT_CHUNK):
        db.session.execute(insert(ClusterMember), members[start : start + INSERT_CHUNK])


# Coverage by published entries


def public_entries(crisis_id: int) -> list[tuple[int, str]]:
    """Id and live question of the crisis's entries the public can read now."""
    return [
        (row[0], row[1])
        for row in db.session.execute(
            select(FaqEntry.id, FaqEntry.live_question).where(
                FaqEntry.crisis_id == crisis_id,
                FaqEntry.is_public.is_(True),
                FaqEntry.live_question.is_not(None),
            )
        ).all()
    ]


def best_coverage(
    cluster_texts_: Sequence[str], entries: Sequence[tuple[int, str]], threshold: float
) -> list[Coverage]:
    """For each cluster text, the most similar entry question when it reaches the threshold.

    Character n-gram TF-IDF (as the answer suggestions use), with the IDF fitted on the entries
    and the clusters' texts together: fitted on a handful of entries alone, shared words such
    as "hoe laat" or "wanneer" weigh as much as the subject and unrelated questions scored up
    to 0.52. Calibrated on 5 entries against 8 paraphrases and 8 other questions of the same
    crises (scratch script): paraphrases scored 0.46-0.65, other questions 0.05-0.25, so
    FAQ_COVERAGE_THRESHOLD = 0.35 lies in the gap on both sides.
    """
    if not entries or not cluster_texts_:
        return [Coverage(None, None) for _ in cluster_texts_]
    vectorizer = build_vectorizer()
    try:
        vectorizer.fit([question for _, question in entries] + list(cluster_texts_))
    except ValueError:  # no n-gram at all (empty texts)
        return [Coverage(None, None) for _ in cluster_texts_]
    scores = (
        vectorizer.transform(cluster_texts_) @ vectorizer.transform([q for _, q in entries]).T
    ).toarray()
    best = scores.argmax(axis=1)
    coverages = []
    for row, column in enumerate(best.tolist()):
        score = round(float(scores[row, column]), 3)
        is_covered = score >= threshold
        coverages.append(Coverage(entries[column][0] if is_covered else None, score))
    return coverages


def assign_coverage(run: ClusterRun, clusters: Sequence[QuestionCluster] | None = None) -> None:
    """Mark which clusters a published entry of the crisis already answers."""
    if clusters is None:
        clusters = (
            db.session.execute(select(QuestionCluster).where(QuestionCluster.run_id == run.id))
            .scalars()
            .all()
        )
    coverages = best_coverage(
        [cluster.representative_text for cluster in clusters],
        public_entries(run.crisis_id),
        current_app.config["FAQ_COVERAGE_THRESHOLD"],
    )
    for cluster, coverage in zip(clusters, coverages, strict=True):
        cluster.covered_by_entry_id = coverage.entry_id
        cluster.coverage_score = coverage.score


# Reading runs and clusters


def get_run(run_id: int) -> ClusterRun:
    """The run with this id, or NotFound."""
    run = db.session.get(ClusterRun, run_id)
    if run is None:
        raise NotFound("Deze clusterrun bestaat niet.")
    return run


def get_cluster(run: ClusterRun, cluster_id: int) -> QuestionCluster:
    """A cluster of this run, or NotFound."""
    cluster = db.session.get(QuestionCluster, cluster_id)
    if cluster is None or cluster.run_id != run.id:
        raise NotFound("Dit cluster bestaat niet (meer) in deze run.")
    return cluster


def recent_runs(crisis_id: int | None = None, *, limit: int = 20) -> list[ClusterRun]:
    """The newest runs, of one crisis or of all, newest first."""
    query = select(ClusterRun).order_by(ClusterRun.created_at.desc(), ClusterRun.id.desc())
    if crisis_id is not None:
        query = query.where(ClusterRun.crisis_id == crisis_id)
    return list(db.session.execute(query.limit(limit)).scalars())


def latest_run(crisis_id: int | None = None) -> ClusterRun | None:
    """The newest run, of one crisis or of all."""
    runs = recent_runs(crisis_id, limit=1)
    return runs[0] if runs else None


def page_count(total: int, per_page: int) -> int:
    """Pages needed for `total` rows (at least one, so page 1 always exists)."""
    return max(1, -(-total // per_page))


def ranked_clusters(run: ClusterRun, *, page: int = 1, per_page: int = PAGE_SIZE) -> ClusterPage:
    """The run's clusters, uncovered first, then largest, then fastest growing."""
    total = db.session.execute(
        select(func.count(QuestionCluster.id)).where(QuestionCluster.run_id == run.id)
    ).scalar_one()
    pages = page_count(total, per_page)
    page = min(max(page, 1), pages)
    clusters = db.session.execute(
        select(QuestionCluster)
        .where(QuestionCluster.run_id == run.id)
        .order_by(
            QuestionCluster.covered_by_entry_id.is_not(None),
            QuestionCluster.size.desc(),
            (QuestionCluster.this_week - QuestionCluster.last_week).desc(),
            QuestionCluster.label,
        )
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).scalars()
    return ClusterPage(clusters=list(clusters), page=page, pages=pages, total=total)


def earlier_answers(
    cluster: QuestionCluster, *, limit: int = EARLIER_ANSWERS_SHOWN
) -> list[EarlierAnswer]:
    """The distinct (masked) answers given to the members, most frequent first."""
    count = func.count(Question.id)
    rows = db.session.execute(
        select(Question.answer_masked, count)
        .join(ClusterMember, ClusterMember.question_id == Question.id)
        .where(ClusterMember.cluster_id == cluster.id, Question.answer_masked.is_not(None))
        .group_by(Question.answer_masked)
        .order_by(count.desc(), Question.answer_masked)
        .limit(limit)
    ).all()
    return [EarlierAnswer(text=row[0], count=row[1]) for row in rows if row[0].strip()]


def cluster_detail(
    cluster: QuestionCluster, *, page: int = 1, per_page: int = PAGE_SIZE
) -> ClusterDetail:
    """One page of members (masked text, date, municipality, topic) and the earlier answers."""
    pages = page_count(cluster.size, per_page)
    page = min(max(page, 1), pages)
    rows = db.session.execute(
        select(
            Question.id,
            Question.reference,
            Question.text_masked,
            Question.received_at,
            Municipality.name,
            Topic.name,
        )
        .join(ClusterMember, ClusterMember.question_id == Question.id)
        .join(Municipality, Municipality.id == Question.municipality_id)
        .outerjoin(Topic, Topic.id == Question.topic_id)
        .where(ClusterMember.cluster_id == cluster.id)
        .order_by(Question.received_at.desc(), Question.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    answered = db.session.execute(
        select(func.count(Question.id))
        .join(ClusterMember, ClusterMember.question_id == Question.id)
        .where(ClusterMember.cluster_id == cluster.id, Question.answer_masked.is_not(None))
    ).scalar_one()
    return ClusterDetail(
        cluster=cluster,
        members=[MemberRow(*row) for row in rows],
        page=page,
        pages=pages,
        answers=earlier_answers(cluster),
        answered=answered,
    )


def text_similarities(texts: Sequence[str], target: str) -> np.ndarray:
    """Cosine of each text to the target (character n-gram TF-IDF, fitted on both)."""
    vectorizer = build_vectorizer()
    try:
        matrix = vectorizer.fit_transform([target, *texts])
    except ValueError:
        return np.zeros(len(texts))
    return (matrix[1:] @ matrix[0].T).toarray().ravel()


def best_earlier_answer(cluster: QuestionCluster) -> str | None:
    """The answer given most often to the members; a tie goes to the answer given to the
    member most like the representative question. Answers with links the FAQ refuses are
    skipped, so the draft can always be stored."""
    answers = [a for a in earlier_answers(cluster) if not unsafe_links(a.text)]
    if not answers:
        return None
    tied = [a.text for a in answers if a.count == answers[0].count]
    if len(tied) == 1:
        return tied[0]
    rows = db.session.execute(
        select(Question.text_masked, Question.answer_masked)
        .join(ClusterMember, ClusterMember.question_id == Question.id)
        .where(ClusterMember.cluster_id == cluster.id, Question.answer_masked.in_(tied))
        .limit(DESCRIBE_SAMPLE)
    ).all()
    similarities = text_similarities([row[0] for row in rows], cluster.representative_text)
    return rows[int(np.argmax(similarities))][1]


# Merging and splitting


def member_sample(cluster_id: int) -> list[tuple[int, str, datetime]]:
    """Id, masked text and receipt time of up to DESCRIBE_SAMPLE members."""
    return [
        (row[0], row[1] or "", row[2])
        for row in db.session.execute(
            select(Question.id, Question.text_masked, Question.received_at)
            .join(ClusterMember, ClusterMember.question_id == Question.id)
            .where(ClusterMember.cluster_id == cluster_id)
            .order_by(Question.id)
            .limit(DESCRIBE_SAMPLE)
        ).all()
    ]


def central_position(texts: Sequence[str]) -> tuple[int, float]:
    """The text most like the others (closest to the TF-IDF centroid) and the mean closeness."""
    vectorizer = build_vectorizer()
    try:
        matrix = vectorizer.fit_transform(texts)
    except ValueError:
        return 0, 0.0
    centre = normalize(sparse.csr_matrix(matrix.mean(axis=0)))
    closeness = (matrix @ centre.T).toarray().ravel()
    return int(np.argmax(closeness)), round(float(closeness.mean()), 3)


def describe_terms(texts: Sequence[str], *, limit: int = TOP_TERMS) -> list[str]:
    """The words most members use (by stem, stop words left out), shown as most often written."""
    stop_words = load_stop_words()
    members_with: Counter[str] = Counter()
    written: dict[str, Counter[str]] = {}
    for text in texts:
        seen: set[str] = set()
        for word in tokenise(text):
            if len(word) < MIN_TERM_LENGTH or word in stop_words or not word.isalpha():
                continue
            stem = stem_word(word)
            written.setdefault(stem, Counter())[word] += 1
            if stem not in seen:
                seen.add(stem)
                members_with[stem] += 1
    ranked = sorted(members_with, key=lambda stem: (-members_with[stem], stem))[:limit]
    return [written[stem].most_common(1)[0][0] for stem in ranked]


def refresh_cluster(cluster: QuestionCluster, run: ClusterRun) -> None:
    """Recount size and weeks, and choose representative, terms and cohesion anew."""
    db.session.flush()
    cluster.size = db.session.execute(
        select(func.count()).where(ClusterMember.cluster_id == cluster.id)
    ).scalar_one()
    week = timedelta(days=7)
    for attribute, start, end in (
        ("this_week", run.period_end - week, run.period_end),
        ("last_week", run.period_end - 2 * week, run.period_end - week),
    ):
        count = db.session.execute(
            select(func.count(Question.id))
            .join(ClusterMember, ClusterMember.question_id == Question.id)
            .where(
                ClusterMember.cluster_id == cluster.id,
                Question.received_at > start,
                Question.received_at <= end,
            )
        ).scalar_one()
        setattr(cluster, attribute, count)
    sample = member_sample(cluster.id)
    if not sample:
        return
    texts = [text for _, text, _ in sample]
    position, cohesion = central_position(texts)
    cluster.representative_question_id = sample[position][0]
    cluster.representative_text = texts[position]
    cluster.cohesion = cohesion
    cluster.top_terms = ",".join(describe_terms(texts))


def clusters_by_labels(run: ClusterRun, labels: Sequence[int]) -> list[QuestionCluster]:
    """The run's clusters with these numbers (as the screen shows them); unknown ones refused."""
    wanted = set(labels)
    clusters = list(
        db.session.execute(
            select(QuestionCluster).where(
                QuestionCluster.run_id == run.id, QuestionCluster.label.in_(wanted)
            )
        ).scalars()
    )
    missing = wanted - {cluster.label for cluster in clusters}
    if missing:
        numbers = ", ".join(str(label) for label in sorted(missing))
        raise ValidationFailed(f"Deze run heeft geen cluster {numbers}.", field="labels")
    return clusters


def record_cluster_change(run: ClusterRun, detail: str, user: User | None, now: datetime) -> None:
    """Log a coordinator's change to a run's clusters."""
    record_event(
        AuditAction.CLUSTER_RUN,
        object_type="cluster_run",
        object_id=run.id,
        detail=detail,
        user_id=user.id if user else None,
        username=user.username if user else "",
        now=now,
    )


def merge_clusters(
    run: ClusterRun, cluster_ids: Sequence[int], *, user: User | None, now: datetime
) -> QuestionCluster:
    """Move the members of the given clusters into the largest of them; the rest are removed."""
    clusters = [get_cluster(run, cluster_id) for cluster_id in dict.fromkeys(cluster_ids)]
    if len(clusters) < 2:
        raise ValidationFailed("Kies minstens twee clusters om samen te voegen.", field="labels")
    target = max(clusters, key=lambda cluster: (cluster.size, -cluster.label))
    others = [cluster for cluster in clusters if cluster.id != target.id]
    other_ids = [cluster.id for cluster in others]
    if target.drafted_entry_id is None:
        target.drafted_entry_id = next(
            (c.drafted_entry_id for c in others if c.drafted_entry_id), None
        )
    db.session.execute(
        update(ClusterMember)
        .where(ClusterMember.cluster_id.in_(other_ids))
        .values(cluster_id=target.id)
    )
    for cluster in others:
        db.session.delete(cluster)
    refresh_cluster(target, run)
    assign_coverage(run, [target])
    run.cluster_count -= len(others)
    labels = ", ".join(str(cluster.label) for cluster in others)
    record_cluster_change(run, f"Clusters {labels} samengevoegd met {target.label}", user, now)
    db.session.commit()
    return target


def split_cluster(
    cluster: QuestionCluster, question_ids: Sequence[int], *, user: User | None, now: datetime
) -> QuestionCluster:
    """The given members leave the cluster and form a new one in the same run."""
    run = cluster.run
    chosen = set(question_ids)
    if not chosen:
        raise ValidationFailed("Kies de vragen die een eigen cluster worden.", field="question_ids")
    members = set(
        db.session.execute(
            select(ClusterMember.question_id).where(
                ClusterMember.cluster_id == cluster.id, ClusterMember.question_id.in_(chosen)
            )
        ).scalars()
    )
    if members != chosen:
        raise ValidationFailed(
            "Een gekozen vraag hoort niet (meer) bij dit cluster.", field="question_ids"
        )
    if len(members) >= cluster.size:
        raise ValidationFailed(
            "Laat minstens één vraag in het cluster achter; kies minder vragen.",
            field="question_ids",
        )
    next_label = db.session.execute(
        select(func.max(QuestionCluster.label)).where(QuestionCluster.run_id == run.id)
    ).scalar_one()
    new_cluster = QuestionCluster(run_id=run.id, label=next_label + 1, size=0)
    db.session.add(new_cluster)
    db.session.flush()
    db.session.execute(
        update(ClusterMember)
        .where(ClusterMember.cluster_id == cluster.id, ClusterMember.question_id.in_(members))
        .values(cluster_id=new_cluster.id)
    )
    refresh_cluster(cluster, run)
    refresh_cluster(new_cluster, run)
    assign_coverage(run, [cluster, new_cluster])
    run.cluster_count += 1
    record_cluster_change(
        run,
        f"{len(members)} vragen uit cluster {cluster.label} afgesplitst als {new_cluster.label}",
        user,
        now,
    )
    db.session.commit()
    return new_cluster


# From cluster to FAQ draft


def is_offerable(cluster: QuestionCluster) -> bool:
    """Whether the screen offers "maak FAQ": large enough and not drafted yet."""
    return (
        cluster.size >= current_app.config["FAQ_MIN_CLUSTER_SIZE"]
        and cluster.drafted_entry_id is None
    )


def most_common_topic(cluster: QuestionCluster) -> int | None:
    """The topic most members were labelled with, if any."""
    count = func.count(Question.id)
    return db.session.execute(
        select(Question.topic_id)
        .join(ClusterMember, ClusterMember.question_id == Question.id)
        .where(ClusterMember.cluster_id == cluster.id, Question.topic_id.is_not(None))
        .group_by(Question.topic_id)
        .order_by(count.desc(), Question.topic_id)
        .limit(1)
    ).scalar_one_or_none()


def shorten(text: str, limit: int) -> str:
    """The text cut at a word boundary to fit `limit` characters, with an ellipsis if cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"


def draft_from_cluster(cluster: QuestionCluster, *, user: User, now: datetime) -> FaqEntry:
    """A concept entry with the representative question and the best earlier answer."""
    minimum = current_app.config["FAQ_MIN_CLUSTER_SIZE"]
    if cluster.size < minimum:
        raise ValidationFailed(
            f"Dit cluster heeft {cluster.size} vragen. Een veelgestelde vraag maakt u pas "
            f"vanaf {minimum} vragen."
        )
    if cluster.drafted_entry_id is not None:
        raise Conflict("Van dit cluster is al een veelgestelde vraag gemaakt.")
    data = EntryInput(
        crisis_id=cluster.run.crisis_id,
        question=shorten(cluster.representative_text, QUESTION_MAX),
        answer=best_earlier_answer(cluster) or ANSWER_PLACEHOLDER,
        topic_id=most_common_topic(cluster),
    )
    return create_entry(data, user=user, now=now, cluster=cluster)


# Comparing two runs


def member_pairs(run: ClusterRun) -> list[tuple[int, int]]:
    """(cluster id, question id) of every member of the run."""
    return [
        (row[0], row[1])
        for row in db.session.execute(
            select(ClusterMember.cluster_id, ClusterMember.question_id)
            .join(QuestionCluster, QuestionCluster.id == ClusterMember.cluster_id)
            .where(QuestionCluster.run_id == run.id)
        ).all()
    ]


def change_status(size: int, earlier_size: int) -> str:
    """Grown, shrunk or the same, allowing SIZE_CHANGE_SHARE of noise."""
    if size > earlier_size * (1 + SIZE_CHANGE_SHARE):
        return "grown"
    if size < earlier_size * (1 - SIZE_CHANGE_SHARE):
        return "shrunk"
    return "same"


def compare_runs(earlier: ClusterRun, later: ClusterRun) -> RunComparison:
    """Match each cluster of the later run to the earlier cluster sharing most questions.

    Overlap is the Jaccard index of the question ids: cluster labels differ between runs, the
    questions themselves do not.
    """
    if earlier.crisis_id != later.crisis_id:
        raise ValidationFailed("Vergelijk twee runs van dezelfde crisis.")
    earlier_cluster_of = {question: cluster for cluster, question in member_pairs(earlier)}
    earlier_sizes = Counter(earlier_cluster_of.values())
    shared: dict[int, Counter[int]] = {}
    later_sizes: Counter[int] = Counter()
    for cluster, question in member_pairs(later):
        later_sizes[cluster] += 1
        match = earlier_cluster_of.get(question)
        if match is not None:
            shared.setdefault(cluster, Counter())[match] += 1
    earlier_clusters = {cluster.id: cluster for cluster in earlier.clusters}
    rows, matched = [], set()
    for cluster in sorted(later.clusters, key=lambda c: (-c.size, c.label)):
        best_id, best_overlap = None, 0.0
        for candidate, count in shared.get(cluster.id, Counter()).items():
            union = later_sizes[cluster.id] + earlier_sizes[candidate] - count
            overlap = count / union if union else 0.0
            if overlap > best_overlap:
                best_id, best_overlap = candidate, overlap
        if best_id is None or best_overlap < SAME_CLUSTER_OVERLAP:
            rows.append(ComparedCluster(cluster, None, round(best_overlap, 3), "new"))
            continue
        matched.add(best_id)
        earlier_cluster = earlier_clusters[best_id]
        status = change_status(cluster.size, earlier_cluster.size)
        rows.append(ComparedCluster(cluster, earlier_cluster, round(best_overlap, 3), status))
    gone = [c for c in earlier.clusters if c.id not in matched]
    return RunComparison(earlier=earlier, later=later, rows=rows, gone=gone)
