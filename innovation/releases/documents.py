"""What a published release is read as: its digest, the e-mail of it to each executive, its
web page, and the index and Atom feed of every release.

A release never changes once published (one per period, at one position of the log), so what
is rendered of it is kept, found again by the release's position without reading and decoding
its bundle (megabytes for a semester of thousands of ideas). Everything is rendered in one
thread of its own (``innovation-render``), one document at a time, once for all who ask for it
together: a semester's first page took the event loop for 1.2 s on the bench's data set, and an
executive's digest 0.5 s, during which the process answered nobody.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Literal, TypeVar
from zoneinfo import ZoneInfo

from innovation.domain.periods import ANY_LABEL
from innovation.domain.releases import Bundle
from innovation.kept import Kept
from innovation.projections import releases as views
from innovation.releases.charts import Chart, draw
from innovation.releases.digest import (
    Digest,
    ForReader,
    Letter,
    Served,
    headline,
    render,
    render_letter,
    render_page,
)
from innovation.releases.feed import FeedEntry, render_feed, summary_html, with_key
from innovation.releases.pages import releases_page
from innovation.releases.service import Releases

T = TypeVar("T")

KEPT = 64
"""Rendered digests kept, one per release (for the CLI, GraphQL and the configured addresses:
a reader's, which links to the page with their key, goes out once and is not kept); as many
pages, one per release (every reader is shown the same page); as many readers' copies of the
index and the feed (their links carry the reader's key), each kept compressed."""

Listing = Literal["index", "feed"]
LISTED: dict[Listing, int] = {"index": 1000, "feed": 100}
"""How many releases, newest first, the index and the feed list (two a year)."""


def _headline(view: views.ReleaseView) -> str:
    """The digest's headline alone: the index and the feed list every release, and rendering
    each one's whole digest (its charts drawn first) made their first view take seconds."""
    return headline(view.bundle).sentence(view.bundle.period)


def _entry(view: views.ReleaseView) -> FeedEntry:
    return FeedEntry(view.period, view.published_at, _headline(view), summary_html(view.bundle))


def _served_page(bundle: Bundle, charts: tuple[Chart, ...], zone: ZoneInfo) -> Served:
    """A release's page as it goes out, compressed and tagged."""
    return Served(render_page(bundle, charts=charts, zone=zone).encode()).ready()


class Documents:
    """The documents of the releases that ``releases`` reads, rendered and kept."""

    def __init__(self, releases: Releases, *, public_url: str) -> None:
        self.releases = releases
        self.database = releases.log.database
        self.public_url = public_url
        """Where the service is reached from outside: the links of the e-mail, index and feed."""
        self._charts: Kept[tuple[str, int], tuple[Chart, ...]] = Kept(KEPT)
        self._digests: Kept[tuple[str, int], Digest] = Kept(KEPT)
        self._pages: Kept[tuple[str, int], Served] = Kept(KEPT)
        self._listings: Kept[tuple[Listing, tuple[int, int]], tuple[Served, str]] = Kept(4)
        """The index and the feed for every reader, with the mark where a reader's key goes."""
        self._readers: Kept[tuple[Listing, tuple[int, int], str | None], Served] = Kept(KEPT)
        self._renderer = ThreadPoolExecutor(1, thread_name_prefix="innovation-render")
        """Where charts are drawn and documents rendered, one at a time, off the event loop."""

    async def close(self) -> None:
        """Wait for a rendering under way to finish, and take no more."""
        await asyncio.to_thread(self._renderer.shutdown)

    async def digest(self, release: views.ReleaseView) -> Digest:
        """The release's digest without a reader's key (for the CLI, the API and the addresses
        of INNOVATION_DIGEST_RECIPIENTS): no link to its page, which opens only with a key
        (the digest holds the charts itself). A release never changes once published (one per
        period, at one position of the log), so its charts are drawn once and its digest
        rendered once, off the event loop, and kept."""
        made = await self._digests.obtain(
            (release.period, release.position), partial(self._render_digest, release)
        )
        assert made is not None  # a digest is always rendered
        return made

    async def letter(self, release: views.ReleaseView, *, key: str | None) -> Letter:
        """What the digest's e-mail to a reader with feed ``key`` carries: with a key, a link
        to the release's page for it, rendered each time and not kept (an e-mail is sent once,
        and on the bench's data set each held 6 MB), and without the web page, which an e-mail
        does not carry; without a key, the kept digest."""
        page = self._address(release.period, key)
        if page is None:
            return await self.digest(release)
        charts = await self._drawn(release, png=True)  # the e-mail's pictures
        zone = self.releases.cadence.zone
        return await self._off_loop(
            partial(render_letter, release.bundle, page_url=page, charts=charts, zone=zone)
        )

    async def _render_digest(self, release: views.ReleaseView) -> Digest:
        charts = await self._drawn(release, png=True)  # the e-mail's pictures
        zone = self.releases.cadence.zone
        return await self._off_loop(partial(render, release.bundle, charts=charts, zone=zone))

    async def _drawn(self, release: views.ReleaseView, *, png: bool) -> tuple[Chart, ...]:
        """The release's charts, drawn once; as PNG too only once a digest asks (a page shows
        only the SVG), drawn again then."""
        key = (release.period, release.position)
        charts = self._charts.get(key)
        if charts is None or (png and any(chart.png is None for chart in charts)):
            charts = tuple(await self._off_loop(partial(draw, release.bundle, png=png)))
            kept = self._charts.get(key)  # a digest may have drawn them with PNGs meanwhile
            if kept is None or any(chart.png is None for chart in kept):
                self._charts.keep(key, charts)
        return charts

    async def _off_loop(self, work: Callable[[], T]) -> T:
        """``work`` done in the renderer's thread, the event loop answering others meanwhile."""
        return await asyncio.get_running_loop().run_in_executor(self._renderer, work)

    def _address(self, period: str, key: str | None) -> str | None:
        """Where a reader with feed key ``key`` finds ``period``'s page; None without a key."""
        return with_key(f"{self.public_url}/releases/{period}", key) if key else None

    async def page(self, period: str) -> Served | None:
        """The web page of ``period``'s release (the digest's ``html``, as served), or None:
        while it is kept, found by the release's position alone, without reading and decoding
        its bundle again (megabytes for a semester of thousands of ideas). Only the page is
        rendered and kept, not the rest of a digest (the e-mail's page, the Markdown), and once
        for every reader: it carries no reader's key (only the e-mail links to the page).
        Readers who ask while it is first rendered wait for that one rendering."""
        if ANY_LABEL.fullmatch(period) is None:  # a character PostgreSQL's text cannot hold, say
            return None
        position = await self.database.read(partial(views.release_position, period=period))
        if position is None:
            return None
        return await self._pages.obtain((period, position), partial(self._render_page, period))

    async def _render_page(self, period: str) -> Served | None:
        release = await self.releases.release(period)
        if release is None:
            return None
        charts = await self._drawn(release, png=False)
        return await self._off_loop(
            partial(_served_page, release.bundle, charts, self.releases.cadence.zone)
        )

    async def listing(self, kind: Listing, *, key: str | None = None) -> Served:
        """The index of releases (``"index"``, HTML) or their Atom feed (``"feed"``) for a
        reader, whose feed key its links carry.

        Both list every release, and rendering them means decoding every bundle (megabytes
        each, at scale): each is rendered once for each state of the releases, for every
        reader, with a mark where a reader's key goes; a reader's copy, their key in place of
        the mark, is kept compressed. A feed reader polls the same feed again and again, and is
        answered from what was kept after one small read that says whether a release was added
        since.
        """
        state = await self.database.read(views.releases_state)
        made = await self._readers.obtain(
            (kind, state, key), partial(self._for_reader, kind, state, key)
        )
        assert made is not None  # a listing is always rendered
        return made

    async def _for_reader(self, kind: Listing, state: tuple[int, int], key: str | None) -> Served:
        shared = await self._listings.obtain((kind, state), partial(self._render_listing, kind))
        assert shared is not None  # a listing is always rendered
        document, mark = shared
        marked, query = with_key("", mark).encode(), with_key("", key).encode()
        return await self._off_loop(partial(ForReader, document, marked, query))

    async def _render_listing(self, kind: Listing) -> tuple[Served, str]:
        """The listing for every reader, and the mark in place of a reader's key: drawn afresh
        for each rendering, so that no text of a release can hold it."""
        shown = await self.database.read(partial(views.releases, first=LISTED[kind]))
        mark = f"reader-key-{secrets.token_hex(16)}"
        return Served(await self._off_loop(partial(self._listed, kind, shown, mark))), mark

    def _listed(self, kind: Listing, shown: list[views.ReleaseView], key: str) -> bytes:
        if kind == "index":
            listed = [(view.period, view.published_at, _headline(view)) for view in shown]
            page = releases_page(
                listed, base_url=self.public_url, key=key, zone=self.releases.cadence.zone
            )
            return page.encode()
        return render_feed([_entry(view) for view in shown], base_url=self.public_url, key=key)
