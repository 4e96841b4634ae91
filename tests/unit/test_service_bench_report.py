"""The service bench reads wrk's figures right, refuses failed runs, and judges by ratios."""

from __future__ import annotations

import json

import pytest

from bench.service.report import (
    Figures,
    InvalidRunError,
    Target,
    data_set_targets,
    floor_line,
    from_json,
    pairs_line,
    pairs_to_json,
    parse_wrk,
    scaling_target,
    submit_scaling,
    table,
    targets,
)


def wrk_output(**changes: object) -> str:
    figures = {
        "requests": 800,
        "seconds": 8.0,
        "p50_ms": 12.5,
        "p90_ms": 40.5,
        "p99_ms": 80.25,
        "max_ms": 120.0,
        "socket_errors": 0,
        "non_2xx": 0,
        "failed": 0,
        "sample": "",
    }
    figures.update(changes)
    return (
        "Running 8s test @ http://127.0.0.1:8000\n  2 threads and 16 connections\n"
        "  Latency Distribution\n     50%   12.50ms\n" + json.dumps(figures) + "\n"
    )


def figures(rate: float, p99: float = 50.0) -> Figures:
    return Figures(requests=int(rate * 10), seconds=10.0, p50_ms=p99 / 2, p99_ms=p99)


def test_the_json_line_of_the_lua_script_becomes_the_figures_of_the_run():
    found = parse_wrk(wrk_output(), "page at 16")

    assert found == Figures(requests=800, seconds=8.0, p50_ms=12.5, p99_ms=80.25, p90_ms=40.5)
    assert found.rate == 100.0


def test_a_saved_run_keeps_its_p90_and_one_saved_before_p90_was_kept_still_loads():
    kept = {"requests": 800, "seconds": 8.0, "p50_ms": 12.5, "p99_ms": 80.25}
    saved = {"backends": {"sqlite": {"results": {"page": {
        "16": {**kept, "p90_ms": 40.5}, "1": kept,
    }}}}}  # fmt: skip

    runs = from_json(json.loads(json.dumps(saved)))["sqlite"]["page"]

    assert runs[16].p90_ms == 40.5
    assert runs[1] == Figures(requests=800, seconds=8.0, p50_ms=12.5, p99_ms=80.25)
    assert runs[1].p90_ms is None


@pytest.mark.parametrize(
    "failure", [{"failed": 1}, {"non_2xx": 3}, {"socket_errors": 2}, {"requests": 0}]
)
def test_a_run_with_any_failed_request_is_refused_rather_than_reported(failure):
    with pytest.raises(InvalidRunError, match="page at 16"):
        parse_wrk(wrk_output(**failure), "page at 16")


def test_output_without_the_figures_line_is_refused():
    with pytest.raises(InvalidRunError, match="no figures"):
        parse_wrk("unable to connect to 127.0.0.1:8000 Connection refused\n", "plain at 1")


def test_a_ratio_target_passes_at_its_threshold_and_misses_below_it():
    assert Target("ratio", 0.40, 0.40).met
    assert not Target("ratio", 0.39, 0.40).met
    assert Target("p99", 100.0, 100.0, upper=True).met
    assert not Target("p99", 100.1, 100.0, upper=True).met
    assert Target("ratio", 0.39, 0.40).line().endswith("MISS")


def test_a_miss_just_short_of_its_target_shows_the_digits_that_make_it_one():
    assert Target("scaling", 2.9951, 3.0).line() == "scaling: 2.995x / >= 3x  MISS"
    assert Target("p99", 100.4, 100.0, upper=True).line() == "p99: 100.4x / <= 100x  MISS"
    assert Target("scaling", 3.0, 3.0).line() == "scaling: 3x / >= 3x  PASS"


def test_targets_are_ratios_of_the_same_runs_figures():
    results = {
        "plain": {16: figures(1000)},
        "typename": {16: figures(500)},
        "strawberry": {16: figures(100)},
        "page": {16: figures(50, p99=150.0)},
        "submitIdea": {1: figures(10), 16: figures(40, p99=150.0)},
        "noop": {16: figures(100)},
    }

    found = {target.label: target for target in targets(results, "postgres")}

    assert found["{ __typename } / plain route at 16"].measured == pytest.approx(0.5)
    assert found["{ __typename } / plain route at 16"].met
    assert found["page of 100 / strawberry's ceiling at 16"].measured == pytest.approx(0.5)
    assert not found["page of 100 / strawberry's ceiling at 16"].met
    assert not found["submitIdea / no-op mutation at 16"].met
    assert found["submitIdea at 16 / at 1, one process"].measured == pytest.approx(4.0)
    assert not found["p99 of page at 16"].met  # a read over 100 ms
    assert found["p99 of submitIdea at 16"].met  # a write under 200 ms
    assert "repeated page / plain route at 16" not in found  # not measured, not judged


def test_a_path_is_held_to_its_ceiling_by_their_runs_taken_in_turns_when_there_are():
    results = {  # the sweep: the plain route run in a faster minute than the repeated page
        "plain": {16: figures(1200)},
        "page-repeated": {16: figures(500)},
        "typename": {16: figures(500)},
    }
    pairs = {"page-repeated": (figures(550), figures(1000))}

    found = {target.label: target for target in targets(results, "sqlite", pairs=pairs)}

    assert found["repeated page / plain route at 16"].measured == pytest.approx(0.55)
    assert found["repeated page / plain route at 16"].met
    assert found["{ __typename } / plain route at 16"].measured == pytest.approx(500 / 1200)
    swept = {target.label: target for target in targets(results, "sqlite")}
    assert not swept["repeated page / plain route at 16"].met  # 500 / 1200
    line = pairs_line(pairs, results)
    assert "page-repeated 550.0 and plain 1,000.0 (0.55; in the sweep 0.417)" in line
    saved = pairs_to_json(pairs)["page-repeated"]
    assert (saved["ceiling"], saved["run"]["rate"], saved["ceiling_run"]["rate"]) == (
        "plain",
        550.0,
        1000.0,
    )


def test_the_concurrency_gain_of_writes_is_judged_only_on_postgresql():
    results = {"submitIdea": {1: figures(10), 16: figures(40)}}

    labels = [target.label for target in targets(results, "sqlite")]

    assert not [label for label in labels if label.startswith("submitIdea at 16 / at 1")]


def test_the_concurrency_gain_of_writes_through_two_processes_is_judged_as_one_processs():
    [judged] = submit_scaling({1: figures(10), 16: figures(35)}, "two processes")

    assert judged.label == "submitIdea at 16 / at 1, two processes"
    assert judged.measured == pytest.approx(3.5)
    assert judged.met
    assert submit_scaling({16: figures(35)}, "two processes") == [], "no run at 1, no ratio"


def test_two_processes_are_judged_path_by_path_against_one():
    one = {"page": {16: figures(20)}, "idea": {16: figures(100)}}
    two = {"page": {16: figures(32)}, "idea": {16: figures(140)}}

    found = {target.label: target for target in scaling_target(one, two)}

    assert found["page: two processes / one at 16"].met
    assert not found["idea: two processes / one at 16"].met


def test_rebuild_and_assembly_are_held_to_the_read_all_pass_of_the_same_data_set():
    built = {
        "read_all": {"events": 1000, "seconds": 1.0, "peak_rss_mb": 90},
        "rebuild": {"events": 1000, "seconds": 4.0, "peak_rss_mb": 320},
        "assemble": {"periods": ["2025-H1", "2025-H2"], "seconds": 3.0, "peak_rss_mb": 100},
    }

    found = {target.label: target for target in data_set_targets(built)}

    assert found["rebuild rate / read_all rate"].measured == pytest.approx(0.25)
    assert not found["rebuild peak RSS"].met
    assert found["one release's assembly / one read_all pass"].measured == pytest.approx(1.5)
    assert found["one release's assembly / one read_all pass"].met


def test_assembly_timed_again_is_the_one_held_to_the_target():
    built = {
        "read_all": {"events": 1000, "seconds": 2.0, "peak_rss_mb": 90},
        "rebuild": {"events": 1000, "seconds": 4.0, "peak_rss_mb": 120},
        "assemble": {"periods": ["2025-H1", "2025-H2"], "seconds": 12.0, "peak_rss_mb": 100},
        "assembly": {"periods": ["2025-H1", "2025-H2"], "seconds": 6.0, "peak_rss_mb": 100},
    }

    found = {target.label: target for target in data_set_targets(built)}

    assert found["one release's assembly / one read_all pass"].measured == pytest.approx(1.5)


def test_a_data_set_is_judged_only_on_steps_timed_on_its_own_backend():
    steps = {
        "read_all": {"events": 1000, "seconds": 1.0, "peak_rss_mb": 90},
        "rebuild": {"events": 1000, "seconds": 4.0, "peak_rss_mb": 120},
        "assemble": {"periods": ["2025-H1"], "seconds": 2.0, "peak_rss_mb": 100, "on": "sqlite"},
    }
    copied = {**steps, "rebuild": {**steps["rebuild"], "on": "sqlite"}}

    assert data_set_targets(copied, "postgres") == []
    assert len(data_set_targets(steps, "postgres")) == 3


def test_the_rebuild_is_shown_beside_its_floor_in_read_all_passes():
    steps = {
        "read_all": {"events": 1000, "seconds": 2.0, "peak_rss_mb": 90},
        "rebuild": {"events": 1000, "seconds": 24.0, "peak_rss_mb": 120},
        "write_rows": {"rows": 5000, "seconds": 8.0, "peak_rss_mb": 200},
    }

    line = floor_line(steps)

    assert line is not None
    assert "8.0 s, 4.00 read_all passes" in line
    assert "the rebuild took 3.00 times that" in line
    assert floor_line({k: v for k, v in steps.items() if k != "write_rows"}) is None
    elsewhere = {**steps, "write_rows": {**steps["write_rows"], "on": "sqlite"}}
    assert floor_line(elsewhere, "postgres") is None


def test_the_table_has_a_row_per_path_and_a_column_per_concurrency():
    rows = table({"plain": {1: figures(900), 16: figures(1500)}, "page": {16: figures(20)}})

    assert rows[0].count("c=") == 2
    assert rows[2].startswith("| plain | 900, ")
    assert rows[3].startswith("| page | — | 20, ")
