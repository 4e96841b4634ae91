"""The digest of a release: what an executive reads in two minutes, as Markdown and HTML.

A pure function of the bundle (and the links it is given): Jinja2 templates with autoescaping
for HTML, so every text that came from users (titles, organisations, reasons) is escaped, and
the charts of ``charts.py``. Pages embed the charts as SVG; e-mail refers to them by
``cid:`` (the PNGs travel as inline parts of the message).
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, cached_property, partial
from typing import Any, Literal
from zoneinfo import ZoneInfo

import jinja2
from markupsafe import Markup

from innovation.domain.metrics import MetricResult
from innovation.domain.releases import Bundle, ReleaseItem
from innovation.releases.charts import Chart, draw

Images = Literal["inline-svg", "cid", "none"]
UTC_ZONE = ZoneInfo("UTC")


@dataclass(frozen=True)
class Headline:
    shipped: int
    biggest: tuple[ReleaseItem, MetricResult] | None
    external_share: float | None

    def sentence(self, period: str) -> str:
        ideas = "idea" if self.shipped == 1 else "ideas"
        parts = [f"{self.shipped} {ideas} shipped in {period}"]
        if self.biggest is not None:
            item, metric = self.biggest
            parts.append(
                f"biggest measured change {_pct(metric.change_pct)} in {metric.name} ({item.title})"
            )
        if self.external_share is not None:
            parts.append(
                f"{self.external_share:.0%} of the ideas scouted in {period} came from outside"
            )
        return "; ".join(parts) + "."

    def subject(self, period: str) -> str:
        """The e-mail's subject: the sentence's gist, short enough for an inbox's one line."""
        ideas = "idea" if self.shipped == 1 else "ideas"
        subject = f"Release {period}: {self.shipped} {ideas} shipped"
        if self.biggest is not None:
            _, metric = self.biggest
            subject += f", biggest change {_pct(metric.change_pct)} in {metric.name}"
        return subject


@dataclass(frozen=True)
class Letter:
    """What the digest's e-mail carries: its subject, the Markdown (the plain-text part), the
    page for e-mail and the charts it shows."""

    period: str
    headline: str
    subject: str
    """The e-mail's subject line."""
    markdown: str
    email_html: str
    """The digest's page for e-mail: charts as ``cid:<name>`` images (see ``charts``)."""
    charts: tuple[Chart, ...]


@dataclass(frozen=True)
class Digest(Letter):
    """The whole digest: the e-mail's parts and the web page."""

    html: str
    """A whole printable page, charts inline as SVG."""


class Served:
    """A document as it goes out: its bytes, the same compressed for every reader whose client
    accepts gzip (once: a semester's page shrinks about eighteen times, and compressing it takes
    tens of milliseconds), and an entity tag from its bytes, so the same document always has the
    same tag, whichever process serves it."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    @property
    def body(self) -> bytes:
        return self._body

    @cached_property
    def gzipped(self) -> bytes:
        return _compressed(self.body)

    @cached_property
    def etag(self) -> str:
        return _tag(self.body)

    def ready(self) -> Served:
        """Compressed and tagged now, where it is made (off the event loop: a semester's page
        takes 15 ms), rather than in its first reader's request."""
        body = self.body
        self.__dict__.update(gzipped=_compressed(body), etag=_tag(body))
        return self


class ForReader(Served):
    """One reader's copy of a document rendered once for every reader with ``marked`` in each
    place their feed key goes (``?key=`` and a mark: the index's and the feed's links): the
    same bytes as the document rendered with their key, ``query`` in place of ``marked``. Only
    its compressed copy and its tag are kept (a feed of a hundred semesters is megabytes, an
    eighth of that compressed), both made with it, off the event loop; its bytes are put
    together again when a client takes them uncompressed."""

    def __init__(self, shared: Served, marked: bytes, query: bytes) -> None:
        self._shared = shared
        self._marked = marked
        self._query = query
        self.ready()

    @property
    def body(self) -> bytes:
        return self._shared.body.replace(self._marked, self._query)


def _compressed(body: bytes) -> bytes:
    return gzip.compress(body, compresslevel=6, mtime=0)


def _tag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def headline(bundle: Bundle) -> Headline:
    measured = [
        (item, metric)
        for item in bundle.items
        for metric in item.metrics
        if metric.change_pct is not None and metric.met
    ]
    biggest = max(measured, key=lambda pair: abs(pair[1].change_pct or 0.0), default=None)
    return Headline(len(bundle.items), biggest, bundle.figures.external_share)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:+.1f}%"


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _days(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _number(value: float | None) -> str:
    """A metric's value as people write it: at most two decimals, none that say nothing (a
    baseline of 3.1 beside an observed 4, rather than 3.10 beside 4)."""
    if value is None:
        return "—"
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


@cache
def environment() -> jinja2.Environment:
    templates = jinja2.Environment(
        loader=jinja2.PackageLoader("innovation.releases", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    templates.filters.update(
        pct=_pct, share=_share, number=_number, days=_days, md=_markdown_text, full_stop=_full_stop
    )
    return templates


def _full_stop(quoted: str) -> str:
    """The full stop a sentence ending with ``quoted`` still needs: none when the quote ends
    one already."""
    return "" if quoted.rstrip()[-1:] in (".", "!", "?") else "."


def _markdown_text(value: str) -> str:
    """User text inside Markdown: one line, and the characters that could make a link, an
    emphasis, HTML, a heading or a table cell taken literally."""
    flat = " ".join(str(value).split())
    return "".join("\\" + c if c in "\\`*_[]<>#|" else c for c in flat)


def local_day(instant: datetime, zone: ZoneInfo = UTC_ZONE) -> str:
    """The date ``instant`` falls on in ``zone``, the pipeline's calendar (ISO)."""
    return instant.astimezone(zone).date().isoformat()


def render(
    bundle: Bundle,
    *,
    page_url: str | None = None,
    charts: tuple[Chart, ...] | None = None,
    zone: ZoneInfo = UTC_ZONE,
) -> Digest:
    """The digest of ``bundle``; ``page_url`` is where the web page lives (for e-mail links),
    ``zone`` the one whose calendar the period follows (for its first and last day)."""
    drawn = tuple(draw(bundle)) if charts is None else charts
    context = _context(bundle, page_url, drawn, zone, headline(bundle))
    return Digest(**vars(_letter(context)), html=_html(context, "inline-svg"))


def render_letter(
    bundle: Bundle, *, page_url: str | None, charts: tuple[Chart, ...], zone: ZoneInfo = UTC_ZONE
) -> Letter:
    """``render(...)`` without the web page, which an e-mail does not carry: what a reader's
    e-mail, whose link holds their key, is made of (the page took half of its 0.4 s on the
    bench's semester)."""
    return _letter(_context(bundle, page_url, charts, zone, headline(bundle)))


def _letter(context: dict[str, Any]) -> Letter:
    bundle: Bundle = context["bundle"]
    return Letter(
        period=bundle.period,
        headline=context["headline"],
        subject=context["gist"].subject(bundle.period),
        markdown=environment().get_template("digest.md").render(**context),
        email_html=_html(context, "cid"),
        charts=context["charts"],
    )


def render_page(bundle: Bundle, *, charts: tuple[Chart, ...], zone: ZoneInfo = UTC_ZONE) -> str:
    """``render(...).html`` alone, the release's web page: neither the e-mail's page nor the
    Markdown, which a page view would otherwise render (0.2 s for a semester) and a process
    keep (3.7 MB) for nothing. The page is the same whatever ``page_url`` the digest was
    given: only the e-mail links to the page."""
    return _html(_context(bundle, None, charts, zone, headline(bundle)), "inline-svg")


def _context(
    bundle: Bundle,
    page_url: str | None,
    charts: tuple[Chart, ...],
    zone: ZoneInfo,
    gist: Headline,
) -> dict[str, Any]:
    """What the digest's templates are given."""
    return {
        "day": partial(local_day, zone=zone),
        "first_day": local_day(bundle.starts_at, zone),
        "last_day": local_day(bundle.ends_at - timedelta(microseconds=1), zone),
        "bundle": bundle,
        "figures": bundle.figures,
        "gist": gist,
        "headline": gist.sentence(bundle.period),
        "page_url": page_url,
        "charts": charts,
    }


def _html(context: dict[str, Any], images: Images) -> str:
    """The digest's page: charts inline as SVG (the web page) or as ``cid:`` images (e-mail)."""

    def picture(chart: Chart) -> Markup:
        if images == "inline-svg":
            return Markup(
                f'<figure class="chart" id="chart-{chart.name}" role="img" '
                f'aria-label="{Markup.escape(chart.title)}">{chart.svg}'
                f"<figcaption>{Markup.escape(chart.title)}</figcaption></figure>"
            )
        return Markup(
            f'<figure class="chart"><img src="cid:{chart.name}" '
            f'alt="{Markup.escape(chart.title)}" style="max-width:100%">'
            f"<figcaption>{Markup.escape(chart.title)}</figcaption></figure>"
        )

    page = environment().get_template("digest.html")
    return page.render(**context, picture=picture, email=images == "cid")
