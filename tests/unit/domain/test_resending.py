"""A command resent unchanged, as a client retrying after a lost answer does, gives no events:
decided once it produces its events, decided again on the state they lead to it produces none.

Two commands are not repeatable. Recording an ethics verdict: a verdict answers a pending
request, and a second verdict needs a second request (see the ethics tests). Reopening a rejected
idea: the idea is back in screening, where nothing is left to reopen, and a second reopening needs
a second rejection (see the tests of undoing and upkeep).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from innovation.domain import (
    AbsorbDuplicate,
    AddMetric,
    AdvanceIdea,
    AmendExperiment,
    ApplyConclusion,
    BeginExperiment,
    ConcludeExperiment,
    CorrectMeasurement,
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
    HANDLING,
    IDEA,
    OTHER_IDEA,
    RELEASE,
    experimenting,
    measured,
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

AMENDED: dict[str, Any] = {
    "hypothesis": "Advisers solve more calls at once with the procedure on screen.",
    "pilot_site": "Brussels contact centre",
    "starts_on": date(2026, 3, 2),
    "ends_on": date(2026, 7, 31),
}
AMENDMENTS: dict[str, dict[str, Any]] = {
    **{field: {field: value} for field, value in AMENDED.items()},
    "everything": AMENDED,
}

CONCLUSIONS: dict[str, tuple[Outcome, Decision]] = {
    "scale": (Outcome.VALIDATED, Decision.SCALE),
    "iterate": (Outcome.INCONCLUSIVE, Decision.ITERATE),
    "stop": (Outcome.INVALIDATED, Decision.STOP),
}


def amend(**changes: Any) -> AmendExperiment:
    reason = "The Luxembourg centre closes for works."
    return AmendExperiment(experiment_id=EXPERIMENT, reason=reason, **changes)


def correct(**changes: Any) -> CorrectMeasurement:
    reason = "The probe double-counted one router."
    fields: dict[str, Any] = {"measurement": 2, "value": 310.0, "reason": reason, "now": NOON}
    return CorrectMeasurement(experiment_id=EXPERIMENT, **(fields | changes))


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
    "correct a measurement's value": ([started(), measured(ALARMS, 350.0, day=10)], correct()),
    "correct a measurement's value and date": (
        [started(), measured(ALARMS, 350.0, day=10)],
        correct(measured_at=datetime(2026, 4, 11, 9, 0, tzinfo=UTC)),
    ),
    **{f"amend {name}": ([started()], amend(**changes)) for name, changes in AMENDMENTS.items()},
    "add a metric": ([started()], AddMetric(experiment_id=EXPERIMENT, metric=HANDLING)),
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


@pytest.mark.parametrize("field", AMENDMENTS["everything"])
def test_amending_a_pilot_field_to_the_value_it_has_gives_no_events(field: str) -> None:
    """After an amendment, resending any one of its fields alone changes nothing."""
    amending = amend(**AMENDMENTS["everything"])
    amendment = DECIDERS[AmendExperiment].decide(
        amending, DECIDERS[AmendExperiment].fold([started()])
    )

    given(started(), amendment).when(amend(**{field: AMENDMENTS["everything"][field]})).then([])
