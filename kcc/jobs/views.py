"""The page that follows a background job someone started from the screen."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, url_for
from flask_login import current_user, login_required

from kcc.exceptions import NotFound
from kcc.jobs import queue

bp = Blueprint("jobs", __name__)


@bp.route("/<job_id>")
@login_required
def job(job_id: str) -> str:
    """A job's state and, once done, its outcome; only for the person who started it."""
    if not queue.uses_queue():
        abort(404)
    try:
        state = queue.job_state(job_id)
    except NotFound:
        abort(404)
    if state.requested_by != current_user.id:
        abort(404)  # someone else's job: as if it did not exist
    result_url = None
    if state.outcome and state.outcome.get("endpoint"):
        result_url = url_for(state.outcome["endpoint"], **state.outcome.get("values", {}))
    return render_template("jobs/job.html", state=state, result_url=result_url)
