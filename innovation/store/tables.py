"""The store's tables, in SQLAlchemy Core. Alembic migrations create them; nothing else does."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """UTC instants: timestamptz on PostgreSQL, ISO text on SQLite; always read back aware."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC instant is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        """On SQLite, the text read straight to an aware instant: the same parse as SQLAlchemy's
        (``datetime.fromisoformat``) and the same result as ``process_result_value`` after it,
        in one call a value rather than SQLAlchemy's two around its own (a page of 100 ideas
        reads 500 instants; ``tests/unit/test_batch_sqlite.py`` holds it equal)."""
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)

        def process(value: str | None) -> datetime | None:
            return None if value is None else utc_instant(value)

        return process


_parse = datetime.fromisoformat


def utc_instant(text: str) -> datetime:
    """SQLite's text for an instant, read as an aware UTC ``datetime``: naive text is UTC (as
    the store writes it), text with an offset is moved to UTC.

    The store's naive text is read with ``+00:00`` appended, which gives the aware value (with
    ``UTC`` itself as its zone) in one parse: ``datetime.replace(tzinfo=...)`` afterwards cost
    five times the parse. Text that already has an offset fails that parse and is read as it is.
    """
    try:
        instant = _parse(text + "+00:00")
    except ValueError:
        instant = _parse(text)
    zone = instant.tzinfo
    if zone is UTC:
        return instant
    if zone is None:  # a date alone reads "+00:00" as a time of day
        return instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC)


events = sa.Table(
    "events",
    metadata,
    # SQLite gives INTEGER PRIMARY KEY the rowid, assigned under the single write lock;
    # PostgreSQL uses an identity sequence (see store/postgres.py for reading it without gaps).
    sa.Column(
        "position",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        sa.Identity(always=False),
        primary_key=True,
    ),
    sa.Column("stream_id", sa.String(200), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("type", sa.String(100), nullable=False),
    sa.Column("schema_version", sa.Integer, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Column("metadata", sa.LargeBinary, nullable=False),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
    sa.Column("event_id", sa.Uuid, nullable=False),
    sa.UniqueConstraint("stream_id", "version"),
    sa.UniqueConstraint("event_id"),
    sa.CheckConstraint("version >= 1", name="version_positive"),
    # "What did the pipeline look like on date X" finds its cut-off position through this.
    sa.Index(None, "recorded_at"),
)

snapshots = sa.Table(
    "snapshots",
    metadata,
    sa.Column("stream_id", sa.String(200), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("type", sa.String(100), nullable=False),
    sa.Column("schema_version", sa.Integer, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
)

reader_leases = sa.Table(
    "reader_leases",
    metadata,
    # One row per checkpointed reader (store/readers.py): how far it has read, and who may
    # move it on. ``token`` grows by one at every change of holder, and a checkpoint moves
    # only for the token that read the events, so a holder that lost the lease writes nothing.
    sa.Column("reader", sa.String(100), primary_key=True),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("holder", sa.String(200), nullable=False),
    sa.Column("token", sa.BigInteger, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)
