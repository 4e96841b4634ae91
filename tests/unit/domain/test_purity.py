"""The domain stays pure: its modules import only the standard library, msgspec and itself."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import innovation.domain

DOMAIN = Path(innovation.domain.__file__).parent
PACKAGE = "innovation.domain"
ALLOWED_THIRD_PARTY = {"msgspec"}


def _allowed(module: str) -> bool:
    top = module.partition(".")[0]
    return (
        top in sys.stdlib_module_names
        or top in ALLOWED_THIRD_PARTY
        or module == PACKAGE
        or module.startswith(PACKAGE + ".")
    )


def forbidden_imports(source: str, package: str = PACKAGE) -> list[str]:
    """What ``source`` imports that the domain may not; ``package`` resolves relative imports."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names if not _allowed(alias.name))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - (node.level - 1)] if node.level <= len(parts) else []
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            if module == "innovation":
                found.extend(
                    f"innovation.{alias.name}" for alias in node.names if alias.name != "domain"
                )
            elif not _allowed(module):
                found.append(module or "." * node.level)
    return found


def domain_modules() -> list[Path]:
    return sorted(DOMAIN.rglob("*.py"))


def test_the_domain_has_modules_to_check() -> None:
    names = {path.name for path in domain_modules()}
    assert {"__init__.py", "ideas.py", "experiments.py", "values.py"} <= names


@pytest.mark.parametrize("path", domain_modules(), ids=lambda path: path.name)
def test_a_domain_module_imports_only_the_standard_library_msgspec_and_the_domain(
    path: Path,
) -> None:
    package = ".".join([PACKAGE, *path.relative_to(DOMAIN).parent.parts])
    assert forbidden_imports(path.read_text(encoding="utf-8"), package) == []


@pytest.mark.parametrize(
    ("source", "forbidden"),
    [
        ("import sqlalchemy", ["sqlalchemy"]),
        ("import sqlalchemy.ext.asyncio as sa", ["sqlalchemy.ext.asyncio"]),
        ("from innovation.store import Event", ["innovation.store"]),
        ("from innovation.store.mapper import Mapper", ["innovation.store.mapper"]),
        ("import innovation.api", ["innovation.api"]),
        ("from innovation import config", ["innovation.config"]),
        ("from .. import store", ["innovation.store"]),
        ("from ..services import handlers", ["innovation.services"]),
        ("from litestar import Litestar", ["litestar"]),
        ("import strawberry, json", ["strawberry"]),
        (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import sqlalchemy\n",
            ["sqlalchemy"],
        ),
        (
            "def later():\n    from innovation.projections import views\n",
            ["innovation.projections"],
        ),
    ],
)
def test_the_check_catches_imports_from_outside(source: str, forbidden: list[str]) -> None:
    assert forbidden_imports(source) == forbidden


@pytest.mark.parametrize(
    "source",
    [
        "from __future__ import annotations",
        "import msgspec\nfrom msgspec.structs import replace",
        "from datetime import UTC, date, datetime",
        "import collections.abc",
        "from innovation.domain.values import Stage",
        "from innovation import domain",
        "from . import values",
        "from .errors import DomainError",
    ],
)
def test_the_check_lets_the_allowed_imports_through(source: str) -> None:
    assert forbidden_imports(source) == []
