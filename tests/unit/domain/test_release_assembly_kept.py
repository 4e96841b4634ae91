"""An assembler kept between questions, asked for its result again after each few events (what
``nextRelease`` does after writes), answers what assembling the whole log afresh answers:
whichever ideas the events moved, wherever they now stand in the order of those held back,
whether the assembler works out only the ideas the events reached or every idea again."""

from __future__ import annotations

from datetime import UTC, datetime
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from innovation.domain import assembly, releases
from innovation.domain import experiments as exp
from innovation.domain import ideas as idea
from innovation.domain.assembly import Assembler
from innovation.domain.values import SourceKind, Stage, Verdict
from tests.unit.domain.release_history import H1, H2, Log, assembled, day

IDEAS = ("a", "b", "c")
DAYS = (day(3, 9), day(7, 2), day(7, 2), day(9, 14), day(2, 1, 2027))
"""Some in H1, most in H2 (the period assembled), one after it; two at the same instant, so
ideas scouted together must keep the log's order."""

steps = st.one_of(
    st.tuples(
        st.just("submit"),
        st.sampled_from(IDEAS),
        st.sampled_from(DAYS),
        st.booleans(),
        st.sampled_from(((), ("ai",), ("5g", "ai"))),
        st.sampled_from(("FR", "BE", "SN")),
        st.sampled_from(SourceKind),
    ),
    st.tuples(
        st.sampled_from(
            (
                "screen",
                "override",
                "pilot",
                "correct",
                "request-ethics",
                "approve",
                "refuse",
                "revise",
                "reject",
                "reopen",
                "merge",
            )
        ),
        st.sampled_from(IDEAS),
        st.sampled_from(DAYS),
    ),
    st.tuples(st.just("publish-h1"), st.sampled_from(DAYS)),
)


def play(log: Log, step: tuple[object, ...], piloted: set[str]) -> None:
    """One thing happening to the pipeline, written into the log as its events."""
    match step:
        case (
            "submit",
            str(name),
            datetime() as when,
            bool(uses_ai),
            tuple(themes),
            str(country),
            kind,
        ):
            log.submit(name, when, kind=kind, country=country, themes=themes, uses_ai=uses_ai)
        case ("screen", str(name), datetime() as when):
            log.screen(name, when)
        case ("override", str(name), datetime() as when):
            log.override(name, when)
        case ("pilot", str(name), datetime() as when) if name not in piloted:
            piloted.add(name)
            log.validate_by_experiment(name, when, when, observed=320.0)
        case ("correct", str(name), datetime() as when) if name in piloted:
            log.add(
                f"experiment-exp-{name}",
                when,
                exp.MeasurementCorrected(
                    experiment_id=f"exp-{name}",
                    measurement=2,
                    metric="daily alarms",
                    value=250.0,
                    measured_at=when,
                    reason="counted twice",
                ),
            )
        case ("request-ethics", str(name), datetime() as when):
            log.add(f"idea-{name}", when, idea.EthicsReviewRequested(idea_id=name))
        case ("approve" | "refuse" as verdict, str(name), datetime() as when):
            log.add(
                f"idea-{name}",
                when,
                idea.EthicsReviewRecorded(
                    idea_id=name,
                    verdict=Verdict.APPROVED if verdict == "approve" else Verdict.REJECTED,
                    reviewers=("ethics:lea",),
                ),
            )
        case ("revise", str(name), datetime() as when):
            log.add(
                f"idea-{name}", when, idea.IdeaRevised(idea_id=name, title="Again", material=True)
            )
        case ("reject", str(name), datetime() as when):
            log.add(f"idea-{name}", when, idea.IdeaRejected(idea_id=name, reason="no buyer"))
        case ("reopen", str(name), datetime() as when):
            log.add(f"idea-{name}", when, idea.IdeaReopened(idea_id=name, reason="a buyer"))
        case ("merge", str(name), datetime() as when):
            log.add(f"idea-{name}", when, idea.IdeaMerged(idea_id=name, into_idea_id="a"))
        case ("publish-h1", datetime() as when):
            bundle = assembled(log, H1).bundle
            log.add("release-2026-H1", when, releases.ReleasePublished(bundle=bundle))


@pytest.mark.parametrize("reworked_beyond", [0, 1_000])
@settings(max_examples=300)
@given(program=st.lists(st.tuples(steps, st.booleans()), min_size=20, max_size=60))
def test_a_kept_assembler_asked_again_after_more_events_answers_as_assembling_afresh(
    reworked_beyond: int, program: list[tuple[tuple[object, ...], bool]]
) -> None:
    """Each step is followed by a question or not; ``reworked_beyond`` 0 works every idea out
    again at every result, 1,000 only those the events reached, each moved into its place."""
    log, piloted = Log(), set[str]()
    assembler, taken, asked = Assembler(H2, 0), 0, 0
    with mock.patch.object(assembly, "REWORKED_BEYOND", reworked_beyond):
        for step, ask in [*program, (("nothing",), True)]:
            play(log, step, piloted)
            if not ask:
                continue
            assembler.advance(log.position)
            for recorded in log.records[taken:]:
                assembler.take(recorded.position, recorded.occurred_at, recorded.event)
            taken, asked = log.position, asked + 1
            assert assembler.result() == assembled(log, H2), asked


def test_ideas_scouted_at_the_same_instant_stay_held_back_in_the_log_s_order() -> None:
    """Moved into place one at a time, two ideas scouted together keep the order of their
    submissions, as a sort of every idea leaves them."""
    log = Log()
    together = datetime(2026, 8, 3, 9, 0, tzinfo=UTC)
    for name in ("first", "second", "third"):
        log.submit(name, together)
    assembler = Assembler(H2, log.position)
    for recorded in log.records:
        assembler.take(recorded.position, recorded.occurred_at, recorded.event)
    assert assembler.result().blocked == ()
    for name in ("third", "first", "second"):
        log.screen(name, day(8, 4))
    assembler.advance(log.position)
    for recorded in log.records[3:]:
        assembler.take(recorded.position, recorded.occurred_at, recorded.event)

    held = assembler.result().blocked

    assert [blocked.idea_id for blocked in held] == ["first", "second", "third"]
    assert {blocked.stage for blocked in held} == {Stage.SCREENING}
    assert held == assembled(log, H2).blocked
