"""Run the good rows of a scout's file through the pipeline, one command (and transaction) each.

A row the domain refuses writes nothing and is reported with its column, as the scout's file
names it; a row imported before (same reference, same content) is acknowledged, not repeated.
"""

from __future__ import annotations

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


async def import_rows(
    pipeline: Pipeline,
    rows: Iterable[Row],
    actor: Actor,
    now: datetime,
    progress: Callable[[int], None] = lambda done: None,
) -> ImportReport:
    """Submit each good row as ``actor``, at its ``scouted_at`` or ``now``; report the rest."""
    report = ImportReport()
    for done, row in enumerate(rows, start=1):
        if isinstance(row, Refused):
            report.refuse(row.problems)
        else:
            await _submit(pipeline, row, actor, now, report)
        progress(done)
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
