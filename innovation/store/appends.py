"""Appends a write batch's commands leave to it, made in one statement for them all.

On PostgreSQL each append is a round trip, and a batch of eight ``submitIdea`` commands made
eight of them (one per command, each a statement the server plans and runs on its own) between
its ``BEGIN`` and its ``COMMIT``. When a batch lets its commands leave their appends to it
(``Projector.appends_left``), a command's unit of work hands its events here instead, with
what to do once they have positions (fold them into the read models' rows), and goes on with
the stream's state as the append will leave it. The batch makes every append left in one
statement (``Recorder.append_together``) before it writes the read models' rows.

Nothing changes in what is written or refused: the statement checks each stream's expected
version and each event id as the single append does, and when any stream is not written
whole (another process appended to it meanwhile, or the events are already logged) it raises,
and the batch runs again command by command, each appending on its own, where the single
append says why (a conflict, a repeat acknowledged). Within a batch, a command that reads a
stream another command left an append to (or asks whether its own command was applied there)
has the appends left so far made first, so it reads the stream as it stands.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from innovation.store.log import Recorder
from innovation.store.records import AppendResult, StoredEvent


class AppendsRefusedError(Exception):
    """An append made together with others was not written whole: made one by one, each
    says why (``Recorder.append``)."""

    def __init__(self, stream_id: str) -> None:
        self.stream_id = stream_id
        super().__init__(
            f"the append to {stream_id!r} made with its batch's others was refused:"
            " the batch runs again command by command"
        )


@dataclass(frozen=True, slots=True)
class LeftAppend:
    """One stream's events, the version the append expects, and what to do once written."""

    stream_id: str
    records: Sequence[StoredEvent]
    expected_version: int
    then: Callable[[AppendResult], None]


class AppendsLeft:
    """The appends one write batch's commands left to it, in the order they were left."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self._left: list[LeftAppend] = []
        self._streams: set[str] = set()
        self.events = 0
        """Events left and not yet appended."""

    def holds(self, stream_id: str) -> bool:
        return stream_id in self._streams

    def leave(self, connection: Connection, append: LeftAppend) -> None:
        """Leave ``append`` to the batch; one stream appears once in a statement, so a second
        append to it has the first made before it is left."""
        if append.stream_id in self._streams:
            self.make(connection)
        self._left.append(append)
        self._streams.add(append.stream_id)
        self.events += len(append.records)

    def make(self, connection: Connection) -> None:
        """Make every append left, in one statement, then what each wanted done after."""
        left, self._left = self._left, []
        self._streams.clear()
        self.events = 0
        if not left:
            return
        results = self.recorder.append_together(
            connection, [(each.stream_id, each.records, each.expected_version) for each in left]
        )
        for each, result in zip(left, results, strict=True):
            each.then(result)
