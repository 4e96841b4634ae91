"""Who may run a checkpointed reader, and how far it has read: one row per reader.

Why a lease row and not a PostgreSQL advisory lock: a row works the same on both backends, is
visible to an operator (``SELECT * FROM reader_leases``), survives a connection pooler, and
carries the fencing token. An advisory lock is tied to a session, so a holder whose
connection hangs keeps it and a takeover waits on TCP timeouts; and it gives no token with
which to refuse a paused holder's late work.

The rules, each one conditional update of the row (so they hold across processes):

* *claim*: a reader's row is taken when its lease has expired; the token grows by one, so
  every holder in a reader's history has its own token. The holder renews it while it works.
* *advance*: a checkpoint moves from the position its batch started at to the batch's last
  position only while the row still has the holder's token and that starting position. It
  runs in the transaction of the batch's own writes, so a refused advance rolls them back.
  A holder paused past its lease (a long GC, a stopped VM) whose reader was taken over finds
  its token gone and writes nothing beside the new holder's work.

Expiry compares times written by one process's clock with another's: processes on several
hosts need clocks in step to well within a lease (NTP keeps them within milliseconds). A
skewed clock can only make a takeover early or late; the token still keeps the work single.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from innovation.store.errors import StoreError
from innovation.store.tables import reader_leases

_NEVER = datetime(1970, 1, 1, tzinfo=UTC)
_row = reader_leases.c


class LeaseLostError(StoreError):
    """Another holder took the reader over: this holder's batch was rolled back."""


@dataclass(frozen=True)
class Lease:
    """A holder's right to run a reader, as of its last claim or advance."""

    reader: str
    holder: str
    token: int
    position: int
    """The reader's checkpoint: every event up to here has been handled."""
    expires_at: datetime


def claim(
    connection: Connection,
    reader: str,
    holder: str,
    *,
    now: datetime,
    seconds: float,
    held: Lease | None = None,
) -> Lease | None:
    """Renew ``held``, or take the reader if its lease has expired; ``None`` if another has it."""
    row = _read(connection, reader)
    if row is None:
        _create(connection, reader, now)
        row = _read(connection, reader)
        assert row is not None
    expires_at = now + timedelta(seconds=seconds)
    changes: dict[str, object]
    if held is not None and row.token == held.token:
        changes = {"expires_at": expires_at, "updated_at": now}
        token = row.token
    elif row.expires_at <= now:
        changes = {
            "holder": holder,
            "token": row.token + 1,
            "expires_at": expires_at,
            "updated_at": now,
        }
        token = row.token + 1
    else:
        return None
    updated = connection.execute(
        reader_leases.update()
        .where(_row.reader == reader, _row.token == row.token)
        .values(**changes)
    )
    if updated.rowcount != 1:
        return None  # another holder got there between the read and the update
    return Lease(reader, holder, token, int(row.position), expires_at)


def advance(
    connection: Connection, lease: Lease, position: int, *, now: datetime, seconds: float
) -> Lease:
    """Move the checkpoint to ``position`` and renew the lease, or raise ``LeaseLostError``."""
    expires_at = now + timedelta(seconds=seconds)
    updated = connection.execute(
        reader_leases.update()
        .where(
            _row.reader == lease.reader,
            _row.token == lease.token,
            _row.position == lease.position,
        )
        .values(position=position, expires_at=expires_at, updated_at=now)
    )
    if updated.rowcount != 1:
        raise LeaseLostError(
            f"reader {lease.reader!r} was taken over from {lease.holder!r}: batch refused"
        )
    return replace(lease, position=position, expires_at=expires_at)


def release(connection: Connection, lease: Lease, *, now: datetime) -> None:
    """Let the lease lapse now, so that another process takes the reader over at once."""
    connection.execute(
        reader_leases.update()
        .where(_row.reader == lease.reader, _row.token == lease.token)
        .values(expires_at=now, updated_at=now)
    )


def fast_forward(connection: Connection, reader: str, position: int, *, now: datetime) -> None:
    """Move ``reader``'s checkpoint on to ``position`` (never back) when the log already holds
    its work up to there, as a restored log does. It counts as a change of holder: the token
    grows and the lease lapses, so a holder reading meanwhile has its batch refused and claims
    the reader again from the new checkpoint, as after a takeover."""
    _create(connection, reader, now)
    connection.execute(
        reader_leases.update()
        .where(_row.reader == reader, _row.position < position)
        .values(position=position, token=_row.token + 1, expires_at=now, updated_at=now)
    )


def checkpoint(connection: Connection, reader: str) -> int:
    """How far ``reader`` has read (0 when it never ran)."""
    row = _read(connection, reader)
    return 0 if row is None else int(row.position)


def live_holder(connection: Connection, reader: str, now: datetime) -> str | None:
    """Who holds ``reader`` at ``now`` (``host:pid:…``), or ``None`` when nobody does."""
    row = _read(connection, reader)
    if row is None or row.expires_at <= now or not row.holder:
        return None
    return str(row.holder)


def _read(connection: Connection, reader: str) -> sa.Row[tuple[object, ...]] | None:
    return connection.execute(sa.select(reader_leases).where(_row.reader == reader)).first()


def _create(connection: Connection, reader: str, now: datetime) -> None:
    """The reader's row, expired and at position 0; two processes may race to make it."""
    insert = sqlite.insert if connection.dialect.name == "sqlite" else postgresql.insert
    values = {
        "reader": reader,
        "position": 0,
        "holder": "",
        "token": 0,
        "expires_at": _NEVER,
        "updated_at": now,
    }
    connection.execute(
        insert(reader_leases).values(values).on_conflict_do_nothing(index_elements=["reader"])
    )
