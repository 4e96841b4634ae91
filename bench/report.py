"""Figures as rows (measurement, ours, peer or baseline, ratio, target, met), printed and saved."""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class Row:
    """One measurement. ``ratio`` is oriented so that above 1 means ours does better.

    events/s: ours ÷ peer. ms: peer ÷ ours (how many times faster ours is). MB: ours ÷ peer
    (lower is better, so this one reads the other way: the column says so).
    """

    key: str
    label: str
    unit: str
    ours: float | None
    other: float | None
    other_name: str = "peer"
    ratio: float | None = None
    ratio_name: str = "ours/peer"
    target: str = ""
    met: bool | None = None
    samples: dict[str, list[float]] = field(default_factory=dict)
    note: str = ""


@dataclass
class BackendReport:
    backend: str
    durability: dict[str, dict[str, str]] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)
    driver: list[Row] = field(default_factory=list)
    sizes: dict[str, int] = field(default_factory=dict)


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def _number(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "events/s":
        return f"{value:,.0f}"
    if unit in {"ms", "MB"}:
        return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"
    return f"{value:.2f}"


def _ratio(row: Row) -> str:
    return "—" if row.ratio is None else f"{row.ratio:.2f}x"


def _met(met: bool | None) -> str:
    if met is None:
        return ""
    return "[green]yes[/green]" if met else "[bold red]NO[/bold red]"


def render(console: Console, report: BackendReport) -> None:
    table = Table(title=f"{report.backend}", title_justify="left", expand=False)
    table.add_column("measurement")
    table.add_column("unit")
    table.add_column("ours", justify="right")
    table.add_column("peer / baseline", justify="right")
    table.add_column("ratio", justify="right")
    table.add_column("target")
    table.add_column("met")
    for row in report.rows:
        other = _number(row.other, row.unit)
        if row.other is not None and row.other_name != "peer":
            other = f"{other} ({row.other_name})"
        table.add_row(
            row.label,
            row.unit,
            _number(row.ours, row.unit),
            other,
            _ratio(row),
            row.target,
            _met(row.met),
        )
    console.print(table)
    for side, settings in report.durability.items():
        shown = ", ".join(f"{key}={value}" for key, value in settings.items())
        console.print(f"  durability, {side}: {shown}")
    if report.driver:
        driver = Table(
            title=f"{report.backend}: what the driver costs (1 event per append, 1 writer)",
            title_justify="left",
        )
        driver.add_column("path")
        driver.add_column("events/s", justify="right")
        driver.add_column("ours ÷ this", justify="right")
        for row in report.driver:
            driver.add_row(
                row.label, _number(row.ours, "events/s"), _ratio(row) if row.ratio else "1.00x"
            )
        console.print(driver)
    for row in [*report.rows, *report.driver]:
        if row.note:
            console.print(f"  note ({row.label}): {row.note}", markup=False)


def save(payload: dict[str, Any], started: datetime) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"store-{started.astimezone(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    return path


def as_json(report: BackendReport) -> dict[str, Any]:
    return {
        "durability": report.durability,
        "sizes": report.sizes,
        "rows": [asdict(row) for row in report.rows],
        "driver": [asdict(row) for row in report.driver],
    }
