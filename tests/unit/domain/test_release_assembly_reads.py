"""Assembly from two narrow reads (the folded types, then the shown experiments' streams)
gives the bundle the whole log gives, and every event type is read or declared irrelevant."""

from __future__ import annotations

import gc
from datetime import date, datetime
from itertools import groupby

import msgspec
import pytest

from innovation.domain import EVENT_TYPES
from innovation.domain import experiments as exp
from innovation.domain import ideas as idea
from innovation.domain.assembly import EXPERIMENT_EVENTS, FOLDED, IGNORED, MEASURED, Assembler
from innovation.domain.deliveries import DeliveryFailed, DigestQueued, DigestSent
from innovation.domain.periods import Period
from innovation.domain.releases import Assembly
from innovation.domain.values import (
    Decision,
    Direction,
    MetricDefinition,
    Outcome,
    Score,
    Stage,
    ValidationRoute,
)
from tests.unit.domain.release_history import H1, Log, assembled, day


def narrowly(log: Log, period: Period = H1) -> Assembly:
    """What the release service does: a pass over ``FOLDED`` events, then every event of the
    experiments the bundle shows, stream by stream."""
    assembler = Assembler(period, log.position)
    for recorded in log.records:
        if type(recorded.event) in FOLDED:
            assembler.take(recorded.position, recorded.occurred_at, recorded.event)
    refold_shown(assembler, log)
    return assembler.result()


def refold_shown(assembler: Assembler, log: Log) -> None:
    """Refold, stream by stream, the experiments the bundle shows and ``refold`` has not."""
    shown = {
        f"experiment-{experiment_id}"
        for experiment_id in assembler.measured_experiments()
        if not assembler.refolded(experiment_id)
    }
    streams = sorted(
        (r for r in log.records if r.stream_id in shown), key=lambda r: (r.stream_id, r.version)
    )
    for stream, records in groupby(streams, key=lambda r: r.stream_id):
        assembler.refold(
            stream.removeprefix("experiment-"),
            ((r.position, r.occurred_at, r.event) for r in records),
        )


def in_two_steps(log: Log, split: int, period: Period = H1) -> tuple[Assembly, Assembly]:
    """What a preview kept between questions does (``releases/service.py``): the narrow reads
    up to ``split``; then, the cut-off moved to the log's end, the events after ``split`` (the
    readings of the experiments refolded already among them) and the newly shown refolded."""
    assembler = Assembler(period, split)
    for recorded in log.records[:split]:
        if type(recorded.event) in FOLDED:
            assembler.take(recorded.position, recorded.occurred_at, recorded.event)
    refold_shown(assembler, log)
    first = assembler.result()
    assembler.advance(log.position)
    for recorded in log.records[split:]:
        kind = type(recorded.event)
        if kind in FOLDED or (
            kind in MEASURED and assembler.refolded(recorded.event.experiment_id)
        ):
            assembler.take(recorded.position, recorded.occurred_at, recorded.event)
    refold_shown(assembler, log)
    return first, assembler.result()


def corrected_and_amended(log: Log) -> None:
    """Ideas validated through experiments that were amended, given a metric, measured,
    corrected and measured again after the period: every event an experiment has."""
    log.submit("a", day(1, 10))
    log.screen("a", day(1, 11))
    log.validate_by_experiment("a", day(2, 1), day(3, 1), observed=310.0)
    log.add(
        "experiment-exp-a",
        day(3, 2),
        exp.MeasurementCorrected(
            experiment_id="exp-a",
            measurement=2,
            metric="daily alarms",
            value=280.0,
            measured_at=day(3, 1),
            reason="counted twice",
        ),
    )
    log.add(
        "experiment-exp-a",
        day(7, 2),  # after the period: not in its bundle
        exp.MeasurementRecorded(
            experiment_id="exp-a", metric="daily alarms", value=900.0, measured_at=day(7, 2)
        ),
    )
    log.submit("b", day(1, 12))
    log.screen("b", day(1, 13))
    log.add(
        "idea-b",
        day(2, 3),
        idea.ExperimentAttached(idea_id="b", experiment_id="exp-b"),
        idea.IdeaAdvanced(idea_id="b", from_stage=Stage.SCREENING, to_stage=Stage.EXPERIMENTING),
    )
    log.add(
        "experiment-exp-b",
        day(2, 3),
        exp.ExperimentStarted(
            experiment_id="exp-b",
            idea_id="b",
            hypothesis="Fewer truck rolls.",
            pilot_site="Orange Slovakia",
            starts_on=date(2026, 2, 3),
            ends_on=date(2026, 4, 3),
            metrics=(),
        ),
        exp.MetricAdded(
            experiment_id="exp-b",
            metric=MetricDefinition(
                name="truck rolls",
                unit="rolls",
                baseline=100.0,
                target=80.0,
                direction=Direction.LOWER_IS_BETTER,
            ),
        ),
        exp.ExperimentAmended(
            experiment_id="exp-b",
            hypothesis="Fewer truck rolls in the east.",
            pilot_site="Orange Slovakia, Košice",
            starts_on=date(2026, 2, 3),
            ends_on=date(2026, 5, 3),
            reason="moved east",
        ),
        exp.MeasurementRecorded(
            experiment_id="exp-b", metric="truck rolls", value=70.0, measured_at=day(3, 3)
        ),
    )
    log.add(
        "experiment-exp-b",
        day(4, 1),
        exp.ExperimentConcluded(
            experiment_id="exp-b",
            idea_id="b",
            outcome=Outcome.VALIDATED,
            decision=Decision.SCALE,
            note=None,
            results=(),
        ),
    )
    log.add(
        "idea-b",
        day(4, 1),
        idea.IdeaValidated(idea_id="b", experiment_id="exp-b", via=ValidationRoute.EXPERIMENT),
    )
    log.submit("c", day(2, 1))  # piloted, not validated: its readings are never shown
    log.screen("c", day(2, 2))
    log.validate_by_experiment("c", day(2, 3), day(6, 1), observed=800.0)
    log.override("c", day(6, 2))


def test_every_event_type_of_the_domain_is_folded_measured_or_declared_irrelevant() -> None:
    declared = [*FOLDED, *MEASURED, *IGNORED]

    assert len(declared) == len(set(declared)), "a type is declared twice"
    assert set(declared) == set(EVENT_TYPES)


def test_two_narrow_reads_give_the_bundle_of_the_whole_log() -> None:
    log = Log()
    corrected_and_amended(log)

    narrow, whole = narrowly(log), assembled(log)

    assert narrow == whole
    assert [item.idea_id for item in whole.bundle.items] == ["a", "b", "c"]
    assert [m.observed for m in whole.bundle.items[0].metrics] == [280.0]
    assert whole.bundle.items[1].pilot_site == "Orange Slovakia, Košice"
    assert {type(r.event) for r in log.records} >= set(EXPERIMENT_EVENTS)


def test_every_folded_type_in_the_history_is_needed_for_its_bundle() -> None:
    """Leaving any type the history holds out of the narrow read changes the bundle, so the
    history above checks what ``FOLDED`` declares rather than agreeing by chance."""
    log = Log()
    corrected_and_amended(log)
    whole = assembled(log)
    held = {type(r.event) for r in log.records} & set(FOLDED)

    for kind in held - {exp.MeasurementRecorded}:
        without = Log()
        without.records = [r for r in log.records if type(r.event) is not kind]
        assert assembled(without) != whole, kind.__name__


def test_events_declared_irrelevant_leave_the_bundle_as_it_was() -> None:
    log = Log()
    corrected_and_amended(log)
    before = assembled(log)
    for event in (
        DigestQueued(delivery_id="1-ab", period="2026-H1", recipient="ceo@example.org"),
        DigestSent(delivery_id="1-ab", attempt=1),
        DeliveryFailed(delivery_id="1-ab", attempt=1, error="refused", retry_at=None),
    ):
        log.add("delivery-1-ab", day(5, 1), event)

    after = assembled(log).bundle

    assert {type(r.event) for r in log.records} >= set(IGNORED)
    assert after.cutoff > before.bundle.cutoff
    assert msgspec.structs.replace(after, cutoff=before.bundle.cutoff) == before.bundle


def test_an_experiment_whose_events_all_come_after_the_period_stays_unseen_when_refolded() -> None:
    log = Log()
    log.submit("d", day(1, 10))
    log.screen("d", day(1, 11))
    log.validate_by_experiment("d", day(7, 1), day(7, 20), observed=250.0)
    validated = log.records[-1]
    log.records[-1] = msgspec.structs.replace(validated, occurred_at=day(3, 1))

    narrow, whole = narrowly(log), assembled(log)

    assert narrow == whole
    [item] = whole.bundle.items
    assert (item.experiment_id, item.metrics) == (None, ())


def _validated_then_measured_at(when: datetime) -> Log:
    """An idea validated by its experiment (a reading of 310), then one more reading of 280
    happening at ``when``, the last event of the log: the cut-off's own position."""
    log = Log()
    log.submit("e", day(1, 10))
    log.screen("e", day(1, 11))
    log.validate_by_experiment("e", day(2, 1), day(3, 1), observed=310.0)
    log.add(
        "experiment-exp-e",
        when,
        exp.MeasurementRecorded(
            experiment_id="exp-e", metric="daily alarms", value=280.0, measured_at=when
        ),
    )
    return log


def test_a_reading_at_the_cutoff_itself_is_refolded_into_the_bundle() -> None:
    log = _validated_then_measured_at(day(4, 1))

    narrow, whole = narrowly(log), assembled(log)

    assert whole.bundle.cutoff == log.position
    assert [m.observed for m in whole.bundle.items[0].metrics] == [280.0]
    assert narrow == whole


def test_a_reading_at_the_very_end_of_the_period_is_left_out_when_refolded() -> None:
    log = _validated_then_measured_at(H1.end)

    narrow, whole = narrowly(log), assembled(log)

    assert [m.observed for m in whole.bundle.items[0].metrics] == [310.0]
    assert narrow == whole


def test_a_preview_kept_and_taken_on_from_any_position_is_the_whole_logs_assembly() -> None:
    """Split anywhere, readings of a shown pilot after the split among the cases (exp-a's
    correction): both steps give what assembling the log up to them gives."""
    log = Log()
    corrected_and_amended(log)
    shown_then_corrected = [
        split
        for split in range(log.position + 1)
        if any(item.idea_id == "a" for item in assembled(log, cutoff=split).bundle.items)
        and any(type(r.event) is exp.MeasurementCorrected for r in log.records[split:])
    ]

    for split in range(log.position + 1):
        first, then = in_two_steps(log, split)
        assert first == assembled(log, cutoff=split), split
        assert then == assembled(log), split
    assert shown_then_corrected


def test_a_cutoff_moves_on_never_back_and_a_refolded_experiment_is_known() -> None:
    assembler = Assembler(H1, 5)
    assembler.advance(5)
    assembler.advance(8)
    assembler.refold("exp-a", [])

    with pytest.raises(ValueError, match="cut-off 7 is before 8"):
        assembler.advance(7)
    assert assembler.cutoff == 8
    assert assembler.refolded("exp-a")
    assert not assembler.refolded("exp-b")


def test_what_holds_an_idea_back_is_worked_out_once_for_each_state_of_the_idea() -> None:
    """A kept preview gives its result again after each handful of events: an idea nothing
    happened to keeps the very reason it had, one that moved on gets its new one."""
    log = Log()
    for idea_id in ("waiting", "moving"):
        log.submit(idea_id, day(1, 10))
        log.screen(idea_id, day(1, 11))
    assembler = Assembler(H1, log.position)
    for recorded in log.records:
        assembler.take(recorded.position, recorded.occurred_at, recorded.event)
    before = {blocked.idea_id: blocked for blocked in assembler.result().blocked}
    folded = log.position
    log.override("moving", day(2, 1))
    assembler.advance(log.position)
    for recorded in log.records[folded:]:
        assembler.take(recorded.position, recorded.occurred_at, recorded.event)
    after = {blocked.idea_id: blocked for blocked in assembler.result().blocked}

    assert set(before) == {"waiting", "moving"}
    assert after["waiting"] is before["waiting"]
    assert "moving" not in after


def test_what_a_kept_preview_holds_stays_out_of_the_cyclic_collector() -> None:
    """A preview kept between questions holds every idea's state, and a full collection walks
    every object the collector tracks: at 100,000 ideas it took 310 ms with them, 22 without,
    a stall for every request in flight. Values built from values never refer back to
    themselves, so the domain keeps them out (``gc=False``)."""
    log = Log()
    corrected_and_amended(log)
    log.submit("waiting", day(2, 10))
    log.screen("waiting", day(2, 11))
    log.submit("stopped", day(2, 12))
    log.add("idea-stopped", day(2, 13), idea.IdeaRejected(idea_id="stopped", reason="no buyer"))
    assembler = Assembler(H1, log.position)
    for recorded in log.records:
        assembler.take(recorded.position, recorded.occurred_at, recorded.event)
    refold_shown(assembler, log)
    assembly = assembler.result()
    states = [idea.evolve(idea.initial_state(), log.records[0].event)]
    piloted = exp.initial_state()
    for recorded in log.records:
        if recorded.stream_id == "experiment-exp-a":
            piloted = exp.evolve(piloted, recorded.event)
    states.append(piloted)
    item = assembly.bundle.items[0]

    held = [
        *states,
        states[0].provenance,
        states[1].metrics[0],
        states[1].readings[0],
        Score(reach=1000, impact=2, confidence=0.8, effort=3, strategic_fit=4),
        item,
        item.metrics[0],
        assembly.bundle.stopped[0],
        *assembly.blocked,
    ]
    assert assembly.blocked
    assert assembly.bundle.stopped
    assert item.metrics
    assert [type(value).__name__ for value in held if gc.is_tracked(value)] == []
