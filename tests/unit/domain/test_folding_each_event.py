"""Each event folded onto a state changes exactly the fields it sets: the whole state after it is
compared with the state before, one version on, with those fields changed. A field left
unapplied, wiped, or set when it should not be, fails."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, get_args

import pytest
from msgspec.structs import replace

from innovation.domain import (
    Decision,
    DuplicateAbsorbed,
    EthicsReviewRecorded,
    EthicsReviewRequested,
    Event,
    Experiment,
    ExperimentAmended,
    ExperimentAttached,
    ExperimentConcluded,
    ExperimentEvent,
    ExperimentStarted,
    Idea,
    IdeaEvent,
    IdeaMerged,
    IdeaRejected,
    IdeaReleased,
    IdeaReopened,
    IdeaReturnedToScreening,
    IdeaRevised,
    IdeaScored,
    IdeaSubmitted,
    IdeaValidated,
    MetricAdded,
    Outcome,
    Reading,
    Stage,
    ValidationRoute,
    Verdict,
    experiments,
    ideas,
)
from tests.unit.domain.examples import (
    EXPERIMENT,
    HANDLING,
    IDEA,
    OTHER_EXPERIMENT,
    OTHER_IDEA,
    RELEASE,
    advanced,
    experimenting,
    measured,
    on_target,
    provenance,
    rejected,
    score,
    scouted,
    screening,
    started,
    submitted,
    validated,
)
from tests.unit.domain.test_measurement_dates_and_corrections import corrected

ALARMS = "network alarms per day"
SATISFACTION = "customer satisfaction"
Fold = tuple[list[Event], Event, dict[str, Any]]
"""Past events, the event folded onto them, and the fields it is expected to change."""


def reading(number: int, metric: str, value: float, day: int) -> Reading:
    return Reading(
        number=number,
        metric=metric,
        value=value,
        measured_at=datetime(2026, 4, day, 12, 0, tzinfo=UTC),
    )


def concluded(note: str | None) -> ExperimentConcluded:
    return ExperimentConcluded(
        experiment_id=EXPERIMENT,
        idea_id=IDEA,
        outcome=Outcome.VALIDATED,
        decision=Decision.SCALE,
        note=note,
        results=experiments.results(experiments.fold(on_target())),
    )


AMENDED_PILOT: dict[str, Any] = {
    "hypothesis": "Advisers solve more calls at once with the procedure on screen.",
    "pilot_site": "Brussels contact centre",
    "starts_on": date(2026, 3, 2),
    "ends_on": date(2026, 7, 31),
}
SCORED = [*scouted(), IdeaScored(idea_id=IDEA, score=score(), rice=score().rice)]
MATERIAL_REVISIONS: dict[str, dict[str, Any]] = {
    "title": {"title": "Real-time call assistant"},
    "summary": {"summary": "Suggest the procedure while the customer talks."},
    "uses_ai": {"uses_ai": True},
    "uses_personal_data": {"uses_personal_data": True},
    "title and flags": {"title": "Call assistant", "uses_ai": True, "uses_personal_data": True},
}
OTHER_REVISIONS: dict[str, dict[str, Any]] = {
    "provenance": {"provenance": provenance(organisation="Orange Belgium", country="BE", url=None)},
    "themes": {"themes": ("cybersecurity",)},
    "provenance and themes": {
        "provenance": provenance(external=False),
        "themes": ("networks-cloud", "generative-ai"),
    },
}
ITERATED = [*experimenting(), IdeaReturnedToScreening(idea_id=IDEA, experiment_id=EXPERIMENT)]
REVIEWING = [
    *scouted(uses_ai=True),
    IdeaRevised(idea_id=IDEA, title="Call assistant", material=True),
    EthicsReviewRequested(idea_id=IDEA),
]

IDEA_FOLDS: dict[str, Fold] = {
    **{
        f"material revision of {name}": (
            SCORED,
            IdeaRevised(idea_id=IDEA, material=True, **changes),
            {"last_material_version": 3, **changes},
        )
        for name, changes in MATERIAL_REVISIONS.items()
    },
    **{
        f"revision of {name}, not material": (
            screening(),
            IdeaRevised(idea_id=IDEA, material=False, **changes),
            changes,
        )
        for name, changes in OTHER_REVISIONS.items()
    },
    "new score": (
        SCORED,
        IdeaScored(idea_id=IDEA, score=score(confidence=1.0), rice=9_000.0),
        {"score": score(confidence=1.0)},
    ),
    "advance": (scouted(), advanced(Stage.SCOUTED, Stage.SCREENING), {"stage": Stage.SCREENING}),
    "rejection": (
        screening(),
        IdeaRejected(idea_id=IDEA, reason="Too costly to run."),
        {"stage": Stage.REJECTED, "rejection_reason": "Too costly to run."},
    ),
    "rejection by an experiment": (
        experimenting(),
        IdeaRejected(idea_id=IDEA, reason="Too few calls.", experiment_id=EXPERIMENT),
        {"stage": Stage.REJECTED, "rejection_reason": "Too few calls.", "running_experiment": None},
    ),
    "reopening": (
        rejected(),
        IdeaReopened(idea_id=IDEA, reason="The partner cut its price by half."),
        {"stage": Stage.SCREENING, "rejection_reason": None},
    ),
    "merge": (
        scouted(),
        IdeaMerged(idea_id=IDEA, into_idea_id=OTHER_IDEA),
        {"stage": Stage.MERGED, "merged_into": OTHER_IDEA},
    ),
    "second absorbed duplicate": (
        [*screening(), DuplicateAbsorbed(idea_id=IDEA, duplicate_id=OTHER_IDEA)],
        DuplicateAbsorbed(idea_id=IDEA, duplicate_id="idea-third"),
        {"absorbed": (OTHER_IDEA, "idea-third")},
    ),
    "second attached experiment": (
        ITERATED,
        ExperimentAttached(idea_id=IDEA, experiment_id=OTHER_EXPERIMENT),
        {"running_experiment": OTHER_EXPERIMENT, "experiments": (EXPERIMENT, OTHER_EXPERIMENT)},
    ),
    **{
        f"validation via {via}": (
            experimenting(),
            IdeaValidated(idea_id=IDEA, experiment_id=EXPERIMENT, via=via),
            {"stage": Stage.VALIDATED, "validated_via": via, "running_experiment": None},
        )
        for via in ValidationRoute
    },
    "return to screening": (
        experimenting(),
        IdeaReturnedToScreening(idea_id=IDEA, experiment_id=EXPERIMENT, reason="Again."),
        {"stage": Stage.SCREENING, "running_experiment": None},
    ),
    "release": (
        validated(),
        IdeaReleased(idea_id=IDEA, release_id=RELEASE),
        {"stage": Stage.RELEASED, "release_id": RELEASE},
    ),
    "ethics request": (
        scouted(uses_ai=True),
        EthicsReviewRequested(idea_id=IDEA),
        {"ethics_requested": True},
    ),
    **{
        f"ethics verdict {verdict}": (
            REVIEWING,
            EthicsReviewRecorded(idea_id=IDEA, verdict=verdict, reviewers=("Ines",), note="Ok."),
            {"ethics_requested": False, "ethics_verdict": verdict, "ethics_verdict_version": 4},
        )
        for verdict in Verdict
    },
}

EXPERIMENT_FOLDS: dict[str, Fold] = {
    "first measurement": (
        [started()],
        measured(ALARMS, 500.0, day=10),
        {"readings": (reading(2, ALARMS, 500.0, day=10),)},
    ),
    "first measurement of a second metric": (
        [started(), measured(ALARMS, 500.0, day=10)],
        measured(SATISFACTION, 7.5, day=12),
        {"readings": (reading(2, ALARMS, 500.0, day=10), reading(3, SATISFACTION, 7.5, day=12))},
    ),
    "measurement older than the others": (
        [started(), measured(SATISFACTION, 7.5, day=12), measured(ALARMS, 500.0, day=10)],
        measured(ALARMS, 700.0, day=5),
        {
            "readings": (
                reading(2, SATISFACTION, 7.5, day=12),
                reading(3, ALARMS, 500.0, day=10),
                reading(4, ALARMS, 700.0, day=5),
            )
        },
    ),
    "correction of a measurement": (
        [started(), measured(ALARMS, 500.0, day=10), measured(SATISFACTION, 7.5, day=12)],
        corrected(2, 450.0, day=11),
        {"readings": (reading(2, ALARMS, 450.0, day=11), reading(3, SATISFACTION, 7.5, day=12))},
    ),
    "correction of the second measurement of a metric": (
        [started(), measured(ALARMS, 500.0, day=10), measured(ALARMS, 480.0, day=11)],
        corrected(3, 470.0, day=11),
        {"readings": (reading(2, ALARMS, 500.0, day=10), reading(3, ALARMS, 470.0, day=11))},
    ),
    "amendment": (
        [started(), measured(ALARMS, 500.0, day=10)],
        ExperimentAmended(experiment_id=EXPERIMENT, reason="Works.", **AMENDED_PILOT),
        AMENDED_PILOT,
    ),
    "added metric": (
        [started()],
        MetricAdded(experiment_id=EXPERIMENT, metric=HANDLING),
        {"metrics": (*started().metrics, HANDLING)},
    ),
    **{
        f"conclusion {'with' if note else 'without'} a note": (
            on_target(),
            concluded(note),
            {
                "concluded": True,
                "outcome": Outcome.VALIDATED,
                "decision": Decision.SCALE,
                "note": note,
            },
        )
        for note in ["Alarms down 70 %.", None]
    },
}


@pytest.mark.parametrize(("history", "event", "changes"), IDEA_FOLDS.values(), ids=IDEA_FOLDS)
def test_an_idea_event_changes_exactly_the_fields_it_sets(
    history: list[Event], event: Event, changes: dict[str, Any]
) -> None:
    before = ideas.fold(history)

    assert ideas.evolve(before, event) == replace(before, version=before.version + 1, **changes)


@pytest.mark.parametrize(
    ("history", "event", "changes"), EXPERIMENT_FOLDS.values(), ids=EXPERIMENT_FOLDS
)
def test_an_experiment_event_changes_exactly_the_fields_it_sets(
    history: list[Event], event: Event, changes: dict[str, Any]
) -> None:
    before = experiments.fold(history)

    assert experiments.evolve(before, event) == replace(
        before, version=before.version + 1, **changes
    )


def test_a_submission_sets_every_field_of_the_idea() -> None:
    event = submitted(uses_ai=True, uses_personal_data=True)

    assert ideas.fold([event]) == Idea(
        id=IDEA,
        exists=True,
        stage=Stage.SCOUTED,
        title=event.title,
        summary=event.summary,
        provenance=event.provenance,
        themes=event.themes,
        uses_ai=True,
        uses_personal_data=True,
        scout="scout-ana",
        version=1,
        last_material_version=1,
    )


def test_a_start_sets_every_field_of_the_experiment() -> None:
    event = started()

    assert experiments.fold([event]) == Experiment(
        id=EXPERIMENT,
        exists=True,
        idea_id=IDEA,
        hypothesis=event.hypothesis,
        pilot_site=event.pilot_site,
        starts_on=event.starts_on,
        ends_on=event.ends_on,
        metrics=event.metrics,
        version=1,
    )


def test_an_event_of_another_aggregate_leaves_the_idea_as_it_is() -> None:
    before = ideas.fold(experimenting())

    assert ideas.evolve(before, started()) is before


def test_an_event_of_another_aggregate_leaves_the_experiment_as_it_is() -> None:
    before = experiments.fold([started()])

    assert experiments.evolve(before, submitted()) is before


def test_an_experiment_folded_from_a_snapshot_is_the_one_folded_from_scratch() -> None:
    history = [started(), measured(ALARMS, 500.0, day=10), measured(SATISFACTION, 7.5, day=12)]
    halfway = experiments.fold(history[:2])

    assert experiments.fold(history[2:], halfway) == experiments.fold(history)


@pytest.mark.parametrize(
    ("union", "folds", "by_their_own_test"),
    [
        (IdeaEvent, IDEA_FOLDS, IdeaSubmitted),
        (ExperimentEvent, EXPERIMENT_FOLDS, ExperimentStarted),
    ],
    ids=["idea", "experiment"],
)
def test_every_event_type_is_folded_by_a_case_of_its_own(
    union: Any, folds: dict[str, Fold], by_their_own_test: type
) -> None:
    """A new event type needs its fold case, or the state it leaves goes unchecked."""
    folded = {type(event) for _, event, _ in folds.values()} | {by_their_own_test}

    assert folded == set(get_args(union))


COUNTED = frozenset({"exists", "stage", "provenance", "themes"})
"""What the pipeline's figures count of an idea (``timetravel.summarise``)."""


def test_the_pipelines_replay_reads_exactly_the_idea_events_that_change_what_it_counts() -> None:
    """``pipeline(asOf:)`` replays only ``SUMMARY_EVENTS``: an event left out must change
    nothing counted, and one read must change something (the submission makes the idea)."""
    from innovation.projections.timetravel import SUMMARY_EVENTS

    moving = {type(event) for _, event, changes in IDEA_FOLDS.values() if COUNTED & changes.keys()}
    assert set(SUMMARY_EVENTS) == moving | {IdeaSubmitted}
