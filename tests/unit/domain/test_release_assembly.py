"""Assembling a period's release is a pure decision over the recorded events up to a cut-off."""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec
import pytest

from innovation.domain import ideas as idea
from innovation.domain import releases
from innovation.domain.assembly import CONVERSION_RULE, assemble
from innovation.domain.values import SourceKind, Stage, ValidationRoute, Verdict
from tests.unit.domain.release_history import H1, H2, Log, assembled, day


def test_a_validated_idea_ships_with_its_metrics_baseline_observed_and_change() -> None:
    log = Log()
    log.submit("alarms", day(1, 10))
    log.screen("alarms", day(1, 20))
    log.validate_by_experiment("alarms", day(2, 1), day(4, 1), observed=290.0)

    bundle = assembled(log).bundle

    assert [item.idea_id for item in bundle.items] == ["alarms"]
    item = bundle.items[0]
    assert (item.experiment_id, item.pilot_site) == ("exp-alarms", "Orange Belgium")
    assert item.validated_via is ValidationRoute.EXPERIMENT
    [metric] = item.metrics
    assert (metric.baseline, metric.observed, metric.met) == (900.0, 290.0, True)
    assert metric.change_pct == pytest.approx(-67.78, abs=0.01)
    assert bundle.cutoff == log.position
    assert (bundle.starts_at, bundle.ends_at) == (H1.start, H1.end)


def test_ideas_not_validated_do_not_ship_and_are_listed_as_blocked() -> None:
    log = Log()
    log.submit("screening", day(1, 10))
    log.screen("screening", day(1, 11))
    log.submit("scouted", day(1, 12))

    result = assembled(log)

    assert result.bundle.items == ()
    assert [(b.idea_id, b.reason) for b in result.blocked] == [("screening", "NOT_VALIDATED")]


def test_an_ai_idea_needs_an_approval_newer_than_its_last_material_revision() -> None:
    log = Log()
    log.submit("bot", day(1, 10), uses_ai=True)
    log.screen("bot", day(1, 11))
    log.add(
        "idea-bot",
        day(2, 1),
        idea.EthicsReviewRequested(idea_id="bot"),
        idea.EthicsReviewRecorded(idea_id="bot", verdict=Verdict.APPROVED, reviewers=("council",)),
    )
    log.override("bot", day(3, 1))
    approved = assembled(log)
    log.add("idea-bot", day(3, 2), idea.IdeaRevised(idea_id="bot", title="Bot v2", material=True))

    stale = assembled(log)

    assert [item.idea_id for item in approved.bundle.items] == ["bot"]
    assert stale.bundle.items == ()
    assert [(b.idea_id, b.reason) for b in stale.blocked] == [("bot", "STALE")]


def test_an_idea_in_an_earlier_release_does_not_ship_again() -> None:
    log = Log()
    log.submit("alarms", day(1, 10))
    log.screen("alarms", day(1, 20))
    log.override("alarms", day(3, 1))
    first = assembled(log).bundle
    log.add("release-2026-H1", day(7, 1), releases.ReleasePublished(bundle=first))
    log.submit("second", day(8, 1))
    log.screen("second", day(8, 2))
    log.override("second", day(9, 1))

    later = assembled(log, H2).bundle

    assert [item.idea_id for item in first.items] == ["alarms"]
    assert [item.idea_id for item in later.items] == ["second"]


def test_an_earlier_release_published_late_still_counts_as_shipped() -> None:
    log = Log()
    log.submit("alarms", day(1, 10))
    log.screen("alarms", day(1, 20))
    log.override("alarms", day(3, 1))
    first = assembled(log).bundle
    log.add("release-2026-H1", day(2, 3, 2027), releases.ReleasePublished(bundle=first))

    later = assembled(log, H2).bundle

    assert later.items == ()


def test_events_after_the_period_closed_or_past_the_cutoff_do_not_count() -> None:
    log = Log()
    log.submit("early", day(1, 10))
    log.screen("early", day(1, 11))
    cutoff = log.position
    log.override("early", day(3, 1))  # past the cut-off position
    log.submit("late", day(7, 2))
    log.screen("late", day(7, 3))
    log.override("late", day(7, 4))  # after the period closed

    result = assembled(log, cutoff=cutoff)
    on_time = assembled(log)

    assert result.bundle.items == ()
    assert [item.idea_id for item in on_time.bundle.items] == ["early"]
    assert on_time.bundle.figures.scouted == 1


def test_stopped_ideas_are_listed_with_their_reasons_when_stopped_during_the_period() -> None:
    log = Log()
    log.submit("speaker", day(11, 10, 2025))
    log.screen("speaker", day(11, 11, 2025))
    log.add(
        "idea-speaker",
        day(2, 14),
        idea.IdeaRejected(idea_id="speaker", reason="Customers did not use the voice assistant."),
    )
    log.submit("old", day(10, 1, 2025))
    log.add("idea-old", day(12, 1, 2025), idea.IdeaRejected(idea_id="old", reason="Before."))

    stopped = assembled(log).bundle.stopped

    assert [(s.idea_id, s.reason, s.stopped_at) for s in stopped] == [
        ("speaker", "Customers did not use the voice assistant.", day(2, 14))
    ]


def test_figures_count_the_period_scouting_sources_themes_countries_and_funnel() -> None:
    log = Log()
    log.submit("a", day(1, 5), kind=SourceKind.STARTUP, country="SN", themes=("generative-ai",))
    log.submit("b", day(1, 6), kind=SourceKind.PARTNER, country="BE")
    log.submit("c", day(1, 7), kind=SourceKind.EMPLOYEE, country="FR", external=False)
    log.submit("before", day(12, 7, 2025))
    for name in ("a", "b", "before"):
        log.screen(name, day(2, 1))
    log.validate_by_experiment("a", day(2, 10), day(5, 10), observed=250.0)
    log.validate_by_experiment("b", day(2, 11), day(5, 11), observed=500.0)  # missed, yet SCALE

    figures = assembled(log).bundle.figures

    assert (figures.scouted, figures.external) == (3, 2)
    assert figures.external_share == pytest.approx(2 / 3)
    assert figures.by_source_kind == {"EMPLOYEE": 1, "PARTNER": 1, "STARTUP": 1}
    assert figures.by_theme == {"customer-experience": 2, "generative-ai": 1}
    assert list(figures.by_country) == ["BE", "FR", "SN"]
    assert (figures.experiments_started, figures.experiments_concluded) == (2, 2)
    assert figures.reached == {
        "SCOUTED": 3,
        "SCREENING": 3,
        "EXPERIMENTING": 2,
        "VALIDATED": 2,
        "RELEASED": 2,
    }
    # every idea that left a stage in the period moved on: c is still being scouted, and
    # "before", scouted last year, was screened in this one
    assert figures.conversion == dict.fromkeys(figures.conversion, 1.0)
    assert figures.median_days_to_validation == pytest.approx(
        ((day(5, 10) - day(1, 5)).days + (day(5, 11) - day(1, 6)).days) / 2
    )
    to_release = [(H1.end - day(1, 5)), (H1.end - day(1, 6))]
    assert figures.median_days_to_release == pytest.approx(
        sum(t.total_seconds() for t in to_release) / 2 / 86400, abs=0.05
    )


def test_figures_count_each_source_kind_theme_and_country_once_for_each_idea_from_it() -> None:
    log = Log()
    log.submit("a", day(1, 5), kind=SourceKind.STARTUP, country="SN", themes=("5g", "ai"))
    log.submit("b", day(1, 6), kind=SourceKind.STARTUP, country="SN", themes=("ai",))
    log.submit("c", day(1, 7), kind=SourceKind.STARTUP, country="BE", themes=("ai",))
    log.submit("d", day(1, 8), kind=SourceKind.PARTNER, country="FR", themes=("5g",))

    figures = assembled(log).bundle.figures

    assert figures.by_source_kind == {"STARTUP": 3, "PARTNER": 1}
    assert figures.by_theme == {"ai": 3, "5g": 2}
    assert figures.by_country == {"SN": 2, "BE": 1, "FR": 1}
    assert (figures.scouted, figures.external) == (4, 4)


def test_conversion_is_the_share_of_the_period_s_decisions_at_a_stage_that_moved_ideas_on() -> None:
    log = Log()
    for name in ("early-override", "early-iterate", "early-ai"):
        log.submit(name, day(11, 1, 2025), uses_ai=name == "early-ai")
        log.screen(name, day(11, 2, 2025))
    log.add(
        "idea-early-iterate",
        day(12, 1, 2025),
        idea.ExperimentAttached(idea_id="early-iterate", experiment_id="exp-early"),
        idea.IdeaAdvanced(
            idea_id="early-iterate", from_stage=Stage.SCREENING, to_stage=Stage.EXPERIMENTING
        ),
    )
    for name in ("tried", "dropped", "out", "twin"):
        log.submit(name, day(1, 5))
    log.screen("tried", day(1, 6))
    log.screen("dropped", day(1, 6))
    log.add("idea-out", day(1, 7), idea.IdeaRejected(idea_id="out", reason="Done elsewhere."))
    log.add("idea-twin", day(1, 7), idea.IdeaMerged(idea_id="twin", into_idea_id="tried"))
    log.add("idea-dropped", day(1, 8), idea.IdeaRejected(idea_id="dropped", reason="Too dear."))
    log.override("early-override", day(1, 9))  # from screening, past the experiment: onwards
    log.validate_by_experiment("tried", day(2, 1), day(4, 1), observed=290.0)
    log.add(
        "idea-early-iterate",
        day(4, 2),
        idea.IdeaReturnedToScreening(idea_id="early-iterate", experiment_id="exp-early"),
    )
    log.override("early-ai", day(4, 3))  # validated, but no ethics approval: held back

    figures = assembled(log).bundle.figures

    assert figures.conversion == {
        # of the 4 scouted ideas decided on: 2 screened, 1 rejected, 1 merged
        "SCOUTED->SCREENING": 2 / 4,
        # of the 4 leaving screening: 1 experiment, 2 overrides; 1 rejected
        "SCREENING->EXPERIMENTING": 3 / 4,
        # of the 2 experiments concluded: 1 validated, 1 sent back to screening
        "EXPERIMENTING->VALIDATED": 1 / 2,
        # of the 3 validated ideas not released: 2 ship, the AI one waits for its ethics review
        "VALIDATED->RELEASED": 2 / 3,
    }
    assert figures.reached["SCREENING"] == 3  # two screened, one back from its experiment


def screened_last_year_tried_this_one() -> Log:
    log = Log()
    for name in ("early-1", "early-2", "early-3"):
        log.submit(name, day(11, 1, 2025))
        log.screen(name, day(12, 1, 2025))
    log.submit("new", day(1, 5))
    log.screen("new", day(1, 6))
    for name in ("early-1", "early-2", "early-3"):
        log.validate_by_experiment(name, day(2, 1), day(4, 1), observed=290.0)
    return log


def test_conversion_counts_decisions_so_it_never_passes_one() -> None:
    # one idea screened in the period; three screened last year start their pilots in it
    figures = assembled(screened_last_year_tried_this_one()).bundle.figures

    assert (figures.reached["SCREENING"], figures.reached["EXPERIMENTING"]) == (1, 3)
    # three experiments for one screening is no 300 %: three ideas left screening, all onwards
    assert figures.conversion["SCREENING->EXPERIMENTING"] == 1.0
    assert figures.conversion["SCOUTED->SCREENING"] == 1.0
    assert all(0 <= rate <= 1 for rate in figures.conversion.values() if rate is not None)


def test_a_bundle_says_which_rule_made_its_conversion() -> None:
    assert assembled(Log()).bundle.figures.conversion_rule == CONVERSION_RULE == 2


def test_a_release_published_by_the_first_rule_is_recomputed_exactly_by_it() -> None:
    log = screened_last_year_tried_this_one()
    published = assemble(H1, log.position, log.records, conversion_rule=1).bundle

    rule = published.figures.conversion_rule
    again = assemble(H1, published.cutoff, log.records, conversion_rule=rule).bundle

    assert rule == 1
    assert published.figures.conversion["SCREENING->EXPERIMENTING"] == 3.0  # 3 entries over 1
    assert published.figures.conversion["EXPERIMENTING->VALIDATED"] == 1.0  # 3 over 3
    assert again == published
    assert assemble(H1, published.cutoff, log.records).bundle != published


def test_the_first_rule_gives_no_conversion_from_a_stage_nobody_entered() -> None:
    conversion = assemble(H1, 0, [], conversion_rule=1).bundle.figures.conversion

    assert conversion == dict.fromkeys(conversion, None)


def test_a_bundle_stored_before_the_rule_was_recorded_reads_as_rule_1() -> None:
    event = releases.ReleasePublished(bundle=assembled(Log()).bundle)
    stored = msgspec.json.decode(msgspec.json.encode(event))
    del stored["bundle"]["figures"]["conversion_rule"]

    old = msgspec.json.decode(msgspec.json.encode(stored), type=releases.ReleasePublished)

    assert old.bundle.figures.conversion_rule == 1


def test_a_stage_whose_ideas_all_went_out_converts_none_of_them() -> None:
    log = Log()
    log.submit("out", day(1, 5))
    log.add("idea-out", day(1, 7), idea.IdeaRejected(idea_id="out", reason="Done elsewhere."))

    conversion = assembled(log).bundle.figures.conversion

    assert conversion["SCOUTED->SCREENING"] == 0.0
    assert conversion["SCREENING->EXPERIMENTING"] is None


def test_a_stage_no_idea_left_in_the_period_has_no_conversion() -> None:
    log = Log()
    log.submit("waiting", day(1, 5))

    conversion = assembled(log).bundle.figures.conversion

    assert conversion == dict.fromkeys(conversion, None)
    assert len(conversion) == 4


def test_an_empty_period_has_no_items_and_no_lead_times() -> None:
    bundle = assembled(Log()).bundle

    assert (bundle.items, bundle.stopped) == ((), ())
    assert bundle.figures.scouted == 0
    assert bundle.figures.external_share is None
    assert bundle.figures.median_days_to_release is None
    assert bundle.figures.conversion["SCOUTED->SCREENING"] is None


def test_assembling_twice_from_the_same_log_gives_the_same_bundle() -> None:
    log = Log()
    log.submit("alarms", day(1, 10))
    log.screen("alarms", day(1, 20))
    log.validate_by_experiment("alarms", day(2, 1), day(4, 1), observed=290.0)

    assert assembled(log) == assembled(log)


# -- the release aggregate ------------------------------------------------------------------------


def publish(bundle, at: datetime) -> releases.PublishRelease:
    return releases.PublishRelease(bundle=bundle, at=at)


def test_a_period_is_published_once_and_publishing_it_again_changes_nothing() -> None:
    bundle = assembled(Log()).bundle
    state = releases.initial_state()

    first = releases.decide(publish(bundle, H1.end), state)
    again = releases.decide(publish(bundle, H1.end + timedelta(days=3)), releases.fold(first))

    assert first == [releases.ReleasePublished(bundle=bundle)]
    assert again == []
    assert releases.fold(first).bundle == bundle


def test_a_period_that_has_not_closed_is_not_published() -> None:
    bundle = assembled(Log()).bundle

    with pytest.raises(releases.PeriodNotOverError) as refused:
        releases.decide(publish(bundle, H1.end - timedelta(seconds=1)), releases.initial_state())

    assert refused.value.field == "period"


def test_a_release_stream_holds_one_period_only() -> None:
    published = releases.fold([releases.ReleasePublished(bundle=assembled(Log()).bundle)])
    other = assembled(Log(), H2).bundle

    with pytest.raises(releases.ReleaseAlreadyPublishedError):
        releases.decide(publish(other, H2.end), published)


def test_unrelated_events_leave_a_release_as_it_was() -> None:
    state = releases.initial_state()

    assert releases.evolve(state, idea.IdeaRejected(idea_id="x", reason="no")) is state


def test_a_second_bundle_for_a_released_stream_is_refused_naming_the_period_released() -> None:
    published = releases.fold([releases.ReleasePublished(bundle=assembled(Log()).bundle)])
    other = assembled(Log(), H2).bundle

    with pytest.raises(releases.ReleaseAlreadyPublishedError) as refused:
        releases.decide(publish(other, H2.end), published)

    assert refused.value.field == "period"
    assert "2026-H1" in refused.value.message


def test_a_period_not_over_is_refused_naming_it_and_when_it_closes() -> None:
    bundle = assembled(Log()).bundle

    with pytest.raises(releases.PeriodNotOverError) as refused:
        releases.decide(publish(bundle, H1.start), releases.initial_state())

    assert "2026-H1" in refused.value.message
    assert H1.end.isoformat() in refused.value.message


def test_a_period_released_within_another_cadence_is_a_conflict_naming_both() -> None:
    refused = releases.PeriodOverlapsReleaseError("2026-Q3", "2026-H2")

    assert refused.code == "CONFLICT"
    assert (refused.field, refused.period, refused.release) == ("period", "2026-Q3", "2026-H2")
    assert refused.message == (
        "period 2026-Q3 was released already, within release 2026-H2: its ideas ship in the "
        "first period after it"
    )
