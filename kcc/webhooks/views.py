"""Administrators' screens for webhooks: endpoints, their secret (shown once), the delivery log."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response

from kcc.exceptions import Conflict, NotFound, ValidationFailed
from kcc.extensions import db
from kcc.intake.forms import attach_service_errors
from kcc.security import Permission, permission_required
from kcc.webhooks import delivery as sender
from kcc.webhooks import services
from kcc.webhooks.events import WebhookEvent, label_of
from kcc.webhooks.forms import EndpointForm, ResendForm, RotateSecretForm
from kcc.webhooks.models import WebhookEndpoint
from kcc.webhooks.services import DeliveryStatus
from kcc.webhooks.signing import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER

bp = Blueprint("webhooks", __name__)


def get_endpoint_or_404(endpoint_id: int) -> WebhookEndpoint:
    """The endpoint, or a 404 page."""
    try:
        return services.get_endpoint(endpoint_id)
    except NotFound:
        abort(404)


@bp.app_template_filter("webhook_event")
def webhook_event_label(code: str) -> str:
    """The Dutch name of an event code, for templates."""
    return label_of(code)


@bp.get("/")
@permission_required(Permission.ADMINISTER)
def index() -> str:
    """Every endpoint with its events and how its deliveries stand."""
    return render_template(
        "webhooks/index.html",
        summaries=services.list_endpoints(),
        status_labels=DeliveryStatus.LABELS,
        events=list(WebhookEvent),
    )


@bp.route("/new", methods=["GET", "POST"])
@permission_required(Permission.ADMINISTER)
def new() -> Response | tuple[str, int]:
    """Register an endpoint; its secret is shown on the next page, once."""
    form = EndpointForm()
    if form.validate_on_submit():
        try:
            endpoint = services.create_endpoint(form.to_input(), user=current_user)
        except ValidationFailed as error:
            attach_service_errors(form, error)
        else:
            flash(
                "Webhook aangemaakt. Bewaar het geheim nu: het wordt maar één keer getoond.",
                "success",
            )
            return redirect(url_for("webhooks.secret", endpoint_id=endpoint.id))
    status = 422 if request.method == "POST" else 200
    return render_template("webhooks/form.html", form=form, endpoint=None), status


@bp.route("/<int:endpoint_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.ADMINISTER)
def edit(endpoint_id: int) -> Response | tuple[str, int]:
    """Change an endpoint's address, description, events or active flag."""
    endpoint = get_endpoint_or_404(endpoint_id)
    form = EndpointForm()
    if request.method == "GET":
        form.fill_from(endpoint)
    elif form.validate_on_submit():
        try:
            services.update_endpoint(endpoint_id, form.to_input(), user=current_user)
        except ValidationFailed as error:
            attach_service_errors(form, error)
        else:
            flash("Wijziging bewaard.", "success")
            return redirect(url_for("webhooks.detail", endpoint_id=endpoint_id))
    status = 422 if request.method == "POST" else 200
    return render_template("webhooks/form.html", form=form, endpoint=endpoint), status


@bp.get("/<int:endpoint_id>")
@permission_required(Permission.ADMINISTER)
def detail(endpoint_id: int) -> str:
    """One endpoint: its settings, the signature it sends, and its delivery log."""
    endpoint = get_endpoint_or_404(endpoint_id)
    return render_template(
        "webhooks/detail.html",
        endpoint=endpoint,
        page=services.list_deliveries(endpoint_id, request.args.get("page", 1, type=int)),
        status_labels=DeliveryStatus.LABELS,
        max_attempts=sender.MAX_ATTEMPTS,
        rotate_form=RotateSecretForm(),
        headers=(SIGNATURE_HEADER, EVENT_HEADER, DELIVERY_HEADER),
    )


@bp.get("/<int:endpoint_id>/secret")
@permission_required(Permission.ADMINISTER)
def secret(endpoint_id: int) -> Response:
    """The secret, the first time this page opens after it was made; never again."""
    endpoint = get_endpoint_or_404(endpoint_id)
    revealed = services.reveal_secret(endpoint_id, user=current_user)
    response = make_response(
        render_template("webhooks/secret.html", endpoint=endpoint, secret=revealed)
    )
    # Not in the browser's cache or history: the page is the only place the secret shows.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/<int:endpoint_id>/rotate-secret")
@permission_required(Permission.ADMINISTER)
def rotate_secret(endpoint_id: int) -> Response:
    """Make a new secret (the old one stops working at once) and show it."""
    if not RotateSecretForm().validate_on_submit():
        flash("Het formulier is verlopen; probeer het opnieuw.", "error")
        return redirect(url_for("webhooks.detail", endpoint_id=endpoint_id))
    try:
        services.rotate_secret(endpoint_id, user=current_user)
    except NotFound:
        abort(404)
    flash("Nieuw geheim gemaakt; het oude werkt niet meer. Bewaar het nieuwe nu.", "success")
    return redirect(url_for("webhooks.secret", endpoint_id=endpoint_id))


@bp.post("/deliveries/<int:delivery_id>/resend")
@permission_required(Permission.ADMINISTER)
def resend(delivery_id: int) -> Response:
    """Send one delivery again, now, and say how it went."""
    try:
        endpoint_id = services.get_delivery(delivery_id).endpoint_id
    except NotFound:
        abort(404)
    back = url_for("webhooks.detail", endpoint_id=endpoint_id)
    if not ResendForm(prefix="resend").validate_on_submit():
        flash("Het formulier is verlopen; probeer het opnieuw.", "error")
        return redirect(back)
    try:
        delivery = sender.resend_delivery(delivery_id, user=current_user)
    except Conflict as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(back)
    if delivery.status == DeliveryStatus.DELIVERED:
        flash("Melding opnieuw verstuurd en afgeleverd.", "success")
    else:
        flash(f"Opnieuw versturen lukte niet: {delivery.last_error}", "error")
    return redirect(back)
