"""Loops that retry for ever (the log's readers, the digest sender) pace and report failures:
a database down for an hour neither floods the log nor keeps knocking at the server."""

from __future__ import annotations

import asyncio
import logging

import pytest

import innovation.store.readers as readers_module
from innovation.store import CheckpointedReader, Failures, Readers


def test_the_pause_doubles_up_to_the_longest_and_an_outage_is_a_line_a_try(
    caplog: pytest.LogCaptureFixture,
):
    failures = Failures("reader releases.ship", shortest=0.5, longest=30.0)
    caplog.set_level(logging.INFO, logger=readers_module.__name__)

    pauses = [failures.failed(ConnectionRefusedError(111, "Connection refused")) for _ in range(9)]
    failures.succeeded()
    failures.succeeded()  # a success after a success says nothing
    after = failures.failed(OSError("gone again"))

    assert pauses == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]
    assert after == 0.5  # the count starts again once it worked
    records = caplog.records
    assert [r.levelname for r in records] == ["WARNING"] * 9 + ["INFO", "ERROR"]
    assert all(r.exc_info is None for r in records[:-1])
    assert records[0].getMessage() == (
        "reader releases.ship failed: the database is unavailable (ConnectionRefusedError: "
        "[Errno 111] Connection refused); next try in 0.5 s"
    )
    assert records[1].getMessage() == (
        "reader releases.ship failed again (2 in a row): ConnectionRefusedError: "
        "[Errno 111] Connection refused; next try in 1.0 s"
    )
    assert records[9].getMessage() == "reader releases.ship works again, after 9 failures"
    # not an outage (a fault of the code, say): told in full, with its traceback
    assert records[10].getMessage() == "reader releases.ship failed; retrying"
    assert records[10].exc_info is not None
    assert records[10].exc_info[1].args == ("gone again",)


def test_a_first_failure_that_is_no_outage_is_told_with_its_traceback(
    caplog: pytest.LogCaptureFixture,
):
    failures = Failures("sending digests", shortest=1.0)
    caplog.set_level(logging.INFO, logger=readers_module.__name__)

    failures.failed(KeyError("delivery_id"))
    failures.failed(ConnectionRefusedError(111, "Connection refused"))

    first, second = caplog.records
    assert (first.levelname, first.getMessage()) == ("ERROR", "sending digests failed; retrying")
    assert first.exc_info is not None
    assert isinstance(first.exc_info[1], KeyError)
    assert (second.levelname, second.exc_info) == ("WARNING", None)
    assert second.getMessage().startswith("sending digests failed again (2 in a row)")


async def test_a_reader_that_keeps_failing_waits_longer_each_time_and_goes_on_once_it_works(
    monkeypatch: pytest.MonkeyPatch,
):
    outcomes: list[int | Exception] = [OSError("down")] * 4 + [0, OSError("down again")]
    pauses: list[float] = []

    async def step(reader: CheckpointedReader) -> int:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)
        if not outcomes:
            raise asyncio.CancelledError

    readers = Readers(log=None, poll_seconds=0.5)  # type: ignore[arg-type]  # never reached
    monkeypatch.setattr(readers, "step", step)
    monkeypatch.setattr(readers_module.asyncio, "sleep", sleep)

    with pytest.raises(asyncio.CancelledError):
        await readers.run(CheckpointedReader(name="releases.ship", handle=lambda c, b: None))

    # four failures, a success (an idle poll), then the first failure of a new run of them
    assert pauses == [0.5, 1.0, 2.0, 4.0, 0.5, 0.5]
