"""Read model of experiments: each one, its metrics with their latest value, every measurement."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from innovation.domain.experiments import (
    ExperimentAmended,
    ExperimentConcluded,
    ExperimentStarted,
    MeasurementCorrected,
    MeasurementRecorded,
    MetricAdded,
)
from innovation.domain.metrics import change_pct, target_met
from innovation.domain.recorded import Recorded
from innovation.domain.values import Direction, MetricDefinition
from innovation.projections.batch import Batch, touched
from innovation.store.tables import UTCDateTime, metadata

RUNNING = "RUNNING"
CONCLUDED = "CONCLUDED"

experiments_view = sa.Table(
    "experiments_view",
    metadata,
    sa.Column("experiment_id", sa.String(64), primary_key=True),
    sa.Column("idea_id", sa.String(64), nullable=False, index=True),
    sa.Column("hypothesis", sa.Text, nullable=False),
    sa.Column("pilot_site", sa.String(200), nullable=False),
    sa.Column("starts_on", sa.Date, nullable=False),
    sa.Column("ends_on", sa.Date, nullable=False),
    sa.Column("status", sa.String(20), nullable=False, index=True),
    sa.Column("outcome", sa.String(20)),
    sa.Column("decision", sa.String(20)),
    sa.Column("note", sa.Text),
    sa.Column("started_by", sa.String(200), nullable=False),
    sa.Column("started_at", UTCDateTime, nullable=False, index=True),
    sa.Column("concluded_at", UTCDateTime),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("last_position", sa.BigInteger, nullable=False),
)

metrics_view = sa.Table(
    "metrics_view",
    metadata,
    sa.Column("experiment_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("ordinal", sa.Integer, nullable=False),
    sa.Column("unit", sa.String(100), nullable=False),
    sa.Column("baseline", sa.Float, nullable=False),
    sa.Column("target", sa.Float, nullable=False),
    sa.Column("direction", sa.String(20), nullable=False),
    sa.Column("latest_value", sa.Float),
    sa.Column("latest_measured_at", UTCDateTime),
    sa.Column("change_pct", sa.Float),
    sa.Column("target_met", sa.Boolean, nullable=False),
    sa.Column("measurement_count", sa.Integer, nullable=False),
)

measurements_view = sa.Table(
    "measurements_view",
    metadata,
    sa.Column("experiment_id", sa.String(64), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("metric", sa.String(200), nullable=False),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("value", sa.Float, nullable=False),
    sa.Column("measured_at", UTCDateTime, nullable=False),
    sa.Column("recorded_by", sa.String(200), nullable=False),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
    sa.Index(None, "experiment_id", "metric", "measured_at"),
)

TABLES = (experiments_view, metrics_view, measurements_view)


EXPERIMENT_EVENTS = (
    MeasurementRecorded,
    MeasurementCorrected,
    ExperimentAmended,
    MetricAdded,
    ExperimentConcluded,
)
"""The events that change an experiment's rows once it exists."""
FOLDED_EVENTS = (ExperimentStarted, *EXPERIMENT_EVENTS)
"""Every event ``fold`` takes; the projector hands it no other."""


def prefetch(batch: Batch, envelopes: Sequence[Recorded]) -> None:
    """Load the rows of the experiments these events change, and their metrics, in a few
    statements. A fold only changes an experiment's own row (``_touch``), but loaded with the
    batch it is written whole, and a mutation answers with it (``Outcome.written``) rather than
    reading it again after the commit: a statement for the batch instead of one a command."""
    ids = touched(envelopes, EXPERIMENT_EVENTS, "experiment_id")
    batch[metrics_view].prefetch("experiment_id", ids)
    batch[experiments_view].prefetch("experiment_id", ids)


def fold(batch: Batch, envelope: Recorded) -> None:
    event = envelope.event
    match event:
        case MeasurementRecorded():
            _measured(batch, envelope, event)
        case ExperimentStarted():
            _started(batch, envelope, event)
        case MeasurementCorrected():
            key = (event.experiment_id, event.measurement)
            changes = {"value": event.value, "measured_at": event.measured_at}
            batch[measurements_view].update(key, changes)
            _summarise(batch, event.experiment_id, event.metric)
            _touch(batch, envelope, event.experiment_id)
        case ExperimentAmended():
            _touch(
                batch,
                envelope,
                event.experiment_id,
                hypothesis=event.hypothesis,
                pilot_site=event.pilot_site,
                starts_on=event.starts_on,
                ends_on=event.ends_on,
            )
        case MetricAdded():
            ordinal = len(batch[metrics_view].where(experiment_id=event.experiment_id))
            batch[metrics_view].insert(_metric_row(event.experiment_id, ordinal, event.metric))
            _touch(batch, envelope, event.experiment_id)
        case ExperimentConcluded():
            _touch(
                batch,
                envelope,
                event.experiment_id,
                status=CONCLUDED,
                outcome=str(event.outcome),
                decision=str(event.decision),
                note=event.note,
                concluded_at=envelope.at,
            )
        case _:
            pass


def _started(batch: Batch, envelope: Recorded, event: ExperimentStarted) -> None:
    batch[experiments_view].insert(
        {
            "experiment_id": event.experiment_id,
            "idea_id": event.idea_id,
            "hypothesis": event.hypothesis,
            "pilot_site": event.pilot_site,
            "starts_on": event.starts_on,
            "ends_on": event.ends_on,
            "status": RUNNING,
            "started_by": envelope.actor,
            "started_at": envelope.at,
            "version": envelope.version,
            "last_position": envelope.position,
        }
    )
    metrics = batch[metrics_view]
    for ordinal, metric in enumerate(event.metrics):
        metrics.insert(_metric_row(event.experiment_id, ordinal, metric))


def _metric_row(experiment_id: str, ordinal: int, metric: MetricDefinition) -> dict[str, object]:
    """A metric's row before any measurement."""
    return {
        "experiment_id": experiment_id,
        "name": metric.name,
        "ordinal": ordinal,
        "unit": metric.unit,
        "baseline": metric.baseline,
        "target": metric.target,
        "direction": str(metric.direction),
        "target_met": False,
        "measurement_count": 0,
    }


def _measured(batch: Batch, envelope: Recorded, event: MeasurementRecorded) -> None:
    """Keep the measurement, count it, and make it its metric's latest unless an earlier
    recorded one has a later date (of two on the same date, the later recorded counts)."""
    batch[measurements_view].insert(
        {
            "experiment_id": event.experiment_id,
            "version": envelope.version,
            "metric": event.metric,
            "position": envelope.position,
            "value": event.value,
            "measured_at": event.measured_at,
            "recorded_by": envelope.actor,
            "recorded_at": envelope.at,
        }
    )
    metrics = batch[metrics_view]
    key = (event.experiment_id, event.metric)
    metric = metrics.row(key)
    changes: dict[str, object] = {"measurement_count": metric["measurement_count"] + 1}
    latest = metric["latest_measured_at"]
    if latest is None or event.measured_at >= latest:
        changes.update(_latest(metric, event.value, event.measured_at))
    metrics.update(key, changes)
    _touch(batch, envelope, event.experiment_id)


def _latest(metric: dict[str, Any], value: float, measured_at: datetime) -> dict[str, object]:
    """A metric's summary columns with ``value`` as its latest measurement."""
    return {
        "latest_value": value,
        "latest_measured_at": measured_at,
        "change_pct": change_pct(metric["baseline"], value),
        "target_met": target_met(_definition(metric), value),
    }


def _definition(metric: dict[str, Any]) -> MetricDefinition:
    return MetricDefinition(
        name=metric["name"],
        unit=metric["unit"],
        baseline=metric["baseline"],
        target=metric["target"],
        direction=Direction(metric["direction"]),
    )


def _summarise(batch: Batch, experiment_id: str, name: str) -> None:
    """Bring a metric's summary up to date with its measurements: the latest by its own date
    (of two on the same date, the later recorded) is the one that counts, as in the domain."""
    mine = batch[measurements_view].where(experiment_id=experiment_id, metric=name)
    latest = max(mine, key=lambda row: (row["measured_at"], row["version"]))
    metrics = batch[metrics_view]
    key = (experiment_id, name)
    summary = _latest(metrics.row(key), latest["value"], latest["measured_at"])
    metrics.update(key, {"measurement_count": len(mine), **summary})


def _touch(batch: Batch, envelope: Recorded, experiment_id: str, **changes: object) -> None:
    values = {"version": envelope.version, "last_position": envelope.position, **changes}
    batch[experiments_view].update_unread((experiment_id,), values)


def describe(event: object) -> str | None:
    """How an experiment's event reads in its idea's history; None for another's event."""
    match event:
        case ExperimentStarted():
            return f"pilot at {event.pilot_site} from {event.starts_on} to {event.ends_on}"
        case MeasurementRecorded():
            return f"measured {event.metric} = {event.value:g}"
        case MeasurementCorrected():
            return (
                f"corrected measurement {event.measurement} of {event.metric} to"
                f" {event.value:g} at {event.measured_at.isoformat()}: {event.reason}"
            )
        case ExperimentAmended():
            return (
                f"pilot changed to {event.pilot_site} from {event.starts_on} to {event.ends_on},"
                f" hypothesis: {event.hypothesis} ({event.reason})"
            )
        case MetricAdded():
            added = event.metric
            return f"metric added: {added.name}, {added.baseline:g} → {added.target:g} {added.unit}"
        case ExperimentConcluded():
            return f"concluded {event.outcome}, decision {event.decision}"
        case _:
            return None
