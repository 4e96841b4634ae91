"""Where ``make bench-service`` writes: a partial run never redraws the chart the READMEs show,
and no run's figures replace another's."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bench.service.run import outputs

BENCH = Path("/repo/bench")
NOW = datetime(2026, 12, 3, 4, 5, tzinfo=UTC)
WHOLE: dict[str, Any] = {"scale": 1.0, "backends": ["sqlite", "postgres"], "levels": (1, 16, 64)}


def test_a_whole_run_redraws_the_chart_the_readmes_show():
    figures, chart = outputs(BENCH, NOW, paths_only=None, **WHOLE)

    assert chart == BENCH / "service-throughput.png"
    assert figures == BENCH / "results" / "service-2026-12-03T0405.json"


@pytest.mark.parametrize(
    "partial",
    [
        {"scale": 0.1},
        {"backends": ["sqlite"]},
        {"backends": ["postgres"]},
        {"levels": (16,)},
        {"paths_only": "page,idea"},
    ],
)
def test_a_partial_run_draws_its_own_chart_beside_its_figures(partial: dict[str, Any]):
    given = {**WHOLE, "paths_only": None, **partial}

    figures, chart = outputs(BENCH, NOW, **given)

    assert chart == BENCH / "results" / "service-2026-12-03T0405-partial.png"
    assert figures == BENCH / "results" / "service-2026-12-03T0405-partial.json"


def test_runs_a_minute_apart_keep_their_figures_apart():
    first, _ = outputs(BENCH, NOW, paths_only=None, **WHOLE)
    later, _ = outputs(BENCH, NOW.replace(minute=6), paths_only=None, **WHOLE)

    assert first != later
