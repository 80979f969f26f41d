"""The coordinator's cluster screens: runs, clusters ranked by size and growth, merge, split."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from kcc.exceptions import Conflict, ValidationFailed
from kcc.extensions import utcnow
from kcc.faq import clusters, impact
from kcc.faq.cluster_forms import CompareForm, DraftForm, MergeForm, RunForm, SplitForm
from kcc.faq.views import bp
from kcc.jobs import queue as jobs
from kcc.reference import services as reference_services
from kcc.security import Permission, permission_required

# Runs offered in the lists and the compare form: older runs are rarely worth reopening.
RUNS_SHOWN = 20
# Rows of a comparison shown: the largest clusters are the ones worth a look.
COMPARED_SHOWN = 200


def run_form_with_choices(form: RunForm | None = None) -> RunForm:
    """The start-a-run form with every crisis to choose from."""
    form = form or RunForm()
    form.fill_choices(reference_services.list_crises_with_topics())
    return form


def compare_form_for(run: clusters.ClusterRun) -> CompareForm:
    """The compare form offering the run's crisis's recent runs, this run as the later one."""
    form = CompareForm(formdata=None, later=run.id)
    form.fill_choices(clusters.recent_runs(run.crisis_id, limit=RUNS_SHOWN))
    return form


@bp.route("/clusters")
@permission_required(Permission.CURATE_FAQ)
def clusters_index() -> str:
    """Start a run, see earlier runs, and the latest run's clusters ranked."""
    crisis_id = request.args.get("crisis_id", type=int)
    run = clusters.latest_run(crisis_id)
    form = run_form_with_choices()
    if crisis_id:
        form.crisis_id.data = crisis_id
    return render_template(
        "faq/clusters.html",
        form=form,
        runs=clusters.recent_runs(crisis_id, limit=RUNS_SHOWN),
        crisis_id=crisis_id,
        run=run,
        **run_page_context(run),
    )


def run_page_context(run: clusters.ClusterRun | None) -> dict[str, object]:
    """What the ranked cluster table needs for a run (nothing without a run)."""
    if run is None:
        return {"result": None, "draft_form": None, "compare_form": None}
    return {
        "result": clusters.ranked_clusters(run, page=request.args.get("page", 1, type=int)),
        "draft_form": DraftForm(),
        "compare_form": compare_form_for(run),
        "min_size": current_app.config["FAQ_MIN_CLUSTER_SIZE"],
    }


@bp.post("/clusters")
@permission_required(Permission.CURATE_FAQ)
def start_run() -> Response | tuple[str, int]:
    """Cluster a crisis's questions: on a worker when Redis is set up, else in this request."""
    form = run_form_with_choices(RunForm())
    if form.validate_on_submit():
        if jobs.uses_queue():
            return start_run_in_background(form)
        try:
            run = clusters.run_clustering(
                form.crisis_id.data,
                days=form.days.data,
                user=current_user,
                now=utcnow(),
                max_questions=current_app.config["FAQ_SCREEN_CLUSTER_LIMIT"],
            )
        except ValidationFailed as error:
            form.days.errors = [*form.days.errors, str(error)]
        else:
            flash(
                f"Run {run.id}: {run.question_count} vragen, {run.cluster_count} clusters, "
                f"{run.unclustered_count} niet geclusterd.",
                "success",
            )
            return redirect(url_for("faq.cluster_run", run_id=run.id))
    return render_template(
        "faq/clusters.html",
        form=form,
        runs=clusters.recent_runs(limit=RUNS_SHOWN),
        crisis_id=None,
        run=None,
        **run_page_context(None),
    ), 400


def start_run_in_background(form: RunForm) -> Response:
    """Hand the run to a worker and show its progress page."""
    # A worker has no request to finish in time, so the screen's size limit does not apply.
    handle = jobs.enqueue(
        "cluster",
        requested_by=current_user.id,
        crisis_id=form.crisis_id.data,
        days=form.days.data,
        user_id=current_user.id,
    )
    flash("De clustering loopt op de achtergrond.", "success")
    return redirect(url_for("jobs.job", job_id=handle.id))


@bp.route("/clusters/<int:run_id>")
@permission_required(Permission.CURATE_FAQ)
def cluster_run(run_id: int) -> str:
    """One run's clusters, uncovered first, then by size and growth."""
    run = clusters.get_run(run_id)
    return render_template("faq/clusters_run.html", run=run, **run_page_context(run))


@bp.route("/clusters/<int:run_id>/<int:cluster_id>")
@permission_required(Permission.CURATE_FAQ)
def cluster(run_id: int, cluster_id: int) -> str:
    """A cluster's members, the answers already given, and the merge and split forms."""
    run = clusters.get_run(run_id)
    found = clusters.get_cluster(run, cluster_id)
    return render_cluster(run, found, MergeForm(formdata=None), None)


def render_cluster(
    run: clusters.ClusterRun,
    cluster: clusters.QuestionCluster,
    merge_form: MergeForm,
    split_form: SplitForm | None,
) -> str:
    """The cluster page with one page of members (the split form ticks those)."""
    detail = clusters.cluster_detail(cluster, page=request.args.get("page", 1, type=int))
    if split_form is None:
        split_form = SplitForm(formdata=None)
    split_form.fill_choices([(m.question_id, m.text) for m in detail.members])
    return render_template(
        "faq/cluster.html",
        run=run,
        detail=detail,
        merge_form=merge_form,
        split_form=split_form,
        draft_form=DraftForm(),
        offerable=clusters.is_offerable(cluster),
        min_size=current_app.config["FAQ_MIN_CLUSTER_SIZE"],
    )


@bp.post("/clusters/<int:run_id>/<int:cluster_id>/merge")
@permission_required(Permission.CURATE_FAQ)
def merge(run_id: int, cluster_id: int) -> Response | tuple[str, int]:
    """Merge the clusters typed with this one (into whichever is largest)."""
    run = clusters.get_run(run_id)
    found = clusters.get_cluster(run, cluster_id)
    form = MergeForm()
    if form.validate_on_submit():
        try:
            others = clusters.clusters_by_labels(run, form.to_labels())
            target = clusters.merge_clusters(
                run,
                [found.id, *(other.id for other in others)],
                user=current_user,
                now=utcnow(),
            )
        except ValidationFailed as error:
            form.labels.errors = [*form.labels.errors, str(error)]
        else:
            flash(f"Samengevoegd tot cluster {target.label} ({target.size} vragen).", "success")
            return redirect(url_for("faq.cluster", run_id=run.id, cluster_id=target.id))
    return render_cluster(run, found, form, None), 400


@bp.post("/clusters/<int:run_id>/<int:cluster_id>/split")
@permission_required(Permission.CURATE_FAQ)
def split(run_id: int, cluster_id: int) -> Response | tuple[str, int]:
    """The ticked members become a new cluster of the same run."""
    run = clusters.get_run(run_id)
    found = clusters.get_cluster(run, cluster_id)
    form = SplitForm()
    if form.validate_on_submit():
        try:
            new_cluster = clusters.split_cluster(
                found, form.question_ids.data or [], user=current_user, now=utcnow()
            )
        except ValidationFailed as error:
            form.question_ids.errors = [*form.question_ids.errors, str(error)]
        else:
            flash(f"{new_cluster.size} vragen vormen nu cluster {new_cluster.label}.", "success")
            return redirect(url_for("faq.cluster", run_id=run.id, cluster_id=new_cluster.id))
    return render_cluster(run, found, MergeForm(formdata=None), form), 400


@bp.post("/clusters/<int:run_id>/<int:cluster_id>/draft")
@permission_required(Permission.CURATE_FAQ)
def draft(run_id: int, cluster_id: int) -> Response:
    """ "Maak FAQ": a concept entry from the cluster, opened for editing."""
    run = clusters.get_run(run_id)
    found = clusters.get_cluster(run, cluster_id)
    if not DraftForm().validate_on_submit():
        flash("Het formulier was verlopen. Probeer het opnieuw.", "error")
        return redirect(url_for("faq.cluster", run_id=run.id, cluster_id=found.id))
    try:
        entry = clusters.draft_from_cluster(found, user=current_user, now=utcnow())
    except (ValidationFailed, Conflict) as error:
        flash(str(error), "error")
        return redirect(url_for("faq.cluster", run_id=run.id, cluster_id=found.id))
    flash("Concept gemaakt. Controleer de vraag en schrijf of verbeter het antwoord.", "success")
    return redirect(url_for("faq.edit_entry", entry_id=entry.id))


@bp.route("/clusters/compare")
@permission_required(Permission.CURATE_FAQ)
def compare() -> str:
    """How the clusters of a later run relate to those of an earlier one."""
    later_id = request.args.get("later", type=int)
    earlier_id = request.args.get("earlier", type=int)
    form = CompareForm(formdata=None)
    if later_id is None or earlier_id is None:
        # No runs chosen yet: offer the newest runs of every crisis.
        form.fill_choices(clusters.recent_runs(limit=RUNS_SHOWN))
        return render_template(
            "faq/clusters_compare.html", compare_form=form, comparison=None, later=None
        )
    later, earlier = clusters.get_run(later_id), clusters.get_run(earlier_id)
    form = compare_form_for(later)
    form.earlier.data = earlier.id
    try:
        comparison = clusters.compare_runs(earlier, later)
    except ValidationFailed as error:
        flash(str(error), "error")
        comparison = None
    return render_template(
        "faq/clusters_compare.html",
        compare_form=form,
        comparison=comparison,
        later=later,
        labels=clusters.COMPARISON_LABELS,
        shown=COMPARED_SHOWN,
    )


@bp.route("/clusters/impact/<int:entry_id>")
@permission_required(Permission.CURATE_FAQ)
def cluster_impact(entry_id: int) -> str | tuple[str, int]:
    """Does it work? Questions per week before and after the entry was published."""
    try:
        result = impact.entry_impact(entry_id, now=utcnow())
    except Conflict as error:
        flash(str(error), "error")
        return render_template("faq/cluster_impact.html", impact=None, entry_id=entry_id), 409
    return render_template("faq/cluster_impact.html", impact=result, entry_id=entry_id)
