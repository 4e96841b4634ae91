"""What ``/health`` learns of writes: stopped while the last one failed for a reason no retry
mends (a full disk, a read-only database), not for long, and not for a refusal."""

from __future__ import annotations

import sqlite3

import pytest

import innovation.store.database as database_module
from innovation.store.database import STOPPED_WRITES_SHOWN_SECONDS, StoppedWrites


async def test_writes_stopped_until_one_succeeds_or_a_while_passes(
    monkeypatch: pytest.MonkeyPatch,
):
    now = [1000.0]
    monkeypatch.setattr(database_module.time, "monotonic", lambda: now[0])
    full = sqlite3.OperationalError("database or disk is full")
    full.sqlite_errorcode = sqlite3.SQLITE_FULL  # type: ignore[attr-defined]
    writes = StoppedWrites()

    async def fails(error: Exception) -> None:
        raise error

    async def works() -> int:
        return 7

    with pytest.raises(ValueError, match="a refusal"):
        await writes.track(fails(ValueError("a refusal")))
    refused_only = writes.now()
    with pytest.raises(sqlite3.OperationalError):
        await writes.track(fails(full))
    stopped = writes.now()
    now[0] += STOPPED_WRITES_SHOWN_SECONDS + 1
    forgotten = writes.now()
    with pytest.raises(sqlite3.OperationalError):
        await writes.track(fails(full))
    answer = await writes.track(works())

    assert refused_only is None
    assert stopped == "the database's disk is full"
    assert forgotten is None  # nothing failed for a minute: a freed disk is healthy again
    assert answer == 7
    assert writes.now() is None  # a write got in
