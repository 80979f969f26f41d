"""Administration screens: municipalities, crises with topics, departments, users.

There are no delete buttons: registered questions, escalations and history keep pointing at
municipalities, departments, crises, topics and users, so an administrator deactivates them
instead. Deactivated records stay visible in old data but can no longer be chosen.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm

from kcc.admin import services as admin_services
from kcc.admin.forms import (
    CrisisCreateForm,
    CrisisEditForm,
    DepartmentForm,
    MunicipalityForm,
    TopicCreateForm,
    TopicEditForm,
    UserCreateForm,
    UserEditForm,
    record_choices,
)
from kcc.auth import services as auth_services
from kcc.auth.models import ROLE_LABELS, User
from kcc.exceptions import ValidationFailed
from kcc.extensions import db
from kcc.reference import services
from kcc.reference.models import Crisis, Department, Municipality, Topic
from kcc.security import Permission, permission_required

bp = Blueprint("admin", __name__)


def show_form(template: str, form: FlaskForm, **context: object) -> ResponseReturnValue:
    """Render a form page: 200 when fresh, 422 when it comes back with errors."""
    return render_template(template, form=form, **context), 422 if form.errors else 200


def add_service_error(form: FlaskForm, error: ValidationFailed) -> None:
    """Show a service's refusal at the field it names, or at the top of the page."""
    if error.field and error.field in form:
        form[error.field].errors.append(str(error))
    else:
        flash(str(error), "error")


@bp.route("/")
@permission_required(Permission.ADMINISTER)
def index() -> ResponseReturnValue:
    """Overview of what an administrator manages."""
    return render_template("admin/index.html", counts=admin_services.count_managed_records())


# Municipalities


@bp.route("/municipalities")
@permission_required(Permission.ADMINISTER)
def municipalities() -> ResponseReturnValue:
    """List every municipality."""
    return render_template(
        "admin/municipalities.html", municipalities=services.list_municipalities()
    )


@bp.route("/municipalities/new", methods=["GET", "POST"])
@permission_required(Permission.ADMINISTER)
def new_municipality() -> ResponseReturnValue:
    """Add a municipality."""
    form = MunicipalityForm()
    if form.validate_on_submit():
        try:
            municipality = services.create_municipality(form.to_municipality())
        except ValidationFailed as error:
            add_service_error(form, error)
        else:
            flash(f"Gemeente {municipality.name} is toegevoegd.", "success")
            return redirect(url_for(".municipalities"))
    return show_form("admin/municipality_form.html", form, municipality=None)


@bp.route("/municipalities/<int:municipality_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.ADMINISTER)
def edit_municipality(municipality_id: int) -> ResponseReturnValue:
    """Edit a municipality."""
    municipality = db.get_or_404(Municipality, municipality_id)
    form = MunicipalityForm(obj=municipality)
    if form.validate_on_submit():
        try:
            municipality = services.update_municipality(municipality.id, form.to_municipality())
        except ValidationFailed as error:
            add_service_error(form, error)
        else:
            flash(f"Gemeente {municipality.name} is opgeslagen.", "success")
            return redirect(url_for(".municipalities"))
    return show_form("admin/municipality_form.html", form, municipality=municipality)


# Departments


@bp.route("/departments")
@permission_required(Permission.ADMINISTER)
def departments() -> ResponseReturnValue:
    """List every department."""
    return render_template("admin/departments.html", departments=services.list_departments())


@bp.route("/departments/new", methods=["GET", "POST"])
@permission_required(Permission.ADMINISTER)
def new_department() -> ResponseReturnValue:
    """Add a department."""
    form = DepartmentForm()
    if form.validate_on_submit():
        try:
            department = services.create_department(form.to_department())
        except ValidationFailed as error:
            add_service_error(form, error)
        else:
            flash(f"Afdeling {department.name} is toegevoegd.", "success")
            return redirect(url_for(".departments"))
    return show_form("admin/department_form.html", form, department=None)


@bp.route("/departments/<int:department_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.ADMINISTER)
def edit_department(department_id: int) -> ResponseReturnValue:
    """Edit a department."""
    department = db.get_or_404(Department, department_id)
    form = DepartmentForm(obj=department)
    if form.validate_on_submit():
        try:
            department = services.update_department(department.id, form.to_department())
        except ValidationFailed as error:
            add_service_error(form, error)
        else:
            flash(f"Afdeling {department.name} is opgeslagen.", "success")
            return redirect(url_for(".departments"))
    return show_form("admin/department_form.html", form, department=department)


# Crises and topics


@bp.route("/crises")
@permission_required(Permission.ADMINISTER)
def crises() -> ResponseReturnValue:
    """List every crisis with its number of topics."""
    return render_template("admin/crises.html", crises=services.list_crises_with_topic_counts())


@bp.route("/crises/new", methods=["GET", "POST"])
@permission_required(Permission.ADMINISTER)
def new_crisis() -> ResponseReturnValue:
    """Add a crisis, optionally with a template's topics."""
    form = CrisisCreateForm()
    if form.validate_on_submit():
        try:
            crisis = services.create_crisis(
                form.code.data or "", form.to_crisis(), template_code=form.template.data or None
            )
        except ValidationFailed as error:
            add_service_error(form, error)
        else:
            flash(
                f"Crisis {crisis.name} is toegevoegd met {len(crisis.topics)} onderwerpen.",
                "success",
            )
            return redirect(url_for(".show_crisis", crisis_id=crisis.id))
    return show_form("admin/crisis_form.html", form, crisis=None)


@bp.route("/crises/<int:crisis_id>")
@permission_required(Permission.ADMINISTER)
def show_crisis(crisis_id: int) -> ResponseReturnValue:
    """Show a crisis and its topics."""
    crisis = db.get_or_404(Crisis, crisis_id)
    return render_template(
        "admin/crisis.html", crisis=crisis, topics=services.list_topics(crisis.id)
    )


@bp.route("/crises/<int:crisis_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.ADMINISTER)
def edit_crisis(crisis_id: int) -> ResponseReturnValue:
    """Edit a crisis's details."""
    crisis = db.get_or_404(Crisis, crisis_id)
    form = CrisisEditForm(obj=crisis)
    if form.validate_on_submit():
        try:
            crisis = services.update_crisis(crisis.id, form.to_crisis())
        except ValidationFailed as error:
            add_service_error(form, error)
        else:
            flash(f"Crisis {crisis.name} is opgeslagen.", "success")
            return redirect(url_for(".show_crisis", crisis_id=crisis.id))
    return show_form("admin/crisis_form.html", form, crisis=crisis)


@bp.route("/crises/<int:crisis_id>/topics/new", methods=["GET", "POST"])
@permission_required(Permission.ADMINISTER)
def new_topic(crisis_id: int) -> ResponseReturnValue:
    """Add a topic to a crisis."""
    crisis = db.get_or_404(Crisis, crisis_id)
    form = TopicCreateForm()
    form.default_department_id.choices = record_choices(services.list_departments())
    if form.validate_on_submit():
        try:
            topic = services.create_topic(crisis.id, form.code.data or "", form.to_topic())
        except ValidationFailed as error:
            add_service_error(form, error)
        else:
            flash(f"Onderwerp {topic.name} is toegevoegd aan {crisis.name}.", "success")
            return redirect(url_for(".show_crisis", crisis_id=crisis.id))
    return show_form("admin/topic_form.html", form, crisis=crisis, topic=None)


@bp.route("/topics/<int:topic_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.ADMINISTER)
def edit_topic(topic_id: int) -> ResponseReturnValue:
    """Edit a topic's details."""
    topic = db.get_or_404(Topic, topic_id)
    form = TopicEditForm(obj=topic)
    form.default_department_id.choices = record_choices(
        services.list_departments(), current_id=topic.default_department_id
    )
    if form.validate_on_submit():
        try:
            topic = services.update_topic(topic.id, form.to_topic())
        except ValidationFailed as error:
            add_service_error(form, error)
        else:
            flash(f"Onderwerp {topic.name} is opgeslagen.", "success")
            return redirect(url_for(".show_crisis", crisis_id=topic.crisis_id))
    return show_form("admin/topic_form.html", form, crisis=topic.crisis, topic=topic)


# Users


def fill_user_choices(form: UserCreateForm | UserEditForm, user: User | None = None) -> None:
    """Offer the municipalities and departments, keeping a user's current inactive ones."""
    form.municipality_id.choices = record_choices(
        services.list_municipalities(), current_id=user.municipality_id if user else None
    )
    form.department_id.choices = record_choices(
        services.list_departments(), current_id=user.department_id if user else None
    )


@bp.route("/users")
@permission_required(Permission.ADMINISTER)
def users() -> ResponseReturnValue:
    """List every user."""
    return render_template(
        "admin/users.html",
        users=auth_services.list_users(),
        role_labels=ROLE_LABELS,
        municipality_names={m.id: m.name for m in services.list_municipalities()},
        department_names={d.id: d.name for d in services.list_departments()},
    )


@bp.route("/users/new", methods=["GET", "POST"])
@permission_required(Permission.ADMINISTER)
def new_user() -> ResponseReturnValue:
    """Add a user."""
    form = UserCreateForm()
    fill_user_choices(form)
    if form.validate_on_submit():
        try:
            user = auth_services.create_user(form.to_user(), form.password.data or "")
        except ValidationFailed as error:
            add_service_error(form, error)
        else:
            flash(f"Gebruiker {user.username} is toegevoegd.", "success")
            return redirect(url_for(".users"))
    return show_form("admin/user_form.html", form, user=None)


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.ADMINISTER)
def edit_user(user_id: int) -> ResponseReturnValue:
    """Edit a user; administrators cannot lock themselves out."""
    user = db.get_or_404(User, user_id)
    form = UserEditForm(obj=user)
    fill_user_choices(form, user)
    if form.validate_on_submit():
        try:
            user = admin_services.update_user_as_admin(
                current_user.id,
                user.id,
                form.to_user(user.username),
                new_password=form.password.data or None,
            )
        except ValidationFailed as error:
            add_service_error(form, error)
        else:
            flash(f"Gebruiker {user.username} is opgeslagen.", "success")
            return redirect(url_for(".users"))
    return show_form("admin/user_form.html", form, user=user)
