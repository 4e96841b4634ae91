"""The digest's pictures, drawn by matplotlib (Agg) from a bundle: SVG for pages, PNG for e-mail
(encoded only when asked for: a page has no use for them, and they took a fifth of its first view).

Each chart has labelled axes and tells its series apart by hatching and shades of grey as well
as by colour, so a printed, greyscale digest reads the same. Output is deterministic (no dates
or random ids in the SVG), so rendering a release twice gives the same bytes.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from innovation.domain.releases import Bundle

if TYPE_CHECKING:
    from matplotlib.figure import Figure

INK = "#1f2933"
MET = "#2f6f4e"
MISSED = "#b7b7b7"
SHADES = ("#1f2933", "#52606d", "#7b8794", "#9aa5b1", "#cbd2d9", "#e4e7eb")
HATCHES = ("", "//", "..", "xx", "\\\\", "--")


@cache
def _figure_type() -> type[Figure]:
    """matplotlib's ``Figure``, loaded on the first chart (it takes a while), its settings made
    once. Figures are made without pyplot, which registers every figure in state of its own:
    charts are drawn in the releases' render thread (``releases/documents.py``), and a figure
    nobody else knows of is safe in any thread, and needs no closing."""
    import matplotlib
    from matplotlib.figure import Figure

    matplotlib.rcParams.update(
        {
            "svg.hashsalt": "innovation",
            "svg.fonttype": "none",
            "font.size": 9,
            "axes.edgecolor": INK,
            "axes.labelcolor": INK,
            "xtick.color": INK,
            "ytick.color": INK,
        }
    )
    return Figure


def _subplots(*grid: int, figsize: tuple[float, float]) -> tuple[Figure, Any]:
    figure = _figure_type()(figsize=figsize)
    return figure, figure.subplots(*grid)


def _integer_ticks(axes: Any) -> None:
    from matplotlib.ticker import MaxNLocator

    axes.xaxis.set_major_locator(MaxNLocator(integer=True))


@dataclass(frozen=True)
class Chart:
    name: str
    title: str
    """Also the image's alternative text."""
    svg: str
    png: bytes | None
    """None when drawn for a page alone (``draw(..., png=False)``), which shows only the SVG."""


def _short(text: str, width: int = 34) -> str:
    return textwrap.shorten(text, width=width, placeholder="…")


def funnel(bundle: Bundle) -> Figure:
    reached = bundle.figures.reached
    stages = list(reached)[::-1]
    counts = [reached[stage] for stage in stages]
    figure, axes = _subplots(figsize=(6.0, 2.6))
    bars = axes.barh(stages, counts, color=SHADES[1], edgecolor=INK)
    for bar, hatch in zip(bars, HATCHES[1:] + HATCHES[:1], strict=False):
        bar.set_hatch(hatch)
    axes.bar_label(bars, padding=3)
    axes.set_xlabel("ideas that reached the stage during the period")
    axes.set_ylabel("stage")
    axes.set_xlim(0, max([*counts, 1]) * 1.15)
    _integer_ticks(axes)
    return figure


def sources(bundle: Bundle) -> Figure:
    figures = bundle.figures
    figure, (left, right) = _subplots(1, 2, figsize=(7.5, 2.8))
    kinds = list(figures.by_source_kind)[::-1]
    bars = left.barh(
        kinds or ["none"],
        [figures.by_source_kind[k] for k in kinds] or [0],
        color=[MET if k not in {"EMPLOYEE"} else MISSED for k in kinds] or [MISSED],
        edgecolor=INK,
    )
    for bar, kind in zip(bars, kinds, strict=False):
        bar.set_hatch("" if kind != "EMPLOYEE" else "//")
    share = figures.external_share
    left.set_title(
        "external share: " + ("—" if share is None else f"{share:.0%}"), fontsize=9, loc="left"
    )
    left.set_xlabel("ideas scouted")
    left.set_ylabel("source")
    themes = list(figures.by_theme)[::-1]
    right.barh(
        themes or ["none"],
        [figures.by_theme[t] for t in themes] or [0],
        color=SHADES[2],
        edgecolor=INK,
        hatch="..",
    )
    right.set_xlabel("ideas scouted")
    right.set_ylabel("theme")
    for axes in (left, right):
        _integer_ticks(axes)
    figure.tight_layout()
    return figure


METRIC_BARS = 30
"""The most changes the metrics chart shows: the largest, whichever way. A semester can ship
thousands of measured ideas: a bar each made a figure metres tall, and took half a minute to
draw on the first view of the page; the page's table lists every one."""


def metric_changes(bundle: Bundle) -> Figure:
    measured = [
        (f"{_short(item.title, 26)} · {_short(metric.name, 18)}", metric)
        for item in bundle.items
        for metric in item.metrics
        if metric.change_pct is not None
    ]
    rows = measured
    if len(measured) > METRIC_BARS:
        largest = sorted(measured, key=lambda row: -abs(row[1].change_pct or 0.0))[:METRIC_BARS]
        kept = {id(row) for row in largest}
        rows = [row for row in measured if id(row) in kept]  # in the bundle's order
    rows = rows[::-1]
    figure, axes = _subplots(figsize=(7.5, max(1.8, 0.42 * len(rows) + 1.0)))
    if not rows:
        axes.text(0.5, 0.5, "no measured change this period", ha="center", va="center")
        axes.set_axis_off()
        return figure
    labels = [label for label, _ in rows]
    changes = [metric.change_pct or 0.0 for _, metric in rows]
    bars = axes.barh(
        labels,
        changes,
        color=[MET if metric.met else MISSED for _, metric in rows],
        edgecolor=INK,
    )
    for bar, (_, metric) in zip(bars, rows, strict=True):
        bar.set_hatch("" if metric.met else "//")
    axes.bar_label(bars, labels=[f"{c:+.0f}%" for c in changes], padding=3)
    axes.axvline(0, color=INK, linewidth=0.8)
    low, high = min([*changes, 0.0]), max([*changes, 0.0])
    span = (high - low) or 1.0
    axes.set_xlim(low - span * 0.2, high + span * 0.2)
    shown = "" if len(rows) == len(measured) else f"the {len(rows)} largest of {len(measured)}; "
    axes.set_xlabel(f"change from baseline (%); {shown}solid: target met, hatched: missed")
    return figure


CHARTS: tuple[tuple[str, str, Callable[[Bundle], Figure]], ...] = (
    ("funnel", "The pipeline funnel for the period", funnel),
    ("sources", "Where the period's ideas came from, and their themes", sources),
    ("metrics", "What the shipped ideas measurably changed", metric_changes),
)


def _encode(figure: Figure, *, png: bool) -> tuple[str, bytes | None]:
    svg = io.StringIO()
    figure.savefig(svg, format="svg", bbox_inches="tight", metadata={"Date": None})
    image = None
    if png:
        encoded = io.BytesIO()
        figure.savefig(encoded, format="png", dpi=110, bbox_inches="tight")
        image = encoded.getvalue()
    text = svg.getvalue()
    return text[text.index("<svg") :], image


def draw(bundle: Bundle, *, png: bool = True) -> list[Chart]:
    """Every chart of a digest, in the order the digest shows them; without ``png``, as SVG
    alone (for a page: about 0.3 s less for a semester's three charts)."""
    charts = []
    for name, title, make in CHARTS:
        svg, image = _encode(make(bundle), png=png)
        charts.append(Chart(name=name, title=title, svg=svg, png=image))
    return charts
