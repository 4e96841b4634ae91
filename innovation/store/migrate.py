"""Alembic, driven from code: the only way the schema is created or changed."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

# Search structures that only one backend has are written by hand in the migrations and not
# declared as models: SQLite's FTS5 index (and the shadow tables it makes for itself), and
# PostgreSQL's full-text expression index. Autogenerate must not offer to drop them.
UNMANAGED_TABLE_PREFIXES = ("ideas_fts",)
UNMANAGED_INDEXES = frozenset({"ix_ideas_view_search"})


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare: object
) -> bool:
    """Alembic's filter: compare everything but the backend-specific search structures."""
    if name is None:
        return True
    if type_ == "table":
        return not name.startswith(UNMANAGED_TABLE_PREFIXES)
    if type_ == "index":
        return name not in UNMANAGED_INDEXES
    return True


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s")
    config.attributes["url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision`` (synchronous: run it off the event loop)."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config(""))


def head_revision() -> str | None:
    return _scripts().get_current_head()


def current_revision(connection: object) -> str | None:
    """The revision a database is at, from inside a job (``None`` when never migrated)."""
    return MigrationContext.configure(connection).get_current_revision()  # type: ignore[arg-type]


def behind_or_ahead(current: str | None) -> str | None:
    """What keeps this code from serving a database at revision ``current``, or ``None`` when
    it is at head: a schema the code would read wrongly, or fail on at every request."""
    scripts = _scripts()
    head = scripts.get_current_head()
    if current == head:
        return None
    if current is None:
        return "it has no schema yet: run `innovation db upgrade` first"
    try:
        scripts.get_revision(current)
    except CommandError:  # an id none of this version's migrations has
        return (
            f"its schema is at revision {current}, which this version does not know: a newer "
            "version of innovation migrated it, so serve it with that version"
        )
    return (
        f"its schema is at revision {current}, this version needs {head}: "
        "run `innovation db upgrade`"
    )
