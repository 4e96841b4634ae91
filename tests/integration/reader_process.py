"""Runs the test reader ``tally`` until killed: one row per event it handles, with its holder.

Started by ``test_readers.py`` as ``python -m tests.integration.reader_process URL HOLDER``,
twice at once, to show that one process holds the reader and the other takes over.
"""

from __future__ import annotations

import asyncio
import sys

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from innovation.domain.recorded import Recorded
from innovation.store import CheckpointedReader, Log, Readers, open_database
from tests.integration.store_events import test_mapper

LEASE_SECONDS = 1.0
POLL_SECONDS = 0.05

handled_metadata = sa.MetaData()
handled = sa.Table(
    "test_reader_handled",
    handled_metadata,
    # No unique key on purpose: an event handled twice shows up as two rows.
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("holder", sa.String(50), nullable=False),
)


def tally(holder: str) -> CheckpointedReader:
    """The reader under test: records, in its own transaction, which holder saw each event."""

    def handle(connection: Connection, batch: list[Recorded[msgspec.Struct]]) -> None:
        connection.execute(
            handled.insert(), [{"position": item.position, "holder": holder} for item in batch]
        )

    return CheckpointedReader("tally", handle, batch_size=20)


async def main(url: str, holder: str) -> None:
    log = Log(open_database(url), test_mapper())
    readers = Readers(log, holder=holder, lease_seconds=LEASE_SECONDS, poll_seconds=POLL_SECONDS)
    print("ready", flush=True)
    await readers.run(tally(holder))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
