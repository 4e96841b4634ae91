"""A metric of an experiment and its measurements, as the API shows them: where it stands,
its latest readings, and every reading page by page (now, or as of a past position)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from innovation.api import queues
from innovation.api.building import built
from innovation.api.context import Context
from innovation.api.enums import DirectionType
from innovation.api.loaders import LATEST_MEASUREMENTS
from innovation.projections import views
from innovation.projections.paging import encode_cursor


@strawberry.type(description="One measurement of a metric, as corrected if it was.")
class Measurement:
    number: int = strawberry.field(
        description="The measurement's number in its experiment, which a correction names."
    )
    value: float
    measured_at: datetime
    recorded_by: str


@strawberry.type(description="An edge among a metric's measurements (the cursor is its number).")
class MeasurementEdge:
    cursor: str
    node: Measurement


@strawberry.type(description="A page of a metric's measurements, in the Relay connection shape.")
class MeasurementConnection:
    page_info: relay.PageInfo
    edges: list[MeasurementEdge]


def measurements_within(
    measured: tuple[views.MeasurementView, ...], w: queues.NumberedWindow
) -> tuple[list[views.MeasurementView], bool]:
    """``views.measurement_page`` over measurements already at hand (as of a past position)."""
    inside = sorted(
        (m for m in measured if m.number > w.since and (w.until is None or m.number < w.until)),
        key=lambda m: m.number,
    )
    page = inside[-w.size :] if w.backwards and w.size else inside[: w.size]
    return page, len(inside) > len(page)


@strawberry.type(description="A metric of an experiment: baseline, target and where it stands.")
class Metric:
    name: str
    unit: str
    baseline: float
    target: float
    direction: DirectionType  # type: ignore[valid-type]
    latest_value: float | None
    latest_measured_at: datetime | None
    change_pct: float | None = strawberry.field(description="Latest value against baseline, in %.")
    target_met: bool
    measurement_count: int
    experiment_id: strawberry.Private[str]
    measured_then: strawberry.Private[tuple[views.MeasurementView, ...] | None] = None

    @classmethod
    def of(
        cls,
        view: views.MetricView,
        measured_then: tuple[views.MeasurementView, ...] | None = None,
    ) -> Metric:
        return built(cls, view, measured_then=measured_then)

    @strawberry.field(description="The latest measurements, newest first (at most 5).")
    async def latest_measurements(self, info: Info[Context, None]) -> list[Measurement]:
        if self.measured_then is not None:
            return [built(Measurement, each) for each in self.measured_then[:LATEST_MEASUREMENTS]]
        found = await info.context.loaders.measurements.load((self.experiment_id, self.name))
        return [built(Measurement, measurement) for measurement in found]

    @strawberry.field(
        description="Every measurement of the metric, as corrected, in the order they were "
        "recorded (by number): what a correction names, and the series to chart."
    )
    async def measurements(
        self,
        info: Info[Context, None],
        first: Annotated[int | None, strawberry.argument(description=queues.LONG_PAGE_HELP)] = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> MeasurementConnection:
        w = queues.numbered_window(first, after, last, before, "these measurements")
        if self.measured_then is not None:  # as of a past position
            found, more = measurements_within(self.measured_then, w)
        else:
            experiment_id, name = self.experiment_id, self.name
            found, more = await info.context.services.database.glance(
                lambda c: views.measurement_page(
                    c, experiment_id, name, w.size, w.since, w.until, w.backwards
                )
            )
        edges = [
            MeasurementEdge(cursor=encode_cursor(each.number), node=built(Measurement, each))
            for each in found
        ]
        has_next, has_previous = w.has_next_and_previous(more)
        return MeasurementConnection(
            page_info=queues.page_info([edge.cursor for edge in edges], has_next, has_previous),
            edges=edges,
        )
