"""An assembler kept between questions, asked for its result again after each few events (what
``nextRelease`` does after writes), answers what assembling the whole log afresh answers:
whichever ideas the events moved, wherever they now stand in the order of those held back,
whether the assembler works out only the ideas the events reached or every idea again."""

from __future__ import annotations

from datetime import UTC, datetime
from unittest import mock

import pytest
from hypothesis import example, given, settings
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


A, B = "a", "b"
H1_DAY, H2_DAY, LATER_H2_DAY = DAYS[0], DAYS[1], DAYS[3]
ASK = (("nothing",), True)


def submitted(name: str, when: datetime, uses_ai: bool = False) -> tuple[object, ...]:
    return ("submit", name, when, uses_ai, (), "FR", SourceKind.STARTUP)


@pytest.mark.parametrize("reworked_beyond", [0, 1_000])
@example(  # a shipping idea revised: its item is made again
    program=[((submitted(A, H2_DAY)), False), (("override", A, H2_DAY), True), ASK]
    + [(("revise", A, H2_DAY), True)]
)
@example(  # the readings of a shown pilot corrected: its item is made again
    program=[(submitted(A, H2_DAY), False), (("screen", A, H2_DAY), False)]
    + [(("pilot", A, H2_DAY), True), (("correct", A, LATER_H2_DAY), True)]
)
@example(  # an earlier period's release ships a candidate
    program=[(submitted(A, H1_DAY), False), (("override", A, H1_DAY), True)]
    + [(("publish-h1", H2_DAY), True)]
)
@example(  # ideas stopped one after another, asked in between
    program=[(submitted(A, H2_DAY), True), (("reject", A, H2_DAY), True)]
    + [(submitted(B, H2_DAY), False), (("reject", B, LATER_H2_DAY), True)]
)
@example(  # an idea held back submitted again, later: it moves to its new place
    program=[(submitted(A, H1_DAY), False), (("screen", A, H1_DAY), False)]
    + [(submitted(B, H2_DAY), False), (("screen", B, H2_DAY), True)]
    + [(submitted(A, LATER_H2_DAY), False), (("screen", A, LATER_H2_DAY), True)]
)
@example(  # the ethics gate holds a validated idea, lets it through, holds it again
    program=[(submitted(A, H2_DAY, uses_ai=True), False), (("override", A, H2_DAY), True)]
    + [(("approve", A, H2_DAY), True), (("revise", A, LATER_H2_DAY), True)]
)
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


def test_an_item_is_made_again_only_when_its_idea_or_its_experiment_changed() -> None:
    """A kept preview gives its result again after each handful of events: a shipping idea
    nothing happened to keeps the very item it had, one whose pilot's readings changed gets a
    new one."""
    log = Log()
    for name in ("still", "measured"):
        log.submit(name, day(7, 3))
        log.screen(name, day(7, 4))
        log.validate_by_experiment(name, day(7, 5), day(8, 5), observed=300.0)
    assembler = Assembler(H2, log.position)
    for recorded in log.records:
        assembler.take(recorded.position, recorded.occurred_at, recorded.event)
    before = {item.idea_id: item for item in assembler.result().bundle.items}
    folded = log.position
    log.add(
        "experiment-exp-measured",
        day(8, 6),
        exp.MeasurementRecorded(
            experiment_id="exp-measured", metric="daily alarms", value=200.0, measured_at=day(8, 6)
        ),
    )
    assembler.advance(log.position)
    for recorded in log.records[folded:]:
        assembler.take(recorded.position, recorded.occurred_at, recorded.event)
    after = {item.idea_id: item for item in assembler.result().bundle.items}

    assert after["still"] is before["still"]
    assert [m.observed for m in before["measured"].metrics] == [300.0]
    assert [m.observed for m in after["measured"].metrics] == [200.0]
