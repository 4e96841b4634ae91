"""What a service bench run found: wrk's figures parsed, the targets as ratios, the chart.

Every target is a ratio of two figures of the same run (a path against its ceiling, or against
itself at another concurrency or process count), so a slower or faster machine moves both
sides; a run with any failed request is not a figure at all. A path held to a ceiling is also
run taking turns with it (``PAIRS``), and its ratio is judged from those runs: in the sweep, the
two were run minutes apart, and the machine (a shared virtual one) can change speed between.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


class InvalidRunError(ValueError):
    """wrk's run had failed requests (or printed no figures): it must not be reported."""


@dataclass(frozen=True)
class Figures:
    """One path at one concurrency: what wrk measured."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    p90_ms: float | None = None
    """Beside p50 and p99, where they part: at 16 connections one process's latencies can
    fall in two groups (most requests one round of the others' work, some half a round
    more), which p50 and p99 alone do not show. None in runs saved before it was kept."""
    cpu_us: dict[str, float] | None = None
    """Microseconds of CPU a request, by part of the machine's work (the service, PostgreSQL,
    wrk: ``cpu.py``); None where not measured, and in runs saved before it was."""

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def parse_wrk(output: str, what: str) -> Figures:
    """The JSON line ``requests.lua`` prints at the end of wrk's output, checked for failures."""
    lines = [line for line in output.splitlines() if line.startswith("{")]
    if not lines:
        raise InvalidRunError(f"{what}: wrk printed no figures:\n{output[-500:]}")
    found: dict[str, Any] = json.loads(lines[-1])
    failures = found["failed"] + found["socket_errors"] + found["non_2xx"]
    if not found["requests"]:
        raise InvalidRunError(f"{what}: no request was answered within the run")
    if failures:
        raise InvalidRunError(
            f"{what}: {failures} of {found['requests']} requests failed"
            f" (socket {found['socket_errors']}, non-2xx {found['non_2xx']}): {found['sample']}"
        )
    return Figures(
        found["requests"], found["seconds"], found["p50_ms"], found["p99_ms"], found.get("p90_ms")
    )


Results = dict[str, dict[int, Figures]]
"""Per path, per concurrency."""


@dataclass(frozen=True)
class Target:
    """``measured`` against ``target``; met when at least it (or at most, for ``upper``)."""

    label: str
    measured: float
    target: float
    upper: bool = False
    unit: str = "x"

    @property
    def met(self) -> bool:
        return self.measured <= self.target if self.upper else self.measured >= self.target

    def line(self) -> str:
        sign = "<=" if self.upper else ">="
        verdict = "PASS" if self.met else "MISS"
        shown, digits = _figure(self.measured), 4
        while float(shown.replace(",", "")) == self.target and not self.met and digits < 17:
            shown, digits = f"{self.measured:.{digits}g}", digits + 1  # a miss never reads as met
        return f"{self.label}: {shown}{self.unit} / {sign} {self.target:g}{self.unit}  {verdict}"


def _figure(value: float) -> str:
    """Three significant digits, without an exponent for figures of a hundred or more."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


PAIRS = {
    "typename": "plain",
    "page": "strawberry",
    "submitIdea": "noop",
    "page-repeated": "plain",
}
"""Each path held to a ceiling, and the ceiling: the bench runs the two taking turns."""

Pairs = dict[str, tuple[Figures, Figures]]
"""Per path of ``PAIRS``, its run and its ceiling's taken in turns at 16 connections (each the
run of median rate)."""

READS = ("page", "page-repeated", "idea", "pipeline", "release")
WRITES = ("submitIdea", "submitIdea-keyed", "recordMeasurement")


def pair_ratio(run: Figures, ceiling: Figures) -> float | None:
    """A path's rate against its ceiling's, from their runs taken in turns."""
    return run.rate / ceiling.rate if ceiling.rate else None


def _ratio(
    results: Results, path: str, against: str, at: int, pairs: Pairs | None = None
) -> float | None:
    if pairs and path in pairs and at == 16:
        return pair_ratio(*pairs[path])
    if path not in results or against not in results:
        return None
    if at not in results[path] or at not in results[against]:
        return None
    base = results[against][at].rate
    return results[path][at].rate / base if base else None


def targets(
    results: Results, backend: str, *, at: int = 16, pairs: Pairs | None = None
) -> list[Target]:
    """The issue's targets that this backend's results can answer, from these results only;
    a path's ratio to its ceiling from their runs taken in turns (``pairs``) where there are."""
    found: list[Target] = []

    def ratio(label: str, path: str, against: str, target: float, level: int = at) -> None:
        value = _ratio(results, path, against, level, pairs)
        if value is not None:
            found.append(Target(label, value, target))

    ratio("{ __typename } / plain route at 16", "typename", PAIRS["typename"], 0.40)
    ratio("page of 100 / strawberry's ceiling at 16", "page", PAIRS["page"], 0.60)
    ratio("submitIdea / no-op mutation at 16", "submitIdea", PAIRS["submitIdea"], 0.50)
    ratio("repeated page / plain route at 16", "page-repeated", PAIRS["page-repeated"], 0.50)
    if backend == "postgres" and "submitIdea" in results:
        found += submit_scaling(results["submitIdea"], "one process", at=at)
    for path in (*READS, *WRITES):
        if path in results and at in results[path]:
            limit = 100.0 if path in READS else 200.0
            found.append(
                Target(f"p99 of {path} at 16", results[path][at].p99_ms, limit, True, " ms")
            )
    return found


def submit_scaling(runs: dict[int, Figures], processes: str, *, at: int = 16) -> list[Target]:
    """submitIdea at 16 connections against 1 on PostgreSQL, by so many processes."""
    if 1 not in runs or at not in runs or not runs[1].rate:
        return []
    return [Target(f"submitIdea at 16 / at 1, {processes}", runs[at].rate / runs[1].rate, 3.0)]


def scaling_target(one: Results, two: Results, *, at: int = 16) -> list[Target]:
    """Reads with two processes on one PostgreSQL against one process, path by path."""
    found = []
    for path in one:
        if path in two and at in one[path] and at in two[path] and one[path][at].rate:
            value = two[path][at].rate / one[path][at].rate
            found.append(Target(f"{path}: two processes / one at {at}", value, 1.5))
    return found


def data_set_targets(figures: dict[str, Any], backend: str = "sqlite") -> list[Target]:
    """Rebuild and assembly at scale, from the data set's own build or its latest timing
    (``--retime``: assembly alone, every period again; the build's step also published and
    shipped each release). See bench/README.md. None when the steps were timed on another
    backend than the data set's (a PostgreSQL copy of SQLite's, not yet timed again)."""
    read_all, rebuild = figures["read_all"], figures["rebuild"]
    if any(step.get("on", backend) != backend for step in (read_all, rebuild)):
        return []
    assembly = figures.get("assembly", figures["assemble"])
    read_rate = read_all["events"] / read_all["seconds"]
    rebuild_rate = rebuild["events"] / rebuild["seconds"]
    per_release = assembly["seconds"] / max(1, len(assembly["periods"]))
    return [
        Target("rebuild rate / read_all rate", rebuild_rate / read_rate, 0.5),
        Target("rebuild peak RSS", rebuild["peak_rss_mb"], 300, True, " MB"),
        Target("one release's assembly / one read_all pass", per_release / read_all["seconds"],
               2.0, True),
    ]  # fmt: skip


def floor_line(figures: dict[str, Any], backend: str = "sqlite") -> str | None:
    """The rebuild beside its floor (``floor.py``, the ``write_rows`` step): what writing its
    rows alone takes, in ``read_all`` passes (the target leaves the whole rebuild two), and
    how many times that the rebuild took. None without the step, or timed on another backend."""
    floor = figures.get("write_rows")
    read_all, rebuild = figures["read_all"], figures["rebuild"]
    if floor is None or any(s.get("on", backend) != backend for s in (read_all, rebuild, floor)):
        return None
    return (
        f"the rebuild's rows written by the bare driver alone: {floor['seconds']:.1f} s,"
        f" {floor['seconds'] / read_all['seconds']:.2f} read_all passes (the target leaves the"
        f" whole rebuild 2); the rebuild took {rebuild['seconds'] / floor['seconds']:.2f} times"
        " that"
    )


def table(results: Results) -> list[str]:
    """A Markdown table: req/s, p50 and p99 per path and concurrency."""
    levels = sorted({level for runs in results.values() for level in runs})
    head = "| path | " + " | ".join(f"c={level} req/s, p50/p99 ms" for level in levels) + " |"
    rows = [head, "| --- |" + " --- |" * len(levels)]
    for path, runs in results.items():
        cells = []
        for level in levels:
            figures = runs.get(level)
            cells.append(
                "—"
                if figures is None
                else f"{figures.rate:,.0f}, {figures.p50_ms:.1f}/{figures.p99_ms:.1f}"
            )
        rows.append(f"| {path} | " + " | ".join(cells) + " |")
    return rows


def to_json(results: Results) -> dict[str, dict[str, Any]]:
    return {
        path: {str(level): {**asdict(f), "rate": f.rate} for level, f in runs.items()}
        for path, runs in results.items()
    }


def pairs_to_json(pairs: Pairs) -> dict[str, dict[str, Any]]:
    return {
        path: {
            "ceiling": PAIRS[path],
            "run": {**asdict(run), "rate": run.rate},
            "ceiling_run": {**asdict(ceiling), "rate": ceiling.rate},
        }
        for path, (run, ceiling) in pairs.items()
    }


def pairs_line(pairs: Pairs, results: Results, *, at: int = 16) -> str:
    """The runs taken in turns, each path's ratio to its ceiling, and the sweep's beside it."""
    told = []
    for path, (run, ceiling) in pairs.items():
        sweep = _ratio(results, path, PAIRS[path], at)
        told.append(
            f"{path} {run.rate:,.1f} and {PAIRS[path]} {ceiling.rate:,.1f}"
            f" ({pair_ratio(run, ceiling) or 0:.3g}"
            + ("" if sweep is None else f"; in the sweep {sweep:.3g}")
            + ")"
        )
    return f"req/s at {at}, each path and its ceiling taking turns: " + "; ".join(told)


def chart(per_backend: dict[str, Results], output: Path) -> None:
    """Throughput against concurrency: one panel per backend, one line per path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ceilings = {"plain", "typename", "strawberry", "noop"}
    palette = plt.get_cmap("tab20")
    backends = list(per_backend)
    figure, axes = plt.subplots(1, len(backends), figsize=(7 * len(backends), 5), squeeze=False)
    for axis, backend in zip(axes[0], backends, strict=True):
        for index, (path, runs) in enumerate(per_backend[backend].items()):
            levels = sorted(runs)
            axis.plot(
                levels,
                [runs[level].rate for level in levels],
                marker="o",
                linestyle="--" if path in ceilings else "-",
                color=palette((2 * index) % 20 + (2 * index) // 20),  # dark shades first
                label=f"{path} (ceiling)" if path in ceilings else path,
            )
        axis.set_title(backend)
        axis.set_xscale("log", base=2)
        axis.set_xticks([1, 16, 64], ["1", "16", "64"])
        axis.set_yscale("log")
        axis.set_xlabel("concurrent connections")
        axis.set_ylabel("requests/s")
        axis.grid(True, which="both", alpha=0.3)
    # One legend for every panel, beside them: inside a panel it hid the lines it names.
    handles, labels = axes[0][0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="center right", fontsize=8)
    figure.tight_layout(rect=(0, 0, 0.87, 1))
    figure.savefig(output, dpi=110)
    plt.close(figure)


def from_json(saved: dict[str, Any]) -> dict[str, Results]:
    """The results of a saved run (``bench/results/service-<date>T<hhmm>.json``), per backend."""
    return {
        backend: {
            path: {int(level): Figures(f["requests"], f["seconds"], f["p50_ms"], f["p99_ms"],
                                       f.get("p90_ms"), f.get("cpu_us"))
                   for level, f in runs.items()}
            for path, runs in found["results"].items()
        }
        for backend, found in saved["backends"].items()
    }  # fmt: skip


if __name__ == "__main__":
    import sys

    chart(from_json(json.loads(Path(sys.argv[1]).read_text())), Path(sys.argv[2]))
