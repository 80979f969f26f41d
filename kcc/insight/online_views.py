"""Online messages beside the KCC's: import a media-monitoring export, compare per topic.

Everyone with insight may look; importing and deleting imports is for coordinators and
communication advisers (analysts), who get the exports from the media-monitoring tool. Roles
with both of those jobs share CURATE_FAQ: the administrator (who also views insight) does not
handle message data.
"""

from __future__ import annotations

from datetime import date

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from kcc.exceptions import NotFound, ValidationFailed
from kcc.extensions import utcnow
from kcc.insight import online
from kcc.insight.online_forms import DeleteImportForm, ImportForm, PeriodForm
from kcc.insight.views import bp
from kcc.intake.forms import attach_service_errors
from kcc.localtime import to_local
from kcc.reference import services as reference_services
from kcc.reference.models import Crisis
from kcc.security import Permission, permission_required, user_can

IMPORT_PERMISSION = Permission.CURATE_FAQ
IMPORTS_SHOWN = 50


def screen_upload_limit() -> int:
    """Bytes the import form may send: ONLINE_UPLOAD_MAX_BYTES if set, else the app's limit.

    An export is larger than other forms, but an import runs inside the request (about 3,000
    rows/s measured on a shared 2-core machine, classification being most of it), so the
    screen stays well below the import's own cap; larger files go through
    `flask --app kcc import-online`.
    """
    limit = (
        current_app.config.get("ONLINE_UPLOAD_MAX_BYTES")
        or current_app.config["MAX_CONTENT_LENGTH"]
    )
    return min(limit, online.MAX_BYTES)


def local_today() -> date:
    """Today in the Netherlands."""
    return to_local(utcnow()).date()


def chosen_crisis(crisis_id: int | None, crises: list[Crisis]) -> Crisis | None:
    """The crisis asked for, else the first (active crises come first)."""
    for crisis in crises:
        if crisis.id == crisis_id:
            return crisis
    return crises[0] if crises else None


def render_online_page(
    *, import_form: ImportForm | None = None, status: int = 200
) -> tuple[str, int]:
    """The screen: comparison for the chosen crisis and period, imports, the upload form."""
    crises = reference_services.list_crises_with_topics()
    period_form = PeriodForm(request.args)
    period_form.fill_choices(crises)
    period_form.validate()
    crisis = chosen_crisis(period_form.crisis_id.data, crises)
    start, end = period_form.period(local_today())
    comparison = online.online_comparison(crisis.id, start, end) if crisis else None
    if crisis:
        period_form.crisis_id.data = crisis.id
    if not period_form.errors:
        period_form.start.data, period_form.end.data = start, end
    if import_form is None and user_can(IMPORT_PERMISSION):
        import_form = ImportForm(formdata=None, crisis_id=crisis.id if crisis else None)
    if import_form is not None:
        import_form.fill_choices(crises)
    return render_template(
        "insight/online.html",
        crisis=crisis,
        period_form=period_form,
        comparison=comparison,
        chart=online.negative_share_chart(comparison) if comparison else None,
        percent=online.percent,
        imports=online.list_imports(crisis.id if crisis else None, limit=IMPORTS_SHOWN),
        import_form=import_form,
        delete_form=DeleteImportForm() if user_can(IMPORT_PERMISSION) else None,
        upload_limit=screen_upload_limit() / (1024 * 1024),
        max_rows=online.MAX_ROWS,
    ), status


@bp.route("/online")
@permission_required(Permission.VIEW_INSIGHTS)
def online_messages() -> tuple[str, int]:
    """KCC against online per topic for a crisis and period; the imports; the upload form."""
    return render_online_page()


@bp.post("/online")
@permission_required(IMPORT_PERMISSION)
def online_upload() -> Response | tuple[str, int]:
    """Import an uploaded export, then show the period its messages cover."""
    form = ImportForm()
    form.fill_choices(reference_services.list_crises_with_topics())
    if form.validate_on_submit():
        upload = form.export.data
        try:
            summary = online.import_online_export(
                form.crisis_id.data,
                upload.stream,
                filename=upload.filename or "",
                user=current_user,
                now=utcnow(),
            )
        except ValidationFailed as error:
            attach_service_errors(form, error, aliases={"file": "export"}, fallback="export")
        else:
            flash_summary(summary)
            start, end = online.import_period(summary.online_import)
            return redirect(
                url_for(
                    "insight.online_messages",
                    crisis_id=summary.online_import.crisis_id,
                    start=start.isoformat(),
                    end=end.isoformat(),
                )
            )
    return render_online_page(import_form=form, status=400)


def flash_summary(summary: online.ImportSummary) -> None:
    """Say how many messages came in, and why rows were skipped."""
    message = f"{summary.imported} berichten geïmporteerd, {summary.skipped} rijen overgeslagen."
    if summary.reasons:
        message += " Overgeslagen: " + "; ".join(summary.reasons)
        if summary.skipped > len(summary.reasons):
            message += f"; en nog {summary.skipped - len(summary.reasons)}"
        message += "."
    flash(message, "success" if not summary.skipped else "warning")


@bp.post("/online/imports/<int:import_id>/delete")
@permission_required(IMPORT_PERMISSION)
def delete_online_import(import_id: int) -> Response:
    """Remove an import and its messages (a wrong or doubled file)."""
    form = DeleteImportForm()
    if not form.validate_on_submit():
        flash("Het formulier is verlopen. Probeer het opnieuw.", "error")
        return redirect(url_for("insight.online_messages"))
    try:
        removed = online.delete_online_import(import_id, user=current_user, now=utcnow())
    except NotFound as error:
        flash(str(error), "error")
        return redirect(url_for("insight.online_messages"))
    flash(f"Import {removed.filename or import_id} verwijderd ({removed.rows} berichten).")
    return redirect(url_for("insight.online_messages", crisis_id=removed.crisis_id))


def raise_upload_limit_for_online_import() -> None:
    """Let the import form send up to screen_upload_limit() (other forms keep the app's limit).

    Must run before CSRFProtect reads the form, so the app factory registers it before
    csrf.init_app (Flask 3.1 reads request.max_content_length when the body is parsed).
    """
    if request.endpoint == "insight.online_upload":
        request.max_content_length = screen_upload_limit()
