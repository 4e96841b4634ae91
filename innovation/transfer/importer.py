"""Run the good rows of a scout's file through the pipeline, one command each.

A row the domain refuses writes nothing and is reported with its column, as the scout's file
names it; a row imported before (same reference, same content) is acknowledged, not repeated.
Rows go in ``WINDOW`` at a time, as concurrent requests do, so the writer commits them together
(one transaction and one flush to disk for several commands, each command still whole or not
at all); one at a time, each row waited for a commit of its own. No two rows of a file touch
the same idea (a reference repeated in a file is refused on its later lines before any row is
run), so their order does not matter.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

import msgspec

from innovation.domain.errors import DomainError, IdeaAlreadyExistsError, InvalidInputsError
from innovation.services import Actor, Pipeline, ServiceError
from innovation.transfer.rows import (
    IdeaRow,
    Refused,
    Row,
    RowProblem,
    column_order,
    in_file_terms,
)


@dataclass
class ImportReport:
    """What became of each row (by its line): written now, already in the log, or refused, with
    every problem found in the refused ones (one or more a row)."""

    written: list[int] = field(default_factory=list)
    already: list[int] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.written) + len(self.already) + len(self.refused)

    def refuse(self, problems: Iterable[RowProblem]) -> None:
        found = sorted(problems, key=column_order)
        self.refused.append(found[0].line)
        self.problems.extend(found)


WINDOW = 32
"""Rows submitted at once."""


async def import_rows(
    pipeline: Pipeline,
    rows: Iterable[Row],
    actor: Actor,
    now: datetime,
    progress: Callable[[int], None] = lambda done: None,
    window: int = WINDOW,
) -> ImportReport:
    """Submit each good row as ``actor``, at its ``scouted_at`` or ``now``; report the rest.

    An error that is not a refusal (the database gone, say) stops the import: the rows under
    way are let go (each is written whole or not at all) and the error is raised."""
    report = ImportReport()
    running: set[asyncio.Task[None]] = set()
    done = 0

    async def settle() -> int:
        finished, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
        running.difference_update(finished)
        errors = [error for task in finished if (error := task.exception()) is not None]
        if errors:
            raise errors[0]  # what stops the import (the others, if any, said the same)
        return len(finished)

    try:
        for row in rows:
            if isinstance(row, Refused):
                report.refuse(row.problems)
                done += 1
            else:
                running.add(asyncio.ensure_future(_submit(pipeline, row, actor, now, report)))
                if len(running) >= window:
                    done += await settle()
            progress(done)
        while running:
            done += await settle()
            progress(done)
    finally:
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
    for lines in (report.written, report.already, report.refused):
        lines.sort()
    report.problems.sort(key=lambda problem: problem.line)
    return report


async def _submit(
    pipeline: Pipeline, row: IdeaRow, actor: Actor, now: datetime, report: ImportReport
) -> None:
    try:
        try:
            outcome = await pipeline.execute(
                row.command, actor, at=row.scouted_at or now, command_id=row.command_id
            )
        except IdeaAlreadyExistsError as taken:
            if row.scout_given or taken.scout == row.command.scout:
                raise
            # A row that names no scout was imported before by someone else, who stood in
            # then: it is the same row if it is the same idea under that scout.
            command = msgspec.structs.replace(row.command, scout=taken.scout)
            row = replace(row, command=command)
            outcome = await pipeline.execute(
                row.command, actor, at=row.scouted_at or now, command_id=row.command_id
            )
    except IdeaAlreadyExistsError:
        reason = (
            f"{row.external_ref!r} was imported before with different content; "
            "change the idea through reviseIdea, or give the row a new reference"
        )
        report.refuse([RowProblem(row.line, "external_ref", reason)])
    except InvalidInputsError as several:  # every value the domain refused, each in its column
        report.refuse(
            RowProblem(row.line, *in_file_terms(each.field, each.message))
            for each in several.errors
        )
    except (DomainError, ServiceError) as error:
        report.refuse([RowProblem(row.line, *in_file_terms(error.field, error.message))])
    else:
        (report.written if outcome.envelopes else report.already).append(row.line)
