"""Metric arithmetic shared by conclusions and digests: change from baseline and target reached."""

from __future__ import annotations

import math

import msgspec

from innovation.domain.values import Direction, MetricDefinition


class MetricResult(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A metric as it stood when the experiment concluded: baseline → observed, change in %."""

    name: str
    unit: str
    baseline: float
    target: float
    direction: Direction
    observed: float | None
    change_pct: float | None
    met: bool


def change_pct(baseline: float, observed: float) -> float | None:
    """Change from the baseline in percent of its size; None when there is nothing to divide by."""
    if baseline == 0:
        return None
    change = (observed - baseline) / abs(baseline) * 100
    return change if math.isfinite(change) else None


def target_met(definition: MetricDefinition, observed: float) -> bool:
    """Whether ``observed`` reaches the target, counting the target itself as reached."""
    if definition.direction is Direction.LOWER_IS_BETTER:
        return observed <= definition.target
    return observed >= definition.target


def metric_result(definition: MetricDefinition, observed: float | None) -> MetricResult:
    """The result of one metric; an unmeasured metric has no change and missed its target."""
    return MetricResult(
        name=definition.name,
        unit=definition.unit,
        baseline=definition.baseline,
        target=definition.target,
        direction=definition.direction,
        observed=observed,
        change_pct=None if observed is None else change_pct(definition.baseline, observed),
        met=observed is not None and target_met(definition, observed),
    )
