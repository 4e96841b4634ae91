"""Opening a database from a URL: the one place that knows both backends."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from innovation.store.database import Database
from innovation.store.postgres import PostgresDatabase
from innovation.store.sqlite import SQLiteDatabase


def open_database(url: str | sa.URL, **options: Any) -> Database:
    """Pick the runner for a URL: any ``sqlite`` URL or any ``postgresql`` URL."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        allowed = {"synchronous", "readers", "max_batch", "busy_timeout_ms"}
        return SQLiteDatabase(parsed, **{k: v for k, v in options.items() if k in allowed})
    if backend == "postgresql":
        allowed = {"pool_size", "max_batch", "application_name", "timeout"}
        return PostgresDatabase(parsed, **{k: v for k, v in options.items() if k in allowed})
    raise ValueError(
        f"INNOVATION_DATABASE_URL: unsupported database {backend!r} (sqlite, postgresql)"
    )
