"""Training, the model registry and tagging questions: the Flask side of kcc.nlp.

Topic models are per crisis, one sentiment model serves all. Every trained version is kept
(file + checksum + metrics); a new one becomes active only when it scores at least as well on
the evaluation set as the active one, unless forced. Questions are tagged with the active
versions; a crisis without a trained topic model gets a cold-start model built from its topic
names and descriptions.
"""

from __future__ import annotations

import csv
import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import TextIO

import sklearn
from flask import current_app
from sqlalchemy import and_, func, or_, select, update

from kcc.classification.models import ModelKind, ModelVersion, Sentiment
from kcc.escalation.models import Escalation
from kcc.exceptions import NotFound, ValidationFailed
from kcc.extensions import db, utcnow
from kcc.governance.audit import record_event
from kcc.governance.models import AuditAction
from kcc.intake.models import Question, QuestionEvent, QuestionEventKind
from kcc.local_cache import ChangeWatch, remembered
from kcc.memory import exempt_long_lived_objects_from_collection
from kcc.nlp import store
from kcc.nlp.classifier import Labeller, TextClassifier
from kcc.nlp.coldstart import ColdStartSuggester
from kcc.nlp.training import (
    LabelledText,
    Metrics,
    evaluate,
    is_not_worse,
    load_labelled_csv,
    shipped_data_path,
    train_sentiment_model,
    train_topic_model,
)
from kcc.privacy.masking import mask_personal_data
from kcc.privacy.spreadsheet import spreadsheet_safe
from kcc.reference import cache as reference_cache
from kcc.reference.models import Crisis, Topic

# A crisis without shipped data gets a trained topic model once people confirmed this many
# labels, spread over at least two topics; until then the cold-start model suggests.
MIN_CONFIRMED_LABELS = 100
EXTENSION_KEY = "kcc.classifiers"


@dataclass(frozen=True)
class TrainingOutcome:
    """What one training run produced and whether it became active."""

    kind: str
    crisis_code: str | None
    version: ModelVersion | None
    activated: bool
    reason: str


@dataclass(frozen=True)
class Classification:
    """The labels for one question and the model versions that gave them."""

    topic_id: int | None
    topic_confidence: float | None
    topic_model_id: int | None
    sentiment: str | None
    sentiment_confidence: float | None
    sentiment_model_id: int | None
    needs_review: bool


@dataclass
class ClassifierCache:
    """Loaded classifiers per model version id (versions never change once written)."""

    loaded: dict[int, TextClassifier] = field(default_factory=dict)
    cold_start: dict[tuple[int, str], ColdStartSuggester] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


# Where models live


def model_directory() -> Path:
    """The folder the app writes its model files to (MODEL_DIR, under instance/ by default)."""
    directory = Path(current_app.config["MODEL_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def classifier_cache() -> ClassifierCache:
    """This process's loaded classifiers."""
    return current_app.extensions.setdefault(EXTENSION_KEY, ClassifierCache())


# Registry


def list_versions() -> list[ModelVersion]:
    """Every model version, newest first per kind and crisis."""
    return list(
        db.session.execute(
            select(ModelVersion).order_by(
                ModelVersion.kind, ModelVersion.crisis_id, ModelVersion.version.desc()
            )
        ).scalars()
    )


def active_version(kind: ModelKind, crisis_id: int | None) -> ModelVersion | None:
    """The active version of a kind (and crisis, for topic models), if any."""
    return db.session.execute(
        select(ModelVersion).where(
            ModelVersion.kind == kind.value,
            ModelVersion.crisis_id.is_(None)
            if crisis_id is None
            else ModelVersion.crisis_id == crisis_id,
            ModelVersion.is_active,
        )
    ).scalar_one_or_none()


def next_version_number(kind: ModelKind, crisis_id: int | None) -> int:
    """One more than the highest version so far of this kind and crisis."""
    highest = db.session.execute(
        select(func.max(ModelVersion.version)).where(
            ModelVersion.kind == kind.value,
            ModelVersion.crisis_id.is_(None)
            if crisis_id is None
            else ModelVersion.crisis_id == crisis_id,
        )
    ).scalar_one()
    return (highest or 0) + 1


def record_version(
    kind: ModelKind,
    crisis: Crisis | None,
    classifier: TextClassifier,
    metrics: Metrics,
    *,
    confirmed_labels: int,
    now: datetime,
) -> ModelVersion:
    """Write the model file, keep its checksum and metrics; not active yet."""
    number = next_version_number(kind, crisis.id if crisis else None)
    stamp = now.strftime("%Y%m%dT%H%M%S")
    # The random part keeps names unique when two processes train in the same second.
    unique = uuid.uuid4().hex[:8]
    name = f"{kind.value}-{crisis.code if crisis else 'alle'}-v{number}-{stamp}-{unique}.pkl"
    checksum = store.save(classifier, model_directory() / name).sha256
    version = ModelVersion(
        kind=kind.value,
        crisis=crisis,
        version=number,
        created_at=now,
        file_name=name,
        sha256=checksum,
        sklearn_version=sklearn.__version__,
        training_size=classifier.training_size,
        confirmed_labels=confirmed_labels,
        metrics=metrics.to_dict(),
    )
    db.session.add(version)
    db.session.flush()
    return version


def activate_version(version_id: int, *, now: datetime | None = None) -> ModelVersion:
    """Make a version the active one of its kind and crisis (also to roll back)."""
    version = db.session.get(ModelVersion, version_id)
    if version is None:
        raise NotFound("Deze modelversie bestaat niet.")
    if version.sklearn_version != sklearn.__version__:
        raise ValidationFailed(
            "Deze versie is gemaakt met een andere versie van scikit-learn en kan niet meer "
            "worden geladen. Train opnieuw."
        )
    db.session.execute(
        update(ModelVersion)
        .where(
            ModelVersion.kind == version.kind,
            ModelVersion.crisis_id.is_(None)
            if version.crisis_id is None
            else ModelVersion.crisis_id == version.crisis_id,
        )
        .values(is_active=False)
    )
    version.is_active = True
    version.activated_at = now or utcnow()
    db.session.commit()
    return version


def load_classifier(version: ModelVersion | ActiveModel) -> TextClassifier:
    """The classifier of a version, loaded once per process after its checksum is verified."""
    cache = classifier_cache()
    loaded = cache.loaded.get(version.id)
    if loaded is None:
        with cache.lock:
            loaded = cache.loaded.get(version.id)
            if loaded is None:
                path = model_directory() / version.file_name
                try:
                    loaded = store.load_verified(path, version.sha256)
                except OSError as error:  # gone or unreadable: as unusable as a tampered file
                    raise store.ModelStoreError(f"{path}: {error.strerror}") from error
                cache.loaded[version.id] = loaded
                exempt_long_lived_objects_from_collection()
    return loaded


# Training data


def confirmed_examples(crisis_id: int | None) -> list[LabelledText]:
    """Questions whose topic and sentiment a person set or confirmed (masked text)."""
    query = (
        select(Question.text_masked, Topic.code, Question.sentiment)
        .join(Topic, Topic.id == Question.topic_id)
        .where(Question.labels_confirmed_at.is_not(None), Question.sentiment.is_not(None))
    )
    if crisis_id is not None:
        query = query.where(Question.crisis_id == crisis_id)
    return [
        LabelledText(text=row[0], topic=row[1], sentiment=row[2])
        for row in db.session.execute(query)
    ]


def shipped_examples(kind: str, crisis_code: str) -> list[LabelledText]:
    """The labelled questions shipped for a crisis template, if there are any."""
    path = shipped_data_path(kind, crisis_code)
    return load_labelled_csv(path) if path.is_file() else []


def split_for_evaluation(
    examples: Sequence[LabelledText],
) -> tuple[list[LabelledText], list[LabelledText]]:
    """Without a shipped evaluation set, every fifth confirmed label is held out."""
    training = [e for number, e in enumerate(examples) if number % 5]
    held_out = [e for number, e in enumerate(examples) if not number % 5]
    return training, held_out


def decide_activation(
    metrics: Metrics, kind: ModelKind, crisis_id: int | None, *, force: bool
) -> tuple[bool, str]:
    """Activate a new version when it is not worse than the active one (or when forced)."""
    current = active_version(kind, crisis_id)
    if current is None:
        return True, "eerste versie"
    if force:
        return True, "geforceerd"
    previous = float(current.metrics.get("macro_f1", 0.0))
    comparison = f"macro-F1 {metrics.macro_f1:.3f}; versie {current.version}: {previous:.3f}"
    if is_not_worse(metrics, replace(metrics, macro_f1=previous)):
        return True, comparison
    return False, f"niet geactiveerd, slechter: {comparison}"


def train_topic_for(crisis: Crisis, *, force: bool, now: datetime) -> TrainingOutcome:
    """Train, evaluate and maybe activate a topic model for one crisis."""
    confirmed = confirmed_examples(crisis.id)
    shipped = shipped_examples("training", crisis.code)
    evaluation = shipped_examples("evaluation", crisis.code)
    if not shipped and (
        len(confirmed) < MIN_CONFIRMED_LABELS or len({e.topic for e in confirmed}) < 2
    ):
        return TrainingOutcome(
            ModelKind.TOPIC.value,
            crisis.code,
            None,
            False,
            f"te weinig bevestigde labels ({len(confirmed)} van {MIN_CONFIRMED_LABELS}); "
            "het startmodel uit de onderwerpbeschrijvingen blijft in gebruik",
        )
    if not evaluation:
        confirmed, evaluation = split_for_evaluation(confirmed)
    classifier = train_topic_model(shipped + confirmed)
    metrics = evaluate(classifier, evaluation)
    version = record_version(
        ModelKind.TOPIC, crisis, classifier, metrics, confirmed_labels=len(confirmed), now=now
    )
    activate, reason = decide_activation(metrics, ModelKind.TOPIC, crisis.id, force=force)
    return finish_training(version, activate, reason, crisis.code, now=now)


def train_sentiment(*, force: bool, now: datetime) -> TrainingOutcome:
    """Train, evaluate and maybe activate the sentiment model on every crisis's data."""
    codes = [path.stem for path in sorted(shipped_data_path("training", "x").parent.glob("*.csv"))]
    shipped = [e for code in codes for e in shipped_examples("training", code)]
    evaluation = [e for code in codes for e in shipped_examples("evaluation", code)]
    confirmed = confirmed_examples(None)
    classifier = train_sentiment_model(shipped + confirmed)
    metrics = evaluate(classifier, evaluation)
    version = record_version(
        ModelKind.SENTIMENT, None, classifier, metrics, confirmed_labels=len(confirmed), now=now
    )
    activate, reason = decide_activation(metrics, ModelKind.SENTIMENT, None, force=force)
    return finish_training(version, activate, reason, None, now=now)


def finish_training(
    version: ModelVersion, activate: bool, reason: str, crisis_code: str | None, *, now: datetime
) -> TrainingOutcome:
    """Commit the new version and activate it when it earned that."""
    version.note = reason[:300]
    db.session.commit()
    if activate:
        activate_version(version.id, now=now)
    return TrainingOutcome(version.kind, crisis_code, version, activate, reason)


def has_usable_model(kind: ModelKind, crisis_id: int | None) -> bool:
    """An active version whose file is still there (a wiped model folder means retraining)."""
    version = active_version(kind, crisis_id)
    return version is not None and (model_directory() / version.file_name).is_file()


def crises_to_train(crisis_code: str | None) -> list[Crisis]:
    """The crisis asked for, or every active crisis."""
    if crisis_code:
        crisis = db.session.execute(
            select(Crisis).where(Crisis.code == crisis_code)
        ).scalar_one_or_none()
        if crisis is None:
            raise NotFound(f"Crisis {crisis_code!r} bestaat niet.")
        return [crisis]
    return list(db.session.execute(select(Crisis).where(Crisis.is_active)).scalars())


def train_models(
    crisis_code: str | None = None,
    *,
    force: bool = False,
    only_missing: bool = False,
    now: datetime | None = None,
) -> list[TrainingOutcome]:
    """Retrain topic models (one crisis or all active ones) and the sentiment model."""
    now = now or utcnow()
    outcomes = []
    for crisis in crises_to_train(crisis_code):
        if only_missing and has_usable_model(ModelKind.TOPIC, crisis.id):
            continue
        outcomes.append(train_topic_for(crisis, force=force, now=now))
    if not (only_missing and has_usable_model(ModelKind.SENTIMENT, None)):
        outcomes.append(train_sentiment(force=force, now=now))
    return outcomes


# Tagging questions


@dataclass(frozen=True)
class ActiveLabellers:
    """The models a crisis's texts are tagged with now, loaded once for a batch of them."""

    topic: Labeller | None
    topic_version: ModelVersion | None
    sentiment: Labeller | None
    sentiment_version: ModelVersion | None
    topic_ids: dict[str, int]


def active_labellers(crisis_id: int) -> ActiveLabellers:
    """The active topic model (or the cold start), the active sentiment model, topic ids."""
    topic_version = active_version(ModelKind.TOPIC, crisis_id)
    topic: Labeller | None = (
        load_classifier(topic_version) if topic_version is not None else cold_start_for(crisis_id)
    )
    sentiment_version = active_version(ModelKind.SENTIMENT, None)
    sentiment = load_classifier(sentiment_version) if sentiment_version is not None else None
    topic_ids = dict(
        db.session.execute(select(Topic.code, Topic.id).where(Topic.crisis_id == crisis_id))
        .tuples()
        .all()
    )
    return ActiveLabellers(topic, topic_version, sentiment, sentiment_version, topic_ids)


def cold_start_for(crisis_id: int) -> ColdStartSuggester | None:
    """A topic suggester from the crisis's topic names and descriptions (cached per content)."""
    topics = list(
        db.session.execute(
            select(Topic.code, Topic.name, Topic.description).where(
                Topic.crisis_id == crisis_id, Topic.is_active
            )
        )
    )
    if not topics:
        return None
    fingerprint = "|".join(f"{code}:{name}:{description}" for code, name, description in topics)
    cache = classifier_cache()
    key = (crisis_id, fingerprint)
    if key not in cache.cold_start:
        try:
            cache.cold_start[key] = ColdStartSuggester(
                [(code, f"{name}. {description}") for code, name, description in topics]
            )
        except ValueError:  # only a fallback topic: nothing to compare with
            return None
    return cache.cold_start[key]


@dataclass(frozen=True)
class ActiveModel:
    """What loading an active model version takes (versions never change once written)."""

    id: int
    file_name: str
    sha256: str


# An activation counts at once on the app server that made it and within this many seconds
# on the others: the database says which version is active, every registration asks.
ACTIVE_MODELS_SECONDS = 1.0
model_changes = ChangeWatch(ModelVersion)


def active_models(crisis_id: int) -> tuple[ActiveModel | None, ActiveModel | None]:
    """The crisis's active topic model and the active sentiment model."""
    return remembered(
        model_changes,
        ("active-models", crisis_id),
        lambda: load_active_models(crisis_id),
        seconds=ACTIVE_MODELS_SECONDS,
    )


def load_active_models(crisis_id: int) -> tuple[ActiveModel | None, ActiveModel | None]:
    """Both active models in one plain query instead of two ORM loads."""
    rows = db.session.execute(
        select(ModelVersion.id, ModelVersion.kind, ModelVersion.file_name, ModelVersion.sha256)
        .where(ModelVersion.is_active)
        .where(
            or_(
                and_(
                    ModelVersion.kind == ModelKind.TOPIC.value,
                    ModelVersion.crisis_id == crisis_id,
                ),
                and_(
                    ModelVersion.kind == ModelKind.SENTIMENT.value,
                    ModelVersion.crisis_id.is_(None),
                ),
            )
        )
    )
    found = {kind: ActiveModel(id_, file_name, sha256) for id_, kind, file_name, sha256 in rows}
    return found.get(ModelKind.TOPIC.value), found.get(ModelKind.SENTIMENT.value)


def classify(crisis_id: int, masked_text: str) -> Classification:
    """Topic and sentiment for a masked question text, with the versions that gave them."""
    topic_version, sentiment_version = active_models(crisis_id)
    topic_labeller = (
        load_classifier(topic_version) if topic_version is not None else cold_start_for(crisis_id)
    )
    topic = topic_labeller.predict_one(masked_text) if topic_labeller else None
    topic_model_id = topic_version.id if topic_version else None
    sentiment = (
        load_classifier(sentiment_version).predict_one(masked_text) if sentiment_version else None
    )
    topic_id = reference_cache.topic_id_by_code(crisis_id, topic.label) if topic else None
    return Classification(
        topic_id=topic_id,
        topic_confidence=round(topic.confidence, 4) if topic else None,
        topic_model_id=topic_model_id,
        sentiment=sentiment.label if sentiment else None,
        sentiment_confidence=round(sentiment.confidence, 4) if sentiment else None,
        sentiment_model_id=sentiment_version.id if sentiment_version else None,
        needs_review=bool(
            topic_id is None
            or (topic and topic.needs_review)
            or (sentiment and sentiment.needs_review)
        ),
    )


def apply_classification(question: Question, result: Classification) -> None:
    """Store the model's labels on a question."""
    question.topic_id = result.topic_id
    question.topic_confidence = result.topic_confidence
    question.topic_model_id = result.topic_model_id
    question.sentiment = result.sentiment
    question.sentiment_confidence = result.sentiment_confidence
    question.sentiment_model_id = result.sentiment_model_id
    question.needs_review = result.needs_review


# Corrections


def check_labels(crisis_id: int, topic_id: int, sentiment: str) -> None:
    """A confirmed topic belongs to the question's crisis; the sentiment is a known one."""
    errors: dict[str, list[str]] = {}
    topic = db.session.get(Topic, topic_id)
    if topic is None or topic.crisis_id != crisis_id:
        errors["topic_id"] = ["Kies een onderwerp van deze crisis."]
    if sentiment not in {s.value for s in Sentiment}:
        errors["sentiment"] = ["Kies negatief, neutraal of positief."]
    if errors:
        raise ValidationFailed.from_errors(errors)


def set_confirmed_labels(
    question: Question, topic_id: int, sentiment: str, *, user_id: int | None, now: datetime
) -> None:
    """Record a person's topic and sentiment; they become training labels."""
    check_labels(question.crisis_id, topic_id, sentiment)
    question.topic_id = topic_id
    # The queue filters on its own copy of the topic. A plain UPDATE: relabelling is no change
    # to the work item, so it must not collide with someone claiming it at the same moment.
    if question.id is not None:  # a question being registered has no work item yet
        db.session.execute(
            update(Escalation)
            .where(Escalation.question_id == question.id)
            .values(topic_id=topic_id)
        )
    question.sentiment = sentiment
    question.needs_review = False
    question.labels_confirmed_by_id = user_id
    question.labels_confirmed_at = now
    topic = db.session.get(Topic, topic_id)
    question.events.append(
        QuestionEvent(
            at=now,
            user_id=user_id,
            kind=QuestionEventKind.LABELLED.value,
            detail=f"Onderwerp {topic.name if topic else topic_id}, sentiment {sentiment}.",
        )
    )


def confirm_labels(
    question_id: int, topic_id: int, sentiment: str, *, user_id: int, now: datetime | None = None
) -> Question:
    """A reviewer sets or confirms a question's topic and sentiment."""
    question = db.session.get(Question, question_id)
    if question is None:
        raise NotFound("Deze vraag bestaat niet.")
    set_confirmed_labels(question, topic_id, sentiment, user_id=user_id, now=now or utcnow())
    record_event(
        AuditAction.LABELS_CONFIRMED,
        object_type="question",
        object_id=question.id,
        detail=f"onderwerp {topic_id}, sentiment {sentiment}",
    )
    db.session.commit()
    return question


def review_queue(crisis_id: int | None = None, *, limit: int = 50) -> list[Question]:
    """Unconfirmed questions the models were unsure about, newest first."""
    query = select(Question).where(Question.needs_review, Question.labels_confirmed_at.is_(None))
    if crisis_id:
        query = query.where(Question.crisis_id == crisis_id)
    return list(
        db.session.execute(
            query.order_by(Question.received_at.desc(), Question.id.desc()).limit(limit)
        ).scalars()
    )


# Batch classification (CLI)


BATCH_SIZE = 2_000
CSV_COLUMNS = ["id", "topic", "topic_confidence", "sentiment", "sentiment_confidence"]


def batch_classifiers(
    crisis_code: str,
) -> tuple[TextClassifier | ColdStartSuggester, TextClassifier]:
    """The active topic model of a crisis (or its cold start) and the sentiment model."""
    crisis = crises_to_train(crisis_code)[0]
    version = active_version(ModelKind.TOPIC, crisis.id)
    topic_model = load_classifier(version) if version else cold_start_for(crisis.id)
    sentiment_version = active_version(ModelKind.SENTIMENT, None)
    if topic_model is None or sentiment_version is None:
        raise ValidationFailed("Er is nog geen actief model: draai eerst `flask --app kcc train`.")
    return topic_model, load_classifier(sentiment_version)


def batched(rows: Iterable[dict[str, str]], size: int) -> Iterator[list[dict[str, str]]]:
    """Rows in lists of `size` (itertools.batched arrives with Python 3.12)."""
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def classify_csv(crisis_code: str, source: TextIO, target: TextIO) -> int:
    """Read id,text rows, mask each text, write id,topic,...,sentiment_confidence; count rows."""
    topic_model, sentiment_model = batch_classifiers(crisis_code)
    reader = csv.DictReader(source)
    if not reader.fieldnames or not {"id", "text"} <= set(reader.fieldnames):
        raise ValidationFailed("Het invoerbestand moet de kolommen id en text hebben.")
    writer = csv.writer(target)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for batch in batched(reader, BATCH_SIZE):
        ids = [row["id"] for row in batch]
        texts = [mask_personal_data(row["text"] or "") for row in batch]
        topics = topic_model.predict_many(texts)
        sentiments = sentiment_model.predict_many(texts)
        for row_id, topic, sentiment in zip(ids, topics, sentiments, strict=True):
            writer.writerow(
                [
                    spreadsheet_safe(row_id),
                    topic.label,
                    f"{topic.confidence:.4f}",
                    sentiment.label,
                    f"{sentiment.confidence:.4f}",
                ]
            )
        count += len(batch)
    return count
