"""The signals screen: spikes, negative sentiment and growing clusters, acknowledged by the people
who act on them, and the e-mail subscription.

Who may do what: everyone with VIEW_INSIGHTS (analyst, coordinator, admin) sees the signals and
chooses their own e-mail; acknowledging ("seen, handled") is for the people who act on a
signal, communication advisers and coordinators (CURATE_FAQ), not for the technical admin.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import HiddenField

from kcc.exceptions import NotFound
from kcc.extensions import utcnow
from kcc.insight import signals as signal_services
from kcc.insight.models import Signal
from kcc.insight.views import bp
from kcc.intake.forms import DutchForm
from kcc.reference import services as reference_services
from kcc.security import Permission, permission_required, user_can


class AcknowledgeForm(DutchForm):
    """ "Gezien": only the CSRF token; the signal is in the URL."""


class SubscriptionForm(DutchForm):
    """Switch the e-mail for one crisis (empty: every crisis) on or off."""

    crisis_id = HiddenField()
    action = HiddenField()

    def chosen_crisis(self) -> int | None:
        """The crisis the form is about, None for every crisis."""
        value = (self.crisis_id.data or "").strip()
        return int(value) if value.isdigit() else None


@bp.app_template_filter("signal_description")
def signal_description(signal: Signal) -> str:
    """Observed against expected in words, for templates."""
    return signal_services.describe_signal(signal)


@bp.app_template_filter("signal_where")
def signal_where(signal: Signal) -> str:
    """Where a signal is (topic, municipality), for templates."""
    return signal_services.where_of(signal)


@bp.app_template_filter("signal_source")
def signal_source(signal: Signal) -> str:
    """Where the counted messages come from, for templates."""
    return signal_services.source_label(signal)


def back_to_signals(crisis_id: int | None) -> Response:
    """Post/Redirect/Get to the list, keeping the crisis filter."""
    if crisis_id:
        return redirect(url_for("insight.signals", crisis_id=crisis_id))
    return redirect(url_for("insight.signals"))


@bp.route("/signals")
@permission_required(Permission.VIEW_INSIGHTS)
def signals() -> str:
    """Signals of one crisis or all: unacknowledged first, then the newest."""
    crises = reference_services.list_crises_with_topics()
    crisis_id = request.args.get("crisis_id", type=int)
    if crisis_id not in {crisis.id for crisis in crises}:
        crisis_id = None
    result = signal_services.list_signals(crisis_id, page=request.args.get("page", 1, type=int))
    return render_template(
        "insight/signals.html",
        crises=crises,
        crisis_id=crisis_id,
        crisis=next((crisis for crisis in crises if crisis.id == crisis_id), None),
        result=result,
        subscribed=signal_services.subscribed_crises(current_user),
        may_acknowledge=user_can(Permission.CURATE_FAQ),
        form=AcknowledgeForm(),
    )


@bp.post("/signals/<int:signal_id>/acknowledge")
@permission_required(Permission.CURATE_FAQ)
def acknowledge_signal(signal_id: int) -> Response:
    """Mark a signal as seen and handled."""
    crisis_id = request.args.get("crisis_id", type=int)
    if AcknowledgeForm().validate_on_submit():
        try:
            signal_services.acknowledge(signal_id, user=current_user, now=utcnow())
        except NotFound as error:
            flash(str(error), "error")
        else:
            flash("Signaal bevestigd.", "success")
    return back_to_signals(crisis_id)


@bp.post("/signals/subscription")
@permission_required(Permission.VIEW_INSIGHTS)
def signal_subscription() -> Response:
    """Switch the e-mail with new signals on or off, for one crisis or all."""
    form = SubscriptionForm()
    crisis_id = form.chosen_crisis()
    if form.validate_on_submit():
        try:
            if form.action.data == "on":
                signal_services.subscribe(current_user, crisis_id)
                flash("U krijgt nieuwe signalen voortaan per e-mail.", "success")
            else:
                signal_services.unsubscribe(current_user, crisis_id)
                flash("U krijgt deze signalen niet meer per e-mail.", "success")
        except NotFound as error:
            flash(str(error), "error")
    return back_to_signals(crisis_id)
