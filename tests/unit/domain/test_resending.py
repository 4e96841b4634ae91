"""A command resent unchanged, as a client retrying after a lost answer does, gives no events:
decided once it produces its events, decided again on the state they lead to it produces none.

Recording an ethics verdict is the one command that is not repeatable: a verdict answers a
pending request, and a second verdict needs a second request (see the ethics tests).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from innovation.domain import (
    AbsorbDuplicate,
    AdvanceIdea,
    ApplyConclusion,
    BeginExperiment,
    ConcludeExperiment,
    Decision,
    Event,
    ExperimentConcluded,
    MarkReleased,
    MergeIdea,
    Outcome,
    OverrideValidation,
    RecordMeasurement,
    RejectIdea,
    RequestEthicsReview,
    ReviseIdea,
    ScoreIdea,
    Stage,
    experiments,
)
from tests.unit.domain.examples import (
    EXPERIMENT,
    IDEA,
    OTHER_IDEA,
    RELEASE,
    experimenting,
    on_target,
    provenance,
    score,
    scouted,
    screening,
    start,
    started,
    submit,
    validated,
)
from tests.unit.domain.scenario import DECIDERS, given

NOTE = "Alarms down 70 %, satisfaction up."
NOON = datetime(2026, 4, 15, 12, 0, tzinfo=UTC)
ALARMS = "network alarms per day"

REVISIONS: dict[str, dict[str, Any]] = {
    "title": {"title": "Real-time call assistant"},
    "summary": {"summary": "Suggest the procedure while the customer talks."},
    "provenance": {"provenance": provenance(organisation="Orange Belgium", country="BE")},
    "themes": {"themes": ("cybersecurity",)},
    "uses_ai": {"uses_ai": True},
    "uses_personal_data": {"uses_personal_data": True},
    "everything": {
        "title": "Real-time call assistant",
        "summary": "Suggest the procedure while the customer talks.",
        "provenance": provenance(url=None),
        "themes": ("networks-cloud",),
        "uses_ai": True,
        "uses_personal_data": True,
    },
}

CONCLUSIONS: dict[str, tuple[Outcome, Decision]] = {
    "scale": (Outcome.VALIDATED, Decision.SCALE),
    "iterate": (Outcome.INCONCLUSIVE, Decision.ITERATE),
    "stop": (Outcome.INVALIDATED, Decision.STOP),
}


def apply(decision: str, note: str | None = NOTE) -> ApplyConclusion:
    outcome, chosen = CONCLUSIONS[decision]
    return ApplyConclusion(
        idea_id=IDEA,
        experiment_id=EXPERIMENT,
        outcome=outcome,
        decision=chosen,
        targets_met=True,
        note=note,
    )


def conclude(decision: str, note: str | None = NOTE) -> ConcludeExperiment:
    outcome, chosen = CONCLUSIONS[decision]
    return ConcludeExperiment(experiment_id=EXPERIMENT, outcome=outcome, decision=chosen, note=note)


RESENDS: dict[str, tuple[list[Event], Any]] = {
    "submit": ([], submit()),
    **{
        f"revise {name}": (scouted(), ReviseIdea(idea_id=IDEA, **changes))
        for name, changes in REVISIONS.items()
    },
    "score": (scouted(), ScoreIdea(idea_id=IDEA, score=score())),
    "advance into screening": (scouted(), AdvanceIdea(idea_id=IDEA, to_stage=Stage.SCREENING)),
    "advance into experimenting": (
        screening(),
        AdvanceIdea(idea_id=IDEA, to_stage=Stage.EXPERIMENTING, reason="Pilot ready."),
    ),
    "reject": (screening(), RejectIdea(idea_id=IDEA, reason="Too costly to run.")),
    "merge": (scouted(), MergeIdea(idea_id=IDEA, into_idea_id=OTHER_IDEA)),
    "absorb": (screening(), AbsorbDuplicate(idea_id=IDEA, duplicate_id=OTHER_IDEA)),
    "begin experiment": (screening(), BeginExperiment(idea_id=IDEA, experiment_id=EXPERIMENT)),
    **{f"apply {name} with a note": (experimenting(), apply(name)) for name in CONCLUSIONS},
    **{
        f"apply {name} without a note": (experimenting(), apply(name, note=None))
        for name in CONCLUSIONS
    },
    "override": (
        screening(),
        OverrideValidation(idea_id=IDEA, reason="The board asked for it after the pilot."),
    ),
    "mark released": (validated(), MarkReleased(idea_id=IDEA, release_id=RELEASE)),
    "request ethics review": (scouted(uses_ai=True), RequestEthicsReview(idea_id=IDEA)),
    "start experiment": ([], start()),
    "record measurement": (
        [started()],
        RecordMeasurement(
            experiment_id=EXPERIMENT, metric=ALARMS, value=350.0, measured_at=NOON, now=NOON
        ),
    ),
    **{f"conclude {name} with a note": (on_target(), conclude(name)) for name in CONCLUSIONS},
    **{
        f"conclude {name} without a note": (on_target(), conclude(name, note=None))
        for name in CONCLUSIONS
    },
}


@pytest.mark.parametrize(("history", "command"), RESENDS.values(), ids=RESENDS.keys())
def test_a_command_resent_unchanged_gives_no_events(history: list[Event], command: Any) -> None:
    decider = DECIDERS[type(command)]
    first = decider.decide(command, decider.fold(history))
    assert first, "the first time, the command changes something"

    given(history, first).when(command).then([])


@pytest.mark.parametrize("field", REVISIONS["everything"])
def test_revising_a_field_to_the_value_it_has_gives_no_events(field: str) -> None:
    """After a revision, resending any one of its fields alone changes nothing."""
    revised = ReviseIdea(idea_id=IDEA, **REVISIONS["everything"])
    revision = DECIDERS[ReviseIdea].decide(revised, DECIDERS[ReviseIdea].fold(scouted()))

    given(scouted(), revision).when(
        ReviseIdea(idea_id=IDEA, **{field: REVISIONS["everything"][field]})
    ).then([])


@pytest.mark.parametrize(
    "field", ["title", "summary", "provenance", "themes", "uses_ai", "uses_personal_data"]
)
def test_resending_a_field_as_submitted_gives_no_events(field: str) -> None:
    as_submitted = submit(uses_ai=True, uses_personal_data=True)

    given(scouted(uses_ai=True, uses_personal_data=True)).when(
        ReviseIdea(idea_id=IDEA, **{field: getattr(as_submitted, field)})
    ).then([])


@pytest.mark.parametrize("flag", ["uses_ai", "uses_personal_data"])
def test_resending_a_flag_left_off_gives_no_events(flag: str) -> None:
    given(scouted()).when(ReviseIdea(idea_id=IDEA, **{flag: False})).then([])


@pytest.mark.parametrize("name", CONCLUSIONS)
def test_a_conclusion_resent_with_its_note_untrimmed_gives_no_events(name: str) -> None:
    outcome, decision = CONCLUSIONS[name]
    done = ExperimentConcluded(
        experiment_id=EXPERIMENT,
        idea_id=IDEA,
        outcome=outcome,
        decision=decision,
        note=NOTE,
        results=experiments.results(experiments.fold(on_target())),
    )

    given(on_target(), done).when(conclude(name, note=f"  {NOTE}\n")).then([])
