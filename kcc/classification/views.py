"""The review list (labels for unsure questions) and the model registry pages."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from kcc.classification import services
from kcc.classification.forms import ActivateForm, LabelForm, TrainForm
from kcc.classification.models import ModelVersion
from kcc.exceptions import NotFound, ValidationFailed
from kcc.extensions import db
from kcc.intake.models import Question
from kcc.jobs import queue as jobs
from kcc.reference import services as reference_services
from kcc.security import Permission, permission_required

bp = Blueprint("classification", __name__)


def label_form_for(question: Question, form: LabelForm | None = None) -> LabelForm:
    """A label form for one question, prefilled with what the models said."""
    form = form or LabelForm(
        prefix=f"q{question.id}",
        topic_id=question.topic_id,
        sentiment=question.sentiment or "neutraal",
    )
    form.offer_topics(reference_services.list_topics(question.crisis_id))
    return form


@bp.route("/review", methods=["GET", "POST"])
@permission_required(Permission.REVIEW_LABELS)
def review() -> str | Response | tuple[str, int]:
    """Questions the models were unsure about; each label set here trains the next version."""
    failed: LabelForm | None = None
    failed_id = None
    if request.method == "POST":
        question = db.session.get(Question, request.form.get("question_id", type=int) or 0)
        if question is None:
            abort(404)
        form = label_form_for(question, LabelForm(prefix=f"q{question.id}"))
        if form.validate_on_submit():
            try:
                services.confirm_labels(
                    question.id, form.topic_id.data, form.sentiment.data, user_id=current_user.id
                )
            except (ValidationFailed, NotFound) as error:
                form.topic_id.errors = [*form.topic_id.errors, str(error)]
            else:
                flash(f"Onderwerp en sentiment van {question.reference} vastgelegd.", "success")
                return redirect(url_for("classification.review"))
        failed, failed_id = form, question.id
    questions = services.review_queue()
    forms = {
        q.id: failed if failed and failed_id == q.id else label_form_for(q)
        for q in questions
    }
    status = 422 if failed else 200
    return render_template("classification/review.html", questions=questions, forms=forms), status


@bp.route("/models")
@permission_required(Permission.MANAGE_MODELS)
def models() -> str:
    """Every model version with its scores; which one is active."""
    return render_template(
        "classification/models.html", versions=services.list_versions(), train_form=TrainForm()
    )


@bp.post("/models/train")
@permission_required(Permission.MANAGE_MODELS)
def train() -> Response:
    """Retrain every model: on a worker when Redis is set up, else in this request.

    Training takes seconds to a minute (longer with many confirmed labels): a worker keeps it
    out of the app's requests. A new version becomes active only if it scores no worse.
    """
    form = TrainForm()
    if not form.validate_on_submit():
        flash("Het formulier is verlopen. Probeer het opnieuw.", "error")
        return redirect(url_for("classification.models"))
    handle = jobs.enqueue("train", requested_by=current_user.id)
    if handle.id is not None:
        flash("Het trainen loopt op de achtergrond.", "success")
        return redirect(url_for("jobs.job", job_id=handle.id))
    result = handle.outcome or {}
    flash(result.get("summary", ""), "error" if result.get("failed") else "success")
    return redirect(url_for("classification.models"))


@bp.route("/models/<int:version_id>", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_MODELS)
def model(version_id: int) -> str | Response:
    """One version's scores per class and confusion matrix; activate or roll back to it."""
    version = db.session.get(ModelVersion, version_id)
    if version is None:
        abort(404)
    form = ActivateForm()
    if form.validate_on_submit():
        try:
            services.activate_version(version.id)
        except ValidationFailed as error:
            flash(str(error), "error")
        else:
            flash(f"Versie {version.version} is nu actief.", "success")
        return redirect(url_for("classification.model", version_id=version.id))
    return render_template("classification/model.html", version=version, form=form)
