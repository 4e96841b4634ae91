"""Random command sequences over ideas and experiments, run as the services will run them: what
``decide`` accepts is appended, what it refuses leaves the streams untouched. After every step,
folding each stream from scratch (or from a JSON snapshot) gives the state built step by step,
the events survive JSON, and the pipeline's invariants hold."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, Union, get_args

import msgspec
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from innovation.domain import (
    EVENT_TYPES,
    AbsorbDuplicate,
    AdvanceIdea,
    ApplyConclusion,
    BeginExperiment,
    ConcludeExperiment,
    Decision,
    Direction,
    DomainError,
    ErrorCode,
    Event,
    MarkReleased,
    MergeIdea,
    MetricDefinition,
    Outcome,
    OverrideValidation,
    Provenance,
    RecordEthicsReview,
    RecordMeasurement,
    RejectIdea,
    RequestEthicsReview,
    ReviseIdea,
    Score,
    ScoreIdea,
    SourceKind,
    Stage,
    StartExperiment,
    SubmitIdea,
    ValidationRoute,
    Verdict,
    experiments,
    ideas,
)
from innovation.projections.timetravel import SUMMARY_EVENTS
from tests.unit.domain.scenario import DECIDERS

IDEA_IDS = ("idea-a", "idea-b", "idea-c", "idea-d")
EXPERIMENT_IDS = ("exp-1", "exp-2", "exp-3", "exp-4", "exp-5")
METRIC_NAMES = ("alarms", "satisfaction", "handling time")
ANY_EVENT = Union[EVENT_TYPES]  # noqa: UP007  (a union of a tuple of classes)
DAY_ONE = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
FIRST_PILOT_DAY = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
"""Measurements are dated from the day every pilot of these tests starts."""


def mostly(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Valid values 19 times in 20, so sequences get deep; the rest tries the refusals."""
    return st.integers(min_value=0, max_value=19).flatmap(lambda n: bad if n == 0 else good)


titles = mostly(
    st.sampled_from(["Call assistant", "Self-healing radio network", "  Fraud shield "]),
    st.sampled_from(["no", "x" * 201]),
)
summaries = mostly(
    st.sampled_from(["Push the right sheet.", "Predict faults before they hit."]), st.just(" ")
)
reasons = mostly(
    st.sampled_from(["Too costly.", "Duplicates an existing product.", "Validated by the board."]),
    st.sampled_from(["", "x" * 19]),
)
notes = st.none() | st.sampled_from(["", "Alarms down 70 %.", "Too few calls."])
themes = mostly(
    st.lists(
        st.sampled_from(["customer-experience", "generative-ai", "cybersecurity"]),
        min_size=1,
        max_size=3,
        unique=True,
    ).map(tuple),
    st.sampled_from([(), ("Bad Theme",), ("ai", "ai")]),
)
provenances = st.builds(
    Provenance,
    source_kind=st.sampled_from(SourceKind),
    organisation=mostly(st.sampled_from(["Orange Luxembourg", "A startup"]), st.just("")),
    country=mostly(st.sampled_from(["LU", "fr", "SN"]), st.just("XX")),
    external=st.booleans(),
    url=mostly(st.none() | st.just("https://example.org/x"), st.just("ftp://nope")),
)
scores = st.builds(
    Score,
    reach=mostly(st.integers(min_value=0, max_value=100_000), st.just(-1)),
    impact=mostly(st.sampled_from([0.25, 0.5, 1.0, 2.0, 3.0]), st.just(1.5)),
    confidence=mostly(st.floats(min_value=0, max_value=1), st.just(1.1)),
    effort=mostly(st.floats(min_value=0.5, max_value=50), st.just(0.0)),
    strategic_fit=mostly(st.integers(min_value=0, max_value=5), st.just(6)),
)
values = mostly(st.floats(min_value=-200, max_value=200), st.just(float("nan")))


@st.composite
def metric_definitions(draw: st.DrawFn) -> tuple[MetricDefinition, ...]:
    names = draw(
        mostly(
            st.lists(st.sampled_from(METRIC_NAMES), min_size=1, max_size=3, unique=True),
            st.sampled_from([[], ["alarms", "alarms"]]),
        )
    )
    definitions = []
    for name in names:
        direction = draw(st.sampled_from(Direction))
        baseline = draw(st.floats(min_value=-100, max_value=100))
        step = draw(mostly(st.floats(min_value=1, max_value=50), st.just(0.0)))
        sign = 1 if direction is Direction.HIGHER_IS_BETTER else -1
        definitions.append(
            MetricDefinition(
                name=name,
                unit="units",
                baseline=baseline,
                target=baseline + sign * step,
                direction=direction,
            )
        )
    return tuple(definitions)


class Pipeline(RuleBasedStateMachine):
    """Ideas and experiments driven through their deciders, compared with a replay of the log."""

    def __init__(self) -> None:
        super().__init__()
        self.streams: dict[str, list[Event]] = {}
        self.states: dict[str, Any] = {}

    def idea(self, idea_id: str) -> ideas.Idea:
        return self.states.get(idea_id, ideas.initial_state())

    def experiment(self, experiment_id: str) -> experiments.Experiment:
        return self.states.get(experiment_id, experiments.initial_state())

    def _decide(self, stream_id: str, command: Any) -> list[Event] | DomainError:
        decider = DECIDERS[type(command)]
        try:
            return decider.decide(command, self.states.get(stream_id, decider.initial_state()))
        except DomainError as error:
            return error

    def run(self, *steps: tuple[str, Any]) -> bool:
        """Decide every step, then append all their events or, if one is refused, none."""
        decisions = [self._decide(stream_id, command) for stream_id, command in steps]
        refusals = [each for each in decisions if isinstance(each, DomainError)]
        assert all(refusal.code in set(ErrorCode) for refusal in refusals)
        if refusals:
            return False
        for (stream_id, command), events in zip(steps, decisions, strict=True):
            assert isinstance(events, list)
            decider = DECIDERS[type(command)]
            state = self.states.get(stream_id, decider.initial_state())
            for event in events:
                state = decider.evolve(state, event)
            self.states[stream_id] = state
            self.streams.setdefault(stream_id, []).extend(events)
        return True

    def pick(self, data: st.DataObject, ids: tuple[str, ...], fits: Any) -> str:
        """Mostly an id whose state ``fits``, so commands land where they can apply."""
        fitting = [each for each in ids if each in self.states and fits(self.states[each])]
        return data.draw(mostly(st.sampled_from(fitting or ids), st.sampled_from(ids)))

    # Ideas

    @initialize(
        titles=st.lists(titles, min_size=len(IDEA_IDS), max_size=len(IDEA_IDS)),
        uses_ai=st.lists(st.booleans(), min_size=len(IDEA_IDS), max_size=len(IDEA_IDS)),
    )
    def scouts_submit_ideas(self, titles: list[str], uses_ai: list[bool]) -> None:
        for idea_id, title, ai in zip(IDEA_IDS, titles, uses_ai, strict=True):
            self.run(
                (
                    idea_id,
                    SubmitIdea(
                        idea_id=idea_id,
                        title=title,
                        summary="Found at a partner.",
                        provenance=Provenance(
                            source_kind=SourceKind.PARTNER,
                            organisation="Orange Luxembourg",
                            country="LU",
                            external=True,
                        ),
                        themes=("customer-experience",),
                        uses_ai=ai,
                        uses_personal_data=False,
                        scout="scout-1",
                    ),
                )
            )

    @rule(
        idea_id=st.sampled_from(IDEA_IDS),
        title=titles,
        summary=summaries,
        provenance=provenances,
        themes=themes,
        uses_ai=st.booleans(),
        uses_personal_data=st.booleans(),
    )
    def submit(self, idea_id: str, **content: Any) -> None:
        self.run((idea_id, SubmitIdea(idea_id=idea_id, scout="scout-1", **content)))

    @rule(
        idea_id=st.sampled_from(IDEA_IDS),
        title=st.none() | titles,
        summary=st.none() | summaries,
        provenance=st.none() | provenances,
        themes=st.none() | themes,
        uses_ai=st.none() | st.booleans(),
        uses_personal_data=st.none() | st.booleans(),
    )
    def revise(self, idea_id: str, **changes: Any) -> None:
        self.run((idea_id, ReviseIdea(idea_id=idea_id, **changes)))

    @rule(idea_id=st.sampled_from(IDEA_IDS), score=scores)
    def score(self, idea_id: str, score: Score) -> None:
        self.run((idea_id, ScoreIdea(idea_id=idea_id, score=score)))

    @rule(data=st.data(), to_stage=mostly(st.just(Stage.SCREENING), st.sampled_from(Stage)))
    def advance(self, data: st.DataObject, to_stage: Stage) -> None:
        idea_id = self.pick(data, IDEA_IDS, lambda idea: idea.stage is Stage.SCOUTED)
        self.run((idea_id, AdvanceIdea(idea_id=idea_id, to_stage=to_stage)))

    @rule(
        idea_id=st.sampled_from(IDEA_IDS),
        reason=st.sampled_from(["Too costly.", "", "no", "x" * 2_001]),
    )
    def reject(self, idea_id: str, reason: str) -> None:
        """Refused three times in four for its reason, so ideas live long enough to go far."""
        self.run((idea_id, RejectIdea(idea_id=idea_id, reason=reason)))

    @rule(idea_id=st.sampled_from(IDEA_IDS), into=st.sampled_from(IDEA_IDS))
    def merge(self, idea_id: str, into: str) -> None:
        self.run(
            (idea_id, MergeIdea(idea_id=idea_id, into_idea_id=into)),
            (into, AbsorbDuplicate(idea_id=into, duplicate_id=idea_id)),
        )

    @rule(data=st.data(), reason=reasons)
    def override(self, data: st.DataObject, reason: str) -> None:
        idea_id = self.pick(data, IDEA_IDS, lambda idea: idea.stage is Stage.SCREENING)
        self.run((idea_id, OverrideValidation(idea_id=idea_id, reason=reason)))

    @rule(data=st.data(), release=st.sampled_from(["2026-H1", "2026-H2"]))
    def release(self, data: st.DataObject, release: str) -> None:
        idea_id = self.pick(data, IDEA_IDS, lambda idea: idea.stage is Stage.VALIDATED)
        self.run((idea_id, MarkReleased(idea_id=idea_id, release_id=release)))

    @rule(idea_id=st.sampled_from(IDEA_IDS))
    def request_ethics_review(self, idea_id: str) -> None:
        self.run((idea_id, RequestEthicsReview(idea_id=idea_id)))

    @rule(
        data=st.data(),
        verdict=st.sampled_from(Verdict),
        reviewers=mostly(st.just(("Ines", "Karl")), st.sampled_from([(), (" ",)])),
    )
    def record_ethics_review(
        self, data: st.DataObject, verdict: Verdict, reviewers: tuple[str, ...]
    ) -> None:
        idea_id = self.pick(data, IDEA_IDS, lambda idea: idea.ethics_requested)
        self.run(
            (idea_id, RecordEthicsReview(idea_id=idea_id, verdict=verdict, reviewers=reviewers))
        )

    # Experiments, started and concluded together with their idea

    @rule(
        data=st.data(),
        metrics=metric_definitions(),
        days=mostly(st.integers(min_value=0, max_value=120), st.just(-1)),
    )
    def start_experiment(
        self, data: st.DataObject, metrics: tuple[MetricDefinition, ...], days: int
    ) -> None:
        fresh = [each for each in EXPERIMENT_IDS if each not in self.states] or EXPERIMENT_IDS
        experiment_id = data.draw(mostly(st.sampled_from(fresh), st.sampled_from(EXPERIMENT_IDS)))
        idea_id = self.pick(data, IDEA_IDS, lambda idea: idea.stage is Stage.SCREENING)
        starts_on = date(2026, 2, 1)
        self.run(
            (
                experiment_id,
                StartExperiment(
                    experiment_id=experiment_id,
                    idea_id=idea_id,
                    hypothesis="Advisers answer faster with suggestions.",
                    pilot_site="Luxembourg affiliate",
                    starts_on=starts_on,
                    ends_on=starts_on + timedelta(days=days),
                    metrics=metrics,
                ),
            ),
            (idea_id, BeginExperiment(idea_id=idea_id, experiment_id=experiment_id)),
        )

    @rule(
        data=st.data(),
        value=values,
        hours=st.integers(min_value=0, max_value=2_000),
    )
    def measure(self, data: st.DataObject, value: float, hours: int) -> None:
        experiment_id = self.pick(data, EXPERIMENT_IDS, lambda e: not e.concluded)
        defined = [definition.name for definition in self.experiment(experiment_id).metrics]
        metric = data.draw(mostly(st.sampled_from(defined or ["churn"]), st.just("churn")))
        self.run(
            (
                experiment_id,
                RecordMeasurement(
                    experiment_id=experiment_id,
                    metric=metric,
                    value=value,
                    measured_at=FIRST_PILOT_DAY + timedelta(hours=hours),
                    now=FIRST_PILOT_DAY + timedelta(hours=hours),
                ),
            )
        )

    @rule(data=st.data(), hours=st.integers(min_value=0, max_value=2_000))
    def measure_every_metric_on_target(self, data: st.DataObject, hours: int) -> None:
        """A pilot that works: each metric measured right at its target."""
        experiment_id = self.pick(data, EXPERIMENT_IDS, lambda e: not e.concluded)
        for definition in self.experiment(experiment_id).metrics:
            self.run(
                (
                    experiment_id,
                    RecordMeasurement(
                        experiment_id=experiment_id,
                        metric=definition.name,
                        value=definition.target,
                        measured_at=FIRST_PILOT_DAY + timedelta(hours=hours),
                        now=FIRST_PILOT_DAY + timedelta(hours=hours),
                    ),
                )
            )

    @rule(
        data=st.data(),
        outcome=st.sampled_from(Outcome),
        decision=st.sampled_from(Decision),
        note=notes,
    )
    def conclude(
        self, data: st.DataObject, outcome: Outcome, decision: Decision, note: str | None
    ) -> None:
        experiment_id = self.pick(data, EXPERIMENT_IDS, lambda e: not e.concluded)
        before = self.experiment(experiment_id)
        command = ConcludeExperiment(
            experiment_id=experiment_id, outcome=outcome, decision=decision, note=note
        )
        if not self.run((experiment_id, command)):
            return
        concluded = self.experiment(experiment_id)
        if concluded.version == before.version:
            return  # concluded the same way before: nothing new to carry over
        carried = self.run(
            (
                concluded.idea_id,
                ApplyConclusion(
                    idea_id=concluded.idea_id,
                    experiment_id=experiment_id,
                    outcome=outcome,
                    decision=decision,
                    targets_met=experiments.targets_met(concluded),
                    note=note,
                ),
            )
        )
        assert carried, "a conclusion always carries over to the idea that runs the experiment"

    # What must hold after every step

    @invariant()
    def folding_the_log_gives_the_state_built_step_by_step(self) -> None:
        for stream_id, events in self.streams.items():
            module = ideas if stream_id in IDEA_IDS else experiments
            state = module.fold(events)
            assert state == self.states[stream_id]
            assert state.version == len(events)
            half = len(events) // 2
            snapshot = msgspec.json.encode(module.fold(events[:half]))
            restored = msgspec.json.decode(snapshot, type=type(state))
            assert module.fold(events[half:], restored) == state

    @invariant()
    def the_pipelines_figures_need_only_the_events_that_can_move_them(self) -> None:
        """``pipeline(asOf:)`` replays only ``SUMMARY_EVENTS``: what it counts of an idea
        (whether it exists, its stage, provenance and themes) is the same without the rest."""
        for idea_id in IDEA_IDS:
            events = self.streams.get(idea_id, [])
            kept = ideas.fold(event for event in events if isinstance(event, SUMMARY_EVENTS))
            whole = self.idea(idea_id)
            counted = (whole.exists, whole.stage, whole.provenance, whole.themes)
            assert (kept.exists, kept.stage, kept.provenance, kept.themes) == counted

    @invariant()
    def every_event_survives_json(self) -> None:
        for events in self.streams.values():
            encoded = [msgspec.json.encode(event) for event in events]
            assert [msgspec.json.decode(data, type=ANY_EVENT) for data in encoded] == events

    @invariant()
    def events_stay_in_their_own_stream(self) -> None:
        for stream_id, events in self.streams.items():
            kinds = get_args(
                ideas.IdeaEvent if stream_id in IDEA_IDS else experiments.ExperimentEvent
            )
            assert all(isinstance(event, kinds) for event in events)
            ids = {
                getattr(event, "idea_id" if stream_id in IDEA_IDS else "experiment_id")
                for event in events
            }
            assert ids <= {stream_id}

    @invariant()
    def ideas_keep_their_shape(self) -> None:
        for idea_id in IDEA_IDS:
            idea = self.idea(idea_id)
            if idea.running_experiment is not None:
                assert idea.stage is Stage.EXPERIMENTING
                assert idea.running_experiment == idea.experiments[-1]
            assert (idea.stage is Stage.MERGED) == (idea.merged_into is not None)
            assert idea_id not in idea.absorbed
            if idea.stage is Stage.REJECTED:
                assert idea.rejection_reason
            if idea.stage is Stage.RELEASED:
                assert idea.release_id is not None
            assert idea.last_material_version <= idea.version

    @invariant()
    def validation_by_experiment_comes_from_a_scaled_validated_experiment(self) -> None:
        for events in self.streams.values():
            for event in events:
                if (
                    isinstance(event, ideas.IdeaValidated)
                    and event.via is ValidationRoute.EXPERIMENT
                ):
                    assert event.experiment_id is not None
                    experiment = self.experiment(event.experiment_id)
                    assert experiment.outcome is Outcome.VALIDATED
                    assert experiment.decision is Decision.SCALE
                    assert experiments.targets_met(experiment)

    @invariant()
    def a_validated_conclusion_met_every_target(self) -> None:
        for experiment_id in EXPERIMENT_IDS:
            experiment = self.experiment(experiment_id)
            if experiment.outcome is Outcome.VALIDATED:
                assert experiments.targets_met(experiment)


Pipeline.TestCase.settings = settings(stateful_step_count=40)
TestPipelineFoldsAsItDecides = Pipeline.TestCase
