"""How Flask-Login finds the user behind a session."""

from __future__ import annotations

from flask import session
from flask_login import LoginManager

from kcc.auth.models import User
from kcc.extensions import db

SESSION_VERSION_KEY = "session_version"


def load_user(user_id: str) -> User | None:
    """Return the user stored in the session, if it exists and the session is still valid.

    A session belongs to one `session_version` of its user; logging out or changing the
    password raises the version, which ends every older session, wherever its cookie went.
    """
    try:
        user = db.session.get(User, int(user_id))
    except ValueError:
        return None
    if user is None or not user.is_enabled:
        return None
    if session.get(SESSION_VERSION_KEY) != user.session_version:
        return None
    return user


def register_user_loaders(login_manager: LoginManager) -> None:
    """Configure Flask-Login: where to log in and in which words."""
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Log in om deze pagina te zien."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
