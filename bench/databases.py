"""Fresh databases for every measurement: SQLite files in a temporary folder, PostgreSQL databases.

Each side of each measurement gets its own empty database, so neither reads the other's rows or
inherits its indexes. Our schema comes from the Alembic migrations, applied once to a template
(a file copied for SQLite; ``CREATE DATABASE ... TEMPLATE`` for PostgreSQL); the peer creates its
own tables when its ``Application`` starts.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
from pathlib import Path

import psycopg
from sqlalchemy.engine import URL, make_url

from bench import peer
from innovation.store.migrate import upgrade


class Databases:
    """Hands out fresh databases and removes them all on ``close``."""

    def __init__(self, postgres_url: str | None) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="innovation-bench-"))
        self._counter = itertools.count(1)
        self._sqlite_template: Path | None = None
        self._pg: URL | None = make_url(postgres_url) if postgres_url else None
        self._pg_template: str | None = None
        self._pg_created: list[str] = []

    # -- SQLite --------------------------------------------------------------------------------

    def sqlite_path(self, label: str) -> Path:
        return self.folder / f"{next(self._counter):03d}-{label}.db"

    def sqlite_ours(self, label: str) -> str:
        """A migrated, empty SQLite file for our store."""
        if self._sqlite_template is None:
            self._sqlite_template = self.folder / "template.db"
            upgrade(f"sqlite:///{self._sqlite_template}")
        path = self.sqlite_path(f"ours-{label}")
        shutil.copyfile(self._sqlite_template, path)
        return f"sqlite:///{path}"

    def sqlite_peer(self, label: str) -> dict[str, str]:
        """The environment of a peer ``Application`` on a new SQLite file."""
        return peer.sqlite_env(str(self.sqlite_path(f"peer-{label}")))

    # -- PostgreSQL ----------------------------------------------------------------------------

    @property
    def has_postgres(self) -> bool:
        return self._pg is not None

    def _admin(self) -> psycopg.Connection[tuple[object, ...]]:
        assert self._pg is not None
        return psycopg.connect(self._libpq(self._pg.database or "postgres"), autocommit=True)

    def _libpq(self, dbname: str) -> str:
        assert self._pg is not None
        return psycopg.conninfo.make_conninfo(
            host=self._pg.host or "127.0.0.1",
            port=self._pg.port or 5432,
            user=self._pg.username or "postgres",
            password=self._pg.password or "",
            dbname=dbname,
        )

    def _create(self, name: str, template: str | None = None) -> None:
        with self._admin() as admin:
            clause = f" TEMPLATE {template}" if template else ""
            admin.execute(f"CREATE DATABASE {name}{clause}")
            # Durable commits whatever the server's default: the same for both sides.
            admin.execute(f"ALTER DATABASE {name} SET synchronous_commit = on")
        self._pg_created.append(name)

    def _pg_name(self, label: str) -> str:
        return f"bench_{next(self._counter):03d}_{label}".replace("-", "_")

    def postgres_ours(self, label: str) -> str:
        """A migrated, empty PostgreSQL database for our store (asyncpg URL)."""
        assert self._pg is not None
        if self._pg_template is None:
            self._pg_template = self._pg_name("template")
            self._create(self._pg_template)
            upgrade(self._url(self._pg_template))
        name = self._pg_name(f"ours_{label}")
        self._create(name, template=self._pg_template)
        return self._url(name)

    def postgres_peer(self, label: str) -> dict[str, str]:
        """The environment of a peer ``Application`` on a new PostgreSQL database (psycopg)."""
        assert self._pg is not None
        name = self._pg_name(f"peer_{label}")
        self._create(name)
        return peer.postgres_env(
            dbname=name,
            host=self._pg.host or "127.0.0.1",
            port=self._pg.port or 5432,
            user=self._pg.username or "postgres",
            password=self._pg.password or "",
        )

    def _url(self, dbname: str) -> str:
        assert self._pg is not None
        url = self._pg.set(drivername="postgresql+asyncpg", database=dbname)
        return url.render_as_string(hide_password=False)

    def server_version(self) -> str:
        with self._admin() as admin:
            row = admin.execute("SHOW server_version").fetchone()
        return str(row[0]) if row else "?"

    def connect_postgres(
        self, target: str | dict[str, str]
    ) -> psycopg.Connection[tuple[object, ...]]:
        """A plain autocommit connection to one of the benchmark's PostgreSQL databases."""
        name = target["POSTGRES_DBNAME"] if isinstance(target, dict) else make_url(target).database
        return psycopg.connect(self._libpq(name or ""), autocommit=True)

    def drop(self, url_or_env: str | dict[str, str]) -> None:
        """Give back a database as soon as its measurement is done (PostgreSQL: DROP)."""
        if isinstance(url_or_env, dict):
            if "SQLITE_DBNAME" in url_or_env:
                _remove_sqlite(Path(url_or_env["SQLITE_DBNAME"]))
                return
            name = url_or_env["POSTGRES_DBNAME"]
        else:
            url = make_url(url_or_env)
            if url.get_backend_name() == "sqlite":
                _remove_sqlite(Path(url.database or ""))
                return
            name = url.database or ""
        with self._admin() as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        if name in self._pg_created:
            self._pg_created.remove(name)

    def close(self) -> None:
        if self._pg is not None and self._pg_created:
            with self._admin() as admin:
                for name in reversed(self._pg_created):
                    admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            self._pg_created.clear()
        shutil.rmtree(self.folder, ignore_errors=True)


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
