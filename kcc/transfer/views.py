"""Screens for importing registrations (upload → mapping → preview → result) and exporting.

Importing is for coordinators and administrators (IMPORT_QUESTIONS). Exporting is for the roles
with EXPORT_QUESTIONS; only those who may see personal data get texts and contact details as
stored, the others get the masked texts.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from itertools import chain
from typing import IO

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from kcc.exceptions import Conflict, NotFound, ValidationFailed
from kcc.extensions import db, utcnow
from kcc.intake.forms import attach_service_errors
from kcc.localtime import to_local
from kcc.privacy.masking import mask_personal_data
from kcc.reference import services as reference_services
from kcc.reference.models import Crisis
from kcc.security import Permission, permission_required, user_can
from kcc.transfer import exporting, services
from kcc.transfer.forms import ExportForm, MappingForm, PreviewForm, UploadForm
from kcc.transfer.mapping import TARGET_LABELS, TARGETS
from kcc.transfer.models import ImportRun
from kcc.transfer.reading import MAX_ROWS

bp = Blueprint("transfer", __name__)

CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILE_CHUNK_BYTES = 64 * 1024


def upload_limit() -> int:
    """Bytes the upload form may send (IMPORT_UPLOAD_MAX_BYTES)."""
    return int(current_app.config["IMPORT_UPLOAD_MAX_BYTES"])


def raise_upload_limit_for_question_import() -> None:
    """Let the import's upload form send up to upload_limit(); other forms keep the app's.

    Registered before CSRFProtect, which reads the form (and so the body) first.
    """
    if request.endpoint == "transfer.import_upload":
        request.max_content_length = upload_limit()


def open_run_or_404(run_id: int) -> ImportRun:
    """The user's unfinished run, or a 404 page (also for someone else's)."""
    try:
        return services.get_open_run(run_id, current_user)
    except NotFound:
        abort(404)


# Import


def render_upload(form: UploadForm, status: int = 200) -> tuple[str, int]:
    """The upload page with the user's recent imports."""
    return render_template(
        "transfer/upload.html",
        form=form,
        runs=services.recent_runs(current_user),
        upload_megabytes=upload_limit() // (1024 * 1024),
        max_rows=f"{MAX_ROWS:,}".replace(",", "."),
    ), status


@bp.route("/import", methods=["GET", "POST"])
@permission_required(Permission.IMPORT_QUESTIONS)
def import_upload() -> BaseResponse | tuple[str, int]:
    """Step 1: upload a file for a crisis."""
    form = UploadForm()
    form.fill_choices(reference_services.list_crises_with_topics())
    if form.validate_on_submit():
        upload = form.file.data
        try:
            run = services.start_import(
                form.crisis_id.data,
                upload.read(),
                filename=upload.filename or "",
                user=current_user,
                now=utcnow(),
            )
        except ValidationFailed as error:
            attach_service_errors(form, error, fallback="file")
        else:
            return redirect(url_for("transfer.import_mapping", run_id=run.id))
    return render_upload(form, 422 if request.method == "POST" else 200)


@bp.route("/imports/<int:run_id>/mapping", methods=["GET", "POST"])
@permission_required(Permission.IMPORT_QUESTIONS)
def import_mapping(run_id: int) -> BaseResponse | tuple[str, int]:
    """Step 2: choose the column of each field (pre-filled from the layout's last mapping)."""
    run = open_run_or_404(run_id)
    form = MappingForm()
    form.fill_choices(run.headers)
    if request.method == "GET":
        form.fill_from(run.mapping)
    elif form.validate_on_submit():
        try:
            services.set_mapping(run, form.to_mapping(), now=utcnow())
        except ValidationFailed as error:
            attach_service_errors(form, error, fallback="received_at")
        else:
            return redirect(url_for("transfer.import_preview", run_id=run.id))
    return render_template(
        "transfer/mapping.html",
        form=form,
        run=run,
        targets=TARGETS,
        labels=TARGET_LABELS,
    ), 422 if request.method == "POST" else 200


def render_preview(
    run: ImportRun, form: PreviewForm, *, error: str = "", status: int = 200
) -> tuple[str, int] | BaseResponse:
    """The preview: counts, the first rows, every problem row with a checkbox."""
    try:
        preview = services.preview_run(run, now=utcnow())
    except ValidationFailed as problem:
        flash(str(problem), "error")
        return redirect(url_for("transfer.import_mapping", run_id=run.id))
    return render_template(
        "transfer/preview.html",
        run=run,
        form=form,
        preview=preview,
        error=error,
        ticked=set(form.skip.data or []) if request.method == "POST" else None,
        masked=mask_personal_data,
    ), status


@bp.route("/imports/<int:run_id>/preview")
@permission_required(Permission.IMPORT_QUESTIONS)
def import_preview(run_id: int) -> tuple[str, int] | BaseResponse:
    """Step 3: what the import would do, before anything is stored."""
    run = open_run_or_404(run_id)
    return render_preview(run, PreviewForm(formdata=None))


@bp.post("/imports/<int:run_id>/import")
@permission_required(Permission.IMPORT_QUESTIONS)
def import_start(run_id: int) -> tuple[str, int] | BaseResponse:
    """Step 4: import, all-or-nothing or without the ticked rows; then the result."""
    run = open_run_or_404(run_id)
    form = PreviewForm()
    if not form.validate_on_submit():
        return render_preview(
            run, form, error="Het formulier is verlopen of onvolledig.", status=422
        )
    try:
        services.finish_import(
            run,
            skip_lines=set(form.skip.data or []),
            all_or_nothing=form.all_or_nothing,
            user=current_user,
            now=utcnow(),
        )
    except (ValidationFailed, Conflict) as error:
        db.session.rollback()
        return render_preview(run, form, error=str(error), status=422)
    flash("Import klaar.", "success")
    return redirect(url_for("transfer.import_result", run_id=run.id))


@bp.route("/imports/<int:run_id>")
@permission_required(Permission.IMPORT_QUESTIONS)
def import_result(run_id: int) -> str:
    """The counts of an import."""
    try:
        run = services.get_run(run_id, current_user)
    except NotFound:
        abort(404)
    return render_template("transfer/result.html", run=run)


# Export


def export_form() -> ExportForm:
    """The filter form, read from the query string, with its choices."""
    form = ExportForm(request.args)
    form.fill_choices(
        reference_services.list_crises_with_topics(), reference_services.list_municipalities()
    )
    return form


@bp.route("/export")
@permission_required(Permission.EXPORT_QUESTIONS)
def export_page() -> tuple[str, int]:
    """The filter form with the CSV and XLSX buttons."""
    form = export_form()
    status = 200 if not request.args or form.validate() else 400
    return render_template(
        "transfer/export.html",
        form=form,
        with_personal_data=user_can(Permission.VIEW_PERSONAL_DATA),
        may_import=user_can(Permission.IMPORT_QUESTIONS),
    ), status


def checked_filter() -> exporting.ExportFilter | None:
    """The filter of a download request, or None when it is invalid."""
    form = export_form()
    return form.to_filter() if form.validate() else None


def download_name(criteria: exporting.ExportFilter, kind: str) -> str:
    """The file name the browser saves."""
    crisis = db.session.get(Crisis, criteria.crisis_id) if criteria.crisis_id else None
    return exporting.file_name(crisis.code if crisis else None, to_local(utcnow()).date(), kind)


@bp.route("/export.csv")
@permission_required(Permission.EXPORT_QUESTIONS)
def export_csv() -> BaseResponse | tuple[str, int]:
    """The filtered questions as CSV, streamed in chunks."""
    criteria = checked_filter()
    if criteria is None:
        return export_page()[0], 400
    personal = user_can(Permission.VIEW_PERSONAL_DATA)
    name = download_name(criteria, "csv")
    exporting.record_export(criteria, "csv", with_personal_data=personal)
    chunks = in_app_context(
        current_app._get_current_object(),  # type: ignore[attr-defined]
        exporting.csv_chunks(criteria, with_personal_data=personal),
    )
    response = Response(chunks, mimetype=CSV_MIMETYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def in_app_context(app: Flask, chunks: Iterator[str]) -> Iterator[str]:
    """Run a streamed body in an app context of its own (its own database session), which
    ends with the body; the request's context is not kept alive for it."""
    with app.app_context():
        yield from chunks


@bp.route("/export.xlsx")
@permission_required(Permission.EXPORT_QUESTIONS)
def export_xlsx() -> BaseResponse | tuple[str, int]:
    """The filtered questions as an Excel workbook (written to a temporary file first)."""
    criteria = checked_filter()
    if criteria is None:
        return export_page()[0], 400
    personal = user_can(Permission.VIEW_PERSONAL_DATA)
    name = download_name(criteria, "xlsx")
    exporting.record_export(criteria, "xlsx", with_personal_data=personal)
    # An anonymous temporary file (never in the instance folder), sent in pieces and closed
    # by the generator that reads it.
    target = tempfile.TemporaryFile()
    exporting.write_xlsx(criteria, target, with_personal_data=personal)
    target.seek(0)
    chunks = file_chunks(target)
    # Started here, so the file is closed even when a client never reads the body.
    first = next(chunks, b"")
    response = Response(chain([first], chunks), mimetype=XLSX_MIMETYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def file_chunks(target: IO[bytes]) -> Iterator[bytes]:
    """A file's bytes in pieces; the file is closed at the end or when the reader stops."""
    with target:
        while chunk := target.read(FILE_CHUNK_BYTES):
            yield chunk
