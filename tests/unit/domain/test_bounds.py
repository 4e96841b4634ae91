"""Every bound of the domain, probed from both sides through the commands that use it: a value
exactly at the limit is accepted, one just past it is refused naming the field."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from msgspec.structs import replace

from innovation.domain import (
    AddMetric,
    AdvanceIdea,
    AmendExperiment,
    ApplyConclusion,
    ConcludeExperiment,
    CorrectMeasurement,
    Decision,
    Direction,
    EthicsReviewRequested,
    Event,
    InvalidInputError,
    MetricDefinition,
    Outcome,
    OverrideValidation,
    RecordEthicsReview,
    RecordMeasurement,
    RejectIdea,
    ReopenIdea,
    ReviseIdea,
    ScoreIdea,
    Stage,
    Verdict,
)
from innovation.domain.bounds import BOUNDS, Bound
from tests.unit.domain.examples import (
    EXPERIMENT,
    IDEA,
    experimenting,
    metric,
    on_target,
    provenance,
    rejected,
    score,
    scouted,
    screening,
    start,
    started,
    submit,
)
from tests.unit.domain.scenario import DECIDERS, given


@dataclass(frozen=True)
class Probe:
    """One command that checks a bound: ``build`` puts a value of the given size in it."""

    field: str
    build: Callable[[Any], tuple[list[Event], Any]]
    continuous: bool = False
    """A real number: the value just past a limit is the next float, not the next integer."""
    signed: bool = False
    """A number that can go below zero, unlike a length or a count."""
    adds_one: bool = False
    """A count that the command raises by one: it never comes near its least, so only the most
    is probed (the value is the count once the command is done)."""


def text(size: int) -> str:
    return "x" * size


def url(size: int) -> str:
    """An address of exactly ``size`` characters; none at all is an absent address."""
    return "" if size == 0 else "https://example.org/" + "a" * (size - len("https://example.org/"))


def names(prefix: str, count: int) -> tuple[str, ...]:
    return tuple(f"{prefix}{n}" for n in range(count))


def nothing_before(command: Any) -> tuple[list[Event], Any]:
    return [], command


def after(history: list[Event]) -> Callable[[Any], tuple[list[Event], Any]]:
    return lambda command: (history, command)


on_scouted = after(scouted())
on_screening = after(screening())
on_experimenting = after(experimenting())
on_measured = after(on_target())
on_requested = after([*scouted(uses_ai=True), EthicsReviewRequested(idea_id=IDEA)])


def scored(**changes: Any) -> tuple[list[Event], Any]:
    return on_scouted(ScoreIdea(idea_id=IDEA, score=score(**changes)))


def review(**changes: Any) -> tuple[list[Event], Any]:
    fields: dict[str, Any] = {"verdict": Verdict.APPROVED, "reviewers": ("Ines",), "note": None}
    return on_requested(RecordEthicsReview(idea_id=IDEA, **(fields | changes)))


def apply_note(size: int) -> tuple[list[Event], Any]:
    return on_experimenting(
        ApplyConclusion(
            idea_id=IDEA,
            experiment_id=EXPERIMENT,
            outcome=Outcome.INCONCLUSIVE,
            decision=Decision.ITERATE,
            targets_met=False,
            note=text(size),
        )
    )


def conclude_note(size: int) -> tuple[list[Event], Any]:
    return on_measured(
        ConcludeExperiment(
            experiment_id=EXPERIMENT,
            outcome=Outcome.INCONCLUSIVE,
            decision=Decision.ITERATE,
            note=text(size),
        )
    )


def baseline_at(value: float) -> MetricDefinition:
    """A metric whose baseline is ``value``, with a target one better on the side that exists."""
    lower = Direction.LOWER_IS_BETTER
    if value > 0:
        return metric(baseline=value, target=value - 1, direction=lower)
    return metric(baseline=value, target=value + 1, direction=Direction.HIGHER_IS_BETTER)


def target_at(value: float) -> MetricDefinition:
    """A metric from a baseline of zero to a target of ``value``, in whichever direction."""
    direction = Direction.HIGHER_IS_BETTER if value > 0 else Direction.LOWER_IS_BETTER
    return metric(baseline=0.0, target=value, direction=direction)


def started_with(definition: MetricDefinition) -> tuple[list[Event], Any]:
    return nothing_before(start(metrics=(definition,)))


def added(definition: MetricDefinition) -> tuple[list[Event], Any]:
    """``definition``, under a name of its own, added to a pilot that has measured nothing."""
    new = replace(definition, name="handling time")
    return after([started()])(AddMetric(experiment_id=EXPERIMENT, metric=new))


def amending(**changes: Any) -> tuple[list[Event], Any]:
    reason = "The Luxembourg centre closes for works."
    return after([started()])(AmendExperiment(experiment_id=EXPERIMENT, reason=reason, **changes))


def holding(count: int) -> tuple[list[Event], Any]:
    """A pilot of ``count - 1`` metrics, and one more added."""
    metrics = tuple(metric(name=name) for name in names("metric ", count - 1))
    return after([started(metrics=metrics)])(
        AddMetric(experiment_id=EXPERIMENT, metric=metric(name="handling time"))
    )


def measuring(value: float) -> RecordMeasurement:
    return RecordMeasurement(
        experiment_id=EXPERIMENT,
        metric=metric().name,
        value=value,
        measured_at=datetime(2026, 4, 15, tzinfo=UTC),
        now=datetime(2026, 5, 1, tzinfo=UTC),
    )


def correcting(value: float) -> CorrectMeasurement:
    return CorrectMeasurement(
        experiment_id=EXPERIMENT,
        measurement=2,
        value=value,
        reason="A slip of the keyboard.",
        now=datetime(2026, 5, 1, tzinfo=UTC),
    )


PROBES: dict[str, list[Probe]] = {
    "title length": [
        Probe("title", lambda n: nothing_before(submit(title=text(n)))),
        Probe("title", lambda n: on_scouted(ReviseIdea(idea_id=IDEA, title=text(n)))),
    ],
    "summary length": [
        Probe("summary", lambda n: nothing_before(submit(summary=text(n)))),
        Probe("summary", lambda n: on_scouted(ReviseIdea(idea_id=IDEA, summary=text(n)))),
    ],
    "organisation length": [
        Probe(
            "provenance.organisation",
            lambda n: nothing_before(submit(provenance=provenance(organisation=text(n)))),
        ),
        Probe(
            "provenance.organisation",
            lambda n: on_scouted(
                ReviseIdea(idea_id=IDEA, provenance=provenance(organisation=text(n)))
            ),
        ),
    ],
    "url length": [
        Probe(
            "provenance.url", lambda n: nothing_before(submit(provenance=provenance(url=url(n))))
        ),
        Probe(
            "provenance.url",
            lambda n: on_scouted(ReviseIdea(idea_id=IDEA, provenance=provenance(url=url(n)))),
        ),
    ],
    "theme length": [
        Probe("themes[0]", lambda n: nothing_before(submit(themes=("a" * n,)))),
        Probe("themes[1]", lambda n: on_scouted(ReviseIdea(idea_id=IDEA, themes=("ai", "a" * n)))),
    ],
    "scout length": [Probe("scout", lambda n: nothing_before(submit(scout=text(n))))],
    "advance reason length": [
        Probe(
            "reason",
            lambda n: on_scouted(
                AdvanceIdea(idea_id=IDEA, to_stage=Stage.SCREENING, reason=text(n))
            ),
        )
    ],
    "reject reason length": [
        Probe("reason", lambda n: on_screening(RejectIdea(idea_id=IDEA, reason=text(n))))
    ],
    "correction reason length": [
        Probe(
            "reason",
            lambda n: on_measured(
                CorrectMeasurement(
                    experiment_id=EXPERIMENT,
                    measurement=2,
                    value=1.0,
                    reason=text(n),
                    now=datetime(2026, 5, 1, tzinfo=UTC),
                )
            ),
        )
    ],
    "reopen reason length": [
        Probe("reason", lambda n: after(rejected())(ReopenIdea(idea_id=IDEA, reason=text(n))))
    ],
    "amend reason length": [
        Probe(
            "reason",
            lambda n: after([started()])(
                AmendExperiment(experiment_id=EXPERIMENT, pilot_site="Brussels", reason=text(n))
            ),
        )
    ],
    "override reason length": [
        Probe("reason", lambda n: on_screening(OverrideValidation(idea_id=IDEA, reason=text(n))))
    ],
    "note length": [
        Probe("note", apply_note),
        Probe("note", lambda n: review(note=text(n))),
        Probe("note", conclude_note),
    ],
    "reviewer length": [Probe("reviewers[0]", lambda n: review(reviewers=(text(n),)))],
    "hypothesis length": [
        Probe("hypothesis", lambda n: nothing_before(start(hypothesis=text(n)))),
        Probe("hypothesis", lambda n: amending(hypothesis=text(n))),
    ],
    "pilot site length": [
        Probe("pilotSite", lambda n: nothing_before(start(pilot_site=text(n)))),
        Probe("pilotSite", lambda n: amending(pilot_site=text(n))),
    ],
    "metric name length": [
        Probe("metrics[0].name", lambda n: nothing_before(start(metrics=(metric(name=text(n)),)))),
        Probe(
            "metric.name",
            lambda n: after([started()])(
                AddMetric(experiment_id=EXPERIMENT, metric=metric(name=text(n)))
            ),
        ),
    ],
    "metric unit length": [
        Probe("metrics[0].unit", lambda n: nothing_before(start(metrics=(metric(unit=text(n)),)))),
        Probe("metric.unit", lambda n: added(metric(unit=text(n)))),
    ],
    "themes count": [
        Probe("themes", lambda n: nothing_before(submit(themes=names("t", n)))),
        Probe("themes", lambda n: on_scouted(ReviseIdea(idea_id=IDEA, themes=names("t", n)))),
    ],
    "reviewers count": [Probe("reviewers", lambda n: review(reviewers=names("reviewer ", n)))],
    "metrics count": [
        Probe(
            "metrics",
            lambda n: nothing_before(
                start(metrics=tuple(metric(name=name) for name in names("metric ", n)))
            ),
        ),
        Probe("metric", holding, adds_one=True),
    ],
    "reach": [Probe("reach", lambda n: scored(reach=n), signed=True)],
    "confidence": [
        Probe("confidence", lambda v: scored(confidence=v), continuous=True, signed=True)
    ],
    "effort": [
        # no reach: the smallest efforts would otherwise give an infinite RICE score
        Probe("effort", lambda v: scored(effort=v, reach=0), continuous=True, signed=True)
    ],
    "strategic fit": [Probe("strategicFit", lambda n: scored(strategic_fit=n), signed=True)],
    "metric value": [
        Probe("metrics[0].baseline", lambda v: started_with(baseline_at(v)), True, True),
        Probe("metrics[0].target", lambda v: started_with(target_at(v)), True, True),
        Probe("metric.baseline", lambda v: added(baseline_at(v)), True, True),
        Probe("metric.target", lambda v: added(target_at(v)), True, True),
        Probe("value", lambda v: after([started()])(measuring(v)), True, True),
        Probe("value", lambda v: on_measured(correcting(v)), True, True),
    ],
}


def just_past(limit: float, probe: Probe, upwards: bool) -> float:
    if probe.continuous:
        return math.nextafter(limit, math.inf if upwards else -math.inf)
    return limit + 1 if upwards else limit - 1


def lower_limits(bound: Bound, probe: Probe) -> list[tuple[float, bool]]:
    """The values at and past the least, each with whether it is accepted."""
    if not bound.least_included:
        return [(bound.least, False), (just_past(bound.least, probe, upwards=True), True)]
    if bound.least > 0 or probe.signed:
        return [(bound.least, True), (just_past(bound.least, probe, upwards=False), False)]
    return [(bound.least, True)]


def cases(accepted: bool) -> list[Any]:
    """(bound, probe, value) for every value on the accepted or refused side of every bound."""
    found = []
    for name, bound in BOUNDS.items():
        for index, probe in enumerate(PROBES[name]):
            limits: list[tuple[float, bool]] = [
                (bound.most, True),
                (just_past(bound.most, probe, upwards=True), False),
            ]
            if not probe.adds_one:
                limits.extend(lower_limits(bound, probe))
            found.extend(
                pytest.param(probe, value, id=f"{name} #{index} = {value:g}")
                for value, ok in limits
                if ok is accepted
            )
    return found


def run(history: list[Event], command: Any) -> list[Event]:
    decider = DECIDERS[type(command)]
    return decider.decide(command, decider.fold(history))


def built(probe: Probe, value: float) -> tuple[list[Event], Any]:
    """The probe's history and command with ``value`` in it; integers for lengths and counts."""
    return probe.build(value if probe.continuous else int(value))


def test_every_bound_is_probed_through_a_command() -> None:
    assert PROBES.keys() == BOUNDS.keys()


def test_the_bounds_are_the_documented_ones() -> None:
    assert {
        "title length": Bound(3, 200),
        "summary length": Bound(1, 5_000),
        "organisation length": Bound(1, 200),
        "url length": Bound(0, 2_000),
        "theme length": Bound(1, 50),
        "scout length": Bound(1, 200),
        "advance reason length": Bound(0, 2_000),
        "reject reason length": Bound(3, 2_000),
        "correction reason length": Bound(3, 2_000),
        "reopen reason length": Bound(3, 2_000),
        "amend reason length": Bound(3, 2_000),
        "override reason length": Bound(20, 2_000),
        "note length": Bound(0, 5_000),
        "reviewer length": Bound(1, 200),
        "hypothesis length": Bound(10, 2_000),
        "pilot site length": Bound(1, 200),
        "metric name length": Bound(1, 100),
        "metric unit length": Bound(1, 50),
        "themes count": Bound(1, 5),
        "reviewers count": Bound(1, 20),
        "metrics count": Bound(1, 10),
        "reach": Bound(0, 10**10),
        "confidence": Bound(0, 1),
        "effort": Bound(0.1, 1_000),
        "strategic fit": Bound(0, 5),
        "metric value": Bound(-(10**12), 10**12),
    } == BOUNDS


@pytest.mark.parametrize(("probe", "value"), cases(accepted=True))
def test_a_value_exactly_at_a_limit_is_accepted(probe: Probe, value: float) -> None:
    run(*built(probe, value))


@pytest.mark.parametrize(("probe", "value"), cases(accepted=False))
def test_a_value_just_past_a_limit_is_refused_naming_the_field(probe: Probe, value: float) -> None:
    history, command = built(probe, value)

    given(history).when(command).then(InvalidInputError, field=probe.field)


def test_a_fractional_effort_below_one_person_month_is_accepted() -> None:
    assert run(*scored(effort=0.5))


@pytest.mark.parametrize("direction", list(Direction))
def test_a_target_equal_to_its_baseline_is_refused(direction: Direction) -> None:
    given().when(start(metrics=(metric(baseline=7.0, target=7.0, direction=direction),))).then(
        InvalidInputError, field="metrics[0].target"
    )


@pytest.mark.parametrize(
    ("direction", "towards"),
    [(Direction.LOWER_IS_BETTER, -math.inf), (Direction.HIGHER_IS_BETTER, math.inf)],
)
def test_a_target_the_smallest_step_better_than_its_baseline_is_accepted(
    direction: Direction, towards: float
) -> None:
    target = math.nextafter(7.0, towards)

    assert run([], start(metrics=(metric(baseline=7.0, target=target, direction=direction),)))


@pytest.mark.parametrize("bound", BOUNDS.values(), ids=BOUNDS.keys())
def test_a_bound_admits_its_limits_and_nothing_past_them(bound: Bound) -> None:
    assert bound.admits(bound.most)
    assert not bound.admits(math.nextafter(bound.most, math.inf))
    assert bound.admits(bound.least) is bound.least_included
    assert not bound.admits(math.nextafter(bound.least, -math.inf))
    assert not bound.admits(math.nan)


def test_a_bound_that_leaves_out_its_least_refuses_it_and_admits_just_above_it() -> None:
    bound = Bound(0, 1, least_included=False)

    assert not bound.admits(0)
    assert bound.admits(math.nextafter(0, math.inf))
    assert bound.admits(1)
