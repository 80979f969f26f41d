"""How Flask-Login finds the user behind a session."""

from __future__ import annotations

from flask_login import LoginManager

from kcc.auth.models import User
from kcc.extensions import db


def load_user(user_id: str) -> User | None:
    """Return the user stored in the session, if it still exists."""
    try:
        return db.session.get(User, int(user_id))
    except ValueError:
        return None


def register_user_loaders(login_manager: LoginManager) -> None:
    """Configure Flask-Login: where to log in and in which words."""
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Log in om deze pagina te zien."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
