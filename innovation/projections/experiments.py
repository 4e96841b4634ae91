"""Read model of experiments: each one, its metrics with their latest value, every measurement."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

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


def apply(connection: Connection, envelope: Recorded) -> None:
    event = envelope.event
    match event:
        case ExperimentStarted():
            _started(connection, envelope, event)
        case MeasurementRecorded():
            apply_measurements(connection, (envelope,))
        case MeasurementCorrected():
            connection.execute(
                measurements_view.update()
                .where(
                    (measurements_view.c.experiment_id == event.experiment_id)
                    & (measurements_view.c.version == event.measurement)
                )
                .values(value=event.value, measured_at=event.measured_at)
            )
            _summarise(connection, event.experiment_id, event.metric)
            _touch(connection, envelope, event.experiment_id)
        case ExperimentAmended():
            _touch(
                connection,
                envelope,
                event.experiment_id,
                hypothesis=event.hypothesis,
                pilot_site=event.pilot_site,
                starts_on=event.starts_on,
                ends_on=event.ends_on,
            )
        case MetricAdded():
            ordinal = sa.select(sa.func.count()).where(
                metrics_view.c.experiment_id == event.experiment_id
            )
            connection.execute(
                metrics_view.insert().values(
                    _metric_row(
                        event.experiment_id, connection.execute(ordinal).scalar_one(), event.metric
                    )
                )
            )
            _touch(connection, envelope, event.experiment_id)
        case ExperimentConcluded():
            _touch(
                connection,
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


def _started(connection: Connection, envelope: Recorded, event: ExperimentStarted) -> None:
    connection.execute(
        experiments_view.insert().values(
            experiment_id=event.experiment_id,
            idea_id=event.idea_id,
            hypothesis=event.hypothesis,
            pilot_site=event.pilot_site,
            starts_on=event.starts_on,
            ends_on=event.ends_on,
            status=RUNNING,
            started_by=envelope.actor,
            started_at=envelope.at,
            version=envelope.version,
            last_position=envelope.position,
        )
    )
    connection.execute(
        metrics_view.insert(),
        [
            _metric_row(event.experiment_id, ordinal, metric)
            for ordinal, metric in enumerate(event.metrics)
        ],
    )


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


_INSERT_MEASUREMENT = measurements_view.insert()
_CURRENT_METRICS = sa.select(metrics_view).where(
    metrics_view.c.experiment_id.in_(sa.bindparam("experiment_ids", expanding=True))
)
_UPDATE_METRIC = (
    metrics_view.update()
    .where(
        (metrics_view.c.experiment_id == sa.bindparam("key_experiment"))
        & (metrics_view.c.name == sa.bindparam("key_metric"))
    )
    .values(
        measurement_count=sa.bindparam("measurement_count"),
        latest_value=sa.bindparam("latest_value"),
        latest_measured_at=sa.bindparam("latest_measured_at"),
        change_pct=sa.bindparam("change_pct"),
        target_met=sa.bindparam("target_met"),
    )
)
_TOUCH = (
    experiments_view.update()
    .where(experiments_view.c.experiment_id == sa.bindparam("key_experiment"))
    .values(version=sa.bindparam("version"), last_position=sa.bindparam("last_position"))
)
"""Statements built once: each execution then skips SQLAlchemy's statement building."""


def apply_measurements(connection: Connection, envelopes: Sequence[Recorded]) -> None:
    """Project a run of ``MeasurementRecorded`` events in a handful of statements.

    The result equals applying them one by one: measurements are inserted in one
    ``executemany``; each metric's count and latest value are carried on from its current
    summary (a later version wins a tie on the date, as in ``_summarise``), and each
    experiment keeps the version and position of its last event.
    """
    if not envelopes:
        return
    rows: list[dict[str, object]] = []
    latest: dict[tuple[str, str], tuple[datetime, int, float]] = {}
    counts: dict[tuple[str, str], int] = {}
    touched: dict[str, dict[str, object]] = {}
    for envelope in envelopes:
        event: MeasurementRecorded = envelope.event
        key = (event.experiment_id, event.metric)
        rows.append(
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
        counts[key] = counts.get(key, 0) + 1
        candidate = (event.measured_at, envelope.version, event.value)
        best = latest.get(key)
        if best is None or candidate[:2] >= best[:2]:
            latest[key] = candidate
        touched[event.experiment_id] = {
            "key_experiment": event.experiment_id,
            "version": envelope.version,
            "last_position": envelope.position,
        }
    connection.execute(_INSERT_MEASUREMENT, rows)
    current = {
        (row.experiment_id, row.name): row
        for row in connection.execute(_CURRENT_METRICS, {"experiment_ids": list(touched)})
    }
    summaries = []
    for key, (measured_at, _version, value) in latest.items():
        metric = current[key]
        if metric.latest_measured_at is not None and measured_at < metric.latest_measured_at:
            measured_at, value = metric.latest_measured_at, metric.latest_value
        summaries.append(
            {
                "key_experiment": key[0],
                "key_metric": key[1],
                "measurement_count": metric.measurement_count + counts[key],
                "latest_value": value,
                "latest_measured_at": measured_at,
                "change_pct": change_pct(metric.baseline, value),
                "target_met": target_met(_definition(metric), value),
            }
        )
    connection.execute(_UPDATE_METRIC, summaries)
    connection.execute(_TOUCH, list(touched.values()))


def _definition(metric: sa.Row[Any]) -> MetricDefinition:
    return MetricDefinition(
        name=metric.name,
        unit=metric.unit,
        baseline=metric.baseline,
        target=metric.target,
        direction=Direction(metric.direction),
    )


def _summarise(connection: Connection, experiment_id: str, name: str) -> None:
    """Bring a metric's summary up to date with its measurements: the latest by its own date
    (of two on the same date, the later recorded) is the one that counts, as in the domain."""
    where = (metrics_view.c.experiment_id == experiment_id) & (metrics_view.c.name == name)
    metric = connection.execute(sa.select(metrics_view).where(where)).one()
    m = measurements_view.c
    mine = (m.experiment_id == experiment_id) & (m.metric == name)
    count = connection.execute(sa.select(sa.func.count()).where(mine)).scalar_one()
    latest = connection.execute(
        sa.select(m.value, m.measured_at)
        .where(mine)
        .order_by(m.measured_at.desc(), m.version.desc())
        .limit(1)
    ).one()
    definition = _definition(metric)
    connection.execute(
        metrics_view.update()
        .where(where)
        .values(
            measurement_count=count,
            latest_value=latest.value,
            latest_measured_at=latest.measured_at,
            change_pct=change_pct(metric.baseline, latest.value),
            target_met=target_met(definition, latest.value),
        )
    )


def _touch(
    connection: Connection, envelope: Recorded, experiment_id: str, **changes: object
) -> None:
    connection.execute(
        experiments_view.update()
        .where(experiments_view.c.experiment_id == experiment_id)
        .values(version=envelope.version, last_position=envelope.position, **changes)
    )


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
