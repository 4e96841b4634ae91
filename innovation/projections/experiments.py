"""Read model of experiments: each one, its metrics with their latest value, every measurement."""

from __future__ import annotations

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
            _measured(connection, envelope, event)
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


def _measured(connection: Connection, envelope: Recorded, event: MeasurementRecorded) -> None:
    connection.execute(
        measurements_view.insert().values(
            experiment_id=event.experiment_id,
            version=envelope.version,
            metric=event.metric,
            position=envelope.position,
            value=event.value,
            measured_at=event.measured_at,
            recorded_by=envelope.actor,
            recorded_at=envelope.at,
        )
    )
    _summarise(connection, event.experiment_id, event.metric)
    _touch(connection, envelope, event.experiment_id)


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
    definition = MetricDefinition(
        name=metric.name,
        unit=metric.unit,
        baseline=metric.baseline,
        target=metric.target,
        direction=Direction(metric.direction),
    )
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
