"""The importer sends rows together, so the writer commits them together, and stops cleanly."""

from __future__ import annotations

import asyncio
import gc
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from innovation.services import Actor
from innovation.transfer.importer import WINDOW, import_rows
from innovation.transfer.rows import read_rows

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
IMPORTER = Actor("scout:import", "scout")
HEADER = "external_ref,title,summary,source_kind,organisation,country,external,themes\n"


def rows(count: int, bad: tuple[int, ...] = ()) -> list[Any]:
    lines = [
        f"ref-{n},Idea number {n},What it does.,STARTUP,Org,FR,"
        f"{'perhaps' if n in bad else 'true'},networks-cloud\n"
        for n in range(count)
    ]
    return list(read_rows((HEADER + "".join(lines)).encode(), "csv", "import", NOW))


@dataclass
class Outcome:
    envelopes: list[object]


class Pipeline:
    """Answers each command once every command sent so far has had a turn of the loop, as a
    writer answers a batch; counts how many were under way at once. The command of idea
    number ``fail_at`` fails, as when the database goes away, and those after it never end."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.running = 0
        self.most = 0
        self.done: list[str] = []
        self.fail_at = fail_at

    async def execute(self, command: Any, actor: Actor, **_: object) -> Outcome:
        self.running += 1
        self.most = max(self.most, self.running)
        try:
            await asyncio.sleep(0)
            number = int(command.title.rsplit(" ", 1)[1])
            if self.fail_at is not None and number >= self.fail_at:
                if number == self.fail_at:
                    raise ConnectionError("the database went away")
                await asyncio.Event().wait()  # under way until cancelled
            await asyncio.sleep(0)
            self.done.append(command.title)
            return Outcome(envelopes=[object()])
        finally:
            self.running -= 1


async def test_rows_are_under_way_together_up_to_the_window_and_each_is_reported_once():
    pipeline = Pipeline()
    seen: list[int] = []

    report = await import_rows(
        pipeline,  # type: ignore[arg-type]
        rows(100, bad=(7, 50)),
        IMPORTER,
        NOW,
        progress=seen.append,
    )

    assert pipeline.most == WINDOW
    good = [n for n in range(100) if n not in (7, 50)]
    assert report.written == [n + 2 for n in good]  # by line, whatever order they ended in
    assert report.refused == [9, 52]
    assert sorted(pipeline.done) == sorted(f"Idea number {n}" for n in good)
    assert seen == sorted(seen)
    assert seen[-1] == 100


async def test_an_error_that_is_not_a_refusal_stops_the_import_and_leaves_nothing_running():
    pipeline = Pipeline(fail_at=40)
    unretrieved: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _, found: unretrieved.append(found))
    try:
        with pytest.raises(ConnectionError, match="went away"):
            await import_rows(pipeline, rows(100), IMPORTER, NOW)  # type: ignore[arg-type]
        gc.collect()  # a task whose error nobody retrieved says so when it is collected
    finally:
        loop.set_exception_handler(None)

    assert pipeline.running == 0
    assert len(pipeline.done) < 100
    assert not [task for task in asyncio.all_tasks() if task.get_coro().__name__ == "_submit"]
    assert unretrieved == []
