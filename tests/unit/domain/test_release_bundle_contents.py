"""A release bundle holds every field of what shipped, stopped and waits, in a stated order."""

from __future__ import annotations

from datetime import timedelta

from msgspec.structs import replace

from innovation.domain import deliveries
from innovation.domain import ideas as idea
from innovation.domain.releases import Blocked, ReleaseItem, StoppedIdea
from innovation.domain.values import SourceKind, Stage, ValidationRoute
from tests.unit.domain.release_history import H1, Log, assembled, day


def test_an_item_validated_by_override_carries_the_idea_as_it_stood_and_the_reason() -> None:
    log = Log()
    log.submit("kiosk", day(1, 10), kind=SourceKind.PARTNER, country="SN", external=False)
    log.screen("kiosk", day(1, 11))
    log.override("kiosk", day(2, 1))

    [item] = assembled(log).bundle.items

    assert item == ReleaseItem(
        idea_id="kiosk",
        title="Idea kiosk",
        summary="A summary.",
        source_kind=SourceKind.PARTNER,
        organisation="Org",
        country="SN",
        external=False,
        themes=("customer-experience",),
        scouted_at=day(1, 10),
        validated_at=day(2, 1),
        validated_via=ValidationRoute.OVERRIDE,
        validation_reason="Proven at a sister affiliate for two years already.",
    )


def test_items_ship_in_the_order_they_were_validated_not_by_name() -> None:
    log = Log()
    for name in ("a", "b"):
        log.submit(name, day(1, 10))
        log.screen(name, day(1, 11))
    log.override("b", day(3, 1))
    log.override("a", day(4, 1))

    assert [item.idea_id for item in assembled(log).bundle.items] == ["b", "a"]


def test_a_stopped_idea_keeps_its_title_and_the_experiment_that_stopped_it() -> None:
    log = Log()
    log.submit("speaker", day(1, 10))
    log.add(
        "idea-speaker",
        day(2, 14),
        idea.IdeaRejected(idea_id="speaker", reason="Nobody used it.", experiment_id="exp-1"),
    )

    assert assembled(log).bundle.stopped == (
        StoppedIdea(
            idea_id="speaker",
            title="Idea speaker",
            reason="Nobody used it.",
            stopped_at=day(2, 14),
            experiment_id="exp-1",
        ),
    )


def test_ideas_stopped_at_the_same_instant_are_listed_by_id() -> None:
    log = Log()
    for name in ("zeta", "alpha"):
        log.submit(name, day(1, 10))
        log.add(f"idea-{name}", day(2, 14), idea.IdeaRejected(idea_id=name, reason="No."))

    assert [s.idea_id for s in assembled(log).bundle.stopped] == ["alpha", "zeta"]


def test_a_blocked_idea_names_its_title_and_stage_and_they_are_listed_as_scouted() -> None:
    log = Log()
    for name in ("zeta", "alpha"):
        log.submit(name, day(1, 10 if name == "zeta" else 12))
        log.screen(name, day(1, 13))

    assert assembled(log).blocked == (
        Blocked(idea_id="zeta", title="Idea zeta", stage=Stage.SCREENING, reason="NOT_VALIDATED"),
        Blocked(idea_id="alpha", title="Idea alpha", stage=Stage.SCREENING, reason="NOT_VALIDATED"),
    )


def test_an_ai_idea_not_yet_validated_is_not_blocked_by_the_ethics_gate() -> None:
    log = Log()
    log.submit("bot", day(1, 10), uses_ai=True)

    assert assembled(log).blocked == ()


def test_an_event_exactly_at_the_period_start_counts_and_one_at_its_end_does_not() -> None:
    log = Log()
    log.submit("first", H1.start)
    log.submit("next", H1.end)

    figures = assembled(log).bundle.figures

    assert (figures.scouted, figures.reached["SCOUTED"]) == (1, 1)


def test_an_idea_that_changes_no_stage_during_the_period_reaches_none() -> None:
    log = Log()
    log.submit("old", day(12, 1, 2025))
    log.screen("old", day(12, 2, 2025))
    log.add(
        "idea-old", day(2, 1), idea.IdeaRevised(idea_id="old", title="Old, revised", material=False)
    )

    assert assembled(log).bundle.figures.reached["SCREENING"] == 0


def test_events_of_other_streams_leave_the_bundle_as_it_was() -> None:
    log = Log()
    log.submit("alarms", day(1, 10))
    before = assembled(log)
    queued = deliveries.DigestQueued(delivery_id="1", period="2025-H2", recipient="ceo@example.org")
    log.add("delivery-2025-H2-1", day(1, 11), queued)

    after = assembled(log)

    assert after.bundle == replace(before.bundle, cutoff=log.position)
    assert after.blocked == before.blocked


def test_themes_are_counted_largest_first_and_ties_by_name() -> None:
    log = Log()
    log.submit("a", day(1, 10), themes=("zeta", "beta"))
    log.submit("b", day(1, 11), themes=("zeta", "alpha"))

    by_theme = assembled(log).bundle.figures.by_theme

    assert list(by_theme.items()) == [("zeta", 2), ("alpha", 1), ("beta", 1)]


def test_lead_times_are_rounded_to_a_tenth_of_a_day() -> None:
    log = Log()
    log.submit("quick", day(1, 10))
    log.screen("quick", day(1, 10) + timedelta(hours=1))
    log.override("quick", day(1, 11) + timedelta(hours=4))  # 1 day and 4 hours: 1.1666…

    assert assembled(log).bundle.figures.median_days_to_validation == 1.2
