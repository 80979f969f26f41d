"""House rules about dependencies, checked on the source (STYLE rule 6, ARCHITECTURE).

kcc/privacy and kcc/nlp run in workers, the CLI, benchmarks and notebooks, so they must not
import Flask or a Flask extension.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE_ROOT = Path(__file__).resolve().parent.parent / "kcc"
FLASK_FREE_PACKAGES = ("privacy", "nlp")


def flask_free_modules() -> list[Path]:
    """Every Python module under the packages that must stay free of Flask (if they exist)."""
    return sorted(
        path
        for package in FLASK_FREE_PACKAGES
        if (PACKAGE_ROOT / package).is_dir()
        for path in (PACKAGE_ROOT / package).rglob("*.py")
    )


def imported_modules(path: Path) -> set[str]:
    """The absolute module names a source file imports, at any depth of the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def is_flask(module: str) -> bool:
    """Tell whether a module name belongs to Flask or a Flask extension (flask_*)."""
    top_level = module.split(".")[0]
    return top_level == "flask" or top_level.startswith("flask_")


def test_the_flask_free_packages_are_found() -> None:
    assert PACKAGE_ROOT / "privacy" / "masking.py" in flask_free_modules()


@pytest.mark.parametrize(
    "path", flask_free_modules(), ids=lambda path: str(path.relative_to(PACKAGE_ROOT))
)
def test_module_does_not_import_flask(path: Path) -> None:
    flask_imports = sorted(module for module in imported_modules(path) if is_flask(module))

    assert flask_imports == [], f"{path.relative_to(PACKAGE_ROOT)} imports {flask_imports}"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import flask", True),
        ("from flask import Flask", True),
        ("from flask_sqlalchemy import SQLAlchemy", True),
        ("import flask_login.utils", True),
        ("def f():\n    from flask import current_app", True),
        ("import re\nfrom kcc.exceptions import KccError", False),
        ("import flaskless", False),
    ],
)
def test_the_import_check_sees_every_way_of_importing_flask(
    tmp_path: Path, source: str, expected: bool
) -> None:
    module = tmp_path / "module.py"
    module.write_text(source, encoding="utf-8")

    assert any(is_flask(name) for name in imported_modules(module)) is expected
