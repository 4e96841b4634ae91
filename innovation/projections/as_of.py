"""Questions "as of" a past moment, answered in the read models' own views by replaying the log.

The API asks these and never the store: which position a moment stands for and how the log is
replayed stay behind this module (``timetravel.py`` does the replaying). Everything nested in
an as-of answer (experiments, their metrics and measurements, the histories) is cut at the same
position as the idea itself, so no part of it shows what happened later.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import partial
from weakref import WeakKeyDictionary

import msgspec
from sqlalchemy.engine import Connection

from innovation.domain import experiments as trials
from innovation.domain import ideas as rules
from innovation.domain.metrics import change_pct, target_met
from innovation.kept import Kept
from innovation.projections import views
from innovation.projections.experiments import CONCLUDED, RUNNING
from innovation.projections.timetravel import (
    ExperimentAsOf,
    IdeaAsOf,
    PipelineSummary,
    experiments_as_of,
    idea_as_of,
    settled_cutoff,
    summary_as_of,
    summary_now,
)
from innovation.projections.views import ExperimentView, IdeaView, MeasurementView, MetricView
from innovation.store import Log
from innovation.store.gathered import gathered


class ExperimentThen(msgspec.Struct, frozen=True, kw_only=True):
    """An experiment as it stood at a past position, with its metrics and measurements."""

    view: ExperimentView
    metrics: tuple[MetricView, ...]
    measurements: dict[str, tuple[MeasurementView, ...]]
    """By metric, newest measured first."""


async def idea_at(log: Log, idea_id: str, moment: datetime) -> IdeaView | None:
    """The idea as the log knew it at ``moment``; None if it had not been submitted yet."""
    return await idea_at_position(log, idea_id, await settled_cutoff(log, moment))


async def idea_at_position(log: Log, idea_id: str, position: int) -> IdeaView | None:
    """The idea as the log knew it at ``position``; None if it had not been submitted yet."""
    found = await log.database.read(
        partial(
            idea_as_of, recorder=log.recorder, mapper=log.mapper, idea_id=idea_id, position=position
        )
    )
    return None if found is None else _idea_view(found, position)


async def experiments_at(
    log: Log, experiment_ids: Sequence[str], position: int
) -> list[ExperimentThen]:
    """The experiments as they stood at ``position``, in the order asked for."""
    found = await log.database.read(
        partial(
            experiments_as_of,
            recorder=log.recorder,
            mapper=log.mapper,
            experiment_ids=experiment_ids,
            position=position,
        )
    )
    return [_experiment_then(replay) for replay in found]


async def histories_at(log: Log, idea_id: str, position: int) -> views.Histories:
    """The idea's score, stage and ethics histories, cut at ``position``."""
    return await log.database.read(partial(views.histories, idea_id=idea_id, up_to=position))


SUMMARIES_KEPT = 32
"""Past pipeline figures a process keeps, by log position: a few dozen counts each."""

_summaries: WeakKeyDictionary[Log, Kept[int, PipelineSummary]] = WeakKeyDictionary()


async def pipeline_at(log: Log, moment: datetime | None) -> PipelineSummary:
    """The pipeline's figures at ``moment`` (replayed), or now (from the read models).

    The figures at a past moment stand at a settled position of the log, below which nothing
    can be written any more: they never change, and the process keeps them by that position.
    The replay takes about 2.7 s at a million events; a lead comparing a few dates asks each
    again while others write, which moves the log's end and so every cached answer's key.
    Those asking for the same position while it is replayed wait for that one replay."""
    if moment is None:  # one read shared by the requests asking at once (``Gathered``)
        found = await gathered(log.database, "summary_now", _now).get(NOW)
        assert found is not None  # the read models always give figures
        return found
    position = await settled_cutoff(log, moment)
    replay = partial(
        log.database.read,
        partial(summary_as_of, recorder=log.recorder, mapper=log.mapper, position=position),
    )
    if not log.guard_gaps:  # the position may not be settled (a test's choice): nothing kept
        return await replay()
    kept = _summaries.get(log)
    if kept is None:
        kept = _summaries[log] = Kept(SUMMARIES_KEPT)
    found = await kept.obtain(position, replay)
    assert found is not None  # a replay always gives figures
    return found


def _idea_view(replay: IdeaAsOf, position: int) -> IdeaView:
    """The replayed state in the read model's view, standing at ``position``."""
    state = replay.state
    score = state.score
    return msgspec.convert(
        {
            **msgspec.structs.asdict(state),
            **msgspec.structs.asdict(replay),
            "idea_id": state.id,
            "score": None
            if score is None
            else {**msgspec.structs.asdict(score), "rice": score.rice},
            "ethics_status": rules.ethics_status(state),
            "passes_ethics_gate": rules.passes_ethics_gate(state),
            "running_experiment_id": state.running_experiment,
            "as_of_position": position,
            "experiment_ids": state.experiments,
        },
        IdeaView,
    )


def _experiment_then(replay: ExperimentAsOf) -> ExperimentThen:
    state = replay.state
    view = ExperimentView(
        experiment_id=state.id,
        idea_id=state.idea_id,
        hypothesis=state.hypothesis,
        pilot_site=state.pilot_site,
        starts_on=state.starts_on,  # type: ignore[arg-type]  # set by the start, always first
        ends_on=state.ends_on,  # type: ignore[arg-type]
        status=CONCLUDED if state.concluded else RUNNING,
        outcome=state.outcome,
        decision=state.decision,
        note=state.note,
        started_by=replay.started_by,
        started_at=replay.started_at,
        concluded_at=replay.concluded_at,
        version=state.version,
    )
    metrics: list[MetricView] = []
    for definition in state.metrics:
        latest = trials.latest_measurement(state, definition.name)
        value = None if latest is None else latest.value
        metrics.append(
            MetricView(
                experiment_id=state.id,
                name=definition.name,
                unit=definition.unit,
                baseline=definition.baseline,
                target=definition.target,
                direction=definition.direction,
                latest_value=value,
                latest_measured_at=None if latest is None else latest.measured_at,
                change_pct=None if value is None else change_pct(definition.baseline, value),
                target_met=value is not None and target_met(definition, value),
                measurement_count=sum(1 for r in state.readings if r.metric == definition.name),
            )
        )
    # The readings as they stood (a correction replaces what it corrects), each with who
    # recorded it: the event at the reading's number.
    recorded_by = {item.version: item.actor for item in replay.measurements}
    measurements: dict[str, list[tuple[datetime, int, MeasurementView]]] = {}
    for reading in state.readings:
        measurements.setdefault(reading.metric, []).append(
            (
                reading.measured_at,
                reading.number,
                MeasurementView(
                    number=reading.number,
                    value=reading.value,
                    measured_at=reading.measured_at,
                    recorded_by=recorded_by.get(reading.number, ""),
                ),
            )
        )
    return ExperimentThen(
        view=view,
        metrics=tuple(metrics),
        measurements={
            metric: tuple(found for _, _, found in sorted(entries, reverse=True, key=_by_date))
            for metric, entries in measurements.items()
        },
    )


def _by_date(entry: tuple[datetime, int, MeasurementView]) -> tuple[datetime, int]:
    return entry[0], entry[1]


NOW = "now"
"""The one key of the pipeline's figures now."""


def _now(connection: Connection, keys: list[str]) -> dict[str, PipelineSummary]:
    return {NOW: summary_now(connection)}
