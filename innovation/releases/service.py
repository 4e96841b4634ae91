"""Assembling releases: a period at a time, in order, exactly once whoever asks and how often.

``assemble(period)`` replays the log up to its settled position through the pure assembler
(``domain/assembly.py``) and publishes the bundle on the period's own stream, whose first event
is appended with NO_STREAM: when several processes assemble the same period at once, one
release is written and the others find it. Earlier periods without a release are assembled
first, so an idea always ships in the first period it could have.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import secrets
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Literal, TypeVar
from zoneinfo import ZoneInfo

from innovation.domain import EXPERIMENT
from innovation.domain.assembly import CONVERSION_RULE, FOLDED, MEASURED, Assembler
from innovation.domain.periods import ANY_LABEL, Cadence, Period
from innovation.domain.releases import (
    Assembly,
    Bundle,
    PeriodNotOverError,
    PeriodOverlapsReleaseError,
    PublishRelease,
    ReleasePublished,
)
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
from innovation.services import Actor
from innovation.services.pipeline import Pipeline
from innovation.store import Log, RecordedEvent, type_name

log = logging.getLogger(__name__)

Spans = dict[str, tuple[datetime, datetime]]
"""Each published release's period, and the time it covers: ``[start, end)``."""

RELEASES = uuid.UUID("3f7c2a54-9a41-4a8e-b1d2-2f1c3e8d9b10")
RELEASE_PUBLISHED = type_name(ReleasePublished)
FOLDED_NAMES = frozenset(type_name(kind) for kind in FOLDED)
"""What the pass over the log reads for assembly; ``MEASURED`` events are read per experiment."""
MEASURED_NAMES = frozenset(type_name(kind) for kind in MEASURED)
STREAMS_PER_READ = 200
"""Experiments whose streams assembly reads in one query: memory stays flat however many ship."""
SCHEDULER = Actor("system:release-scheduler", "admin")
"""Who the log says assembled a period when nobody asked by hand."""

T = TypeVar("T")


DIGESTS_KEPT = 64
"""Rendered digests kept, one per release (for the CLI, GraphQL and the configured addresses:
a reader's, which links to the page with their key, goes out once and is not kept); as many
pages, one per release (every reader is shown the same page); as many indexes and feeds, one
per reader's key and state of the releases (their links carry the key)."""

Listing = Literal["index", "feed"]
LISTED: dict[Listing, int] = {"index": 1000, "feed": 100}
"""How many releases, newest first, the index and the feed list (two a year)."""


async def _result(assembler: Assembler) -> Assembly:
    """What ``assembler`` folded, as a bundle, worked out in a thread while the event loop goes
    on answering: it walks every idea, and at the bench's 100,000 it took 0.22 s (0.45 s for a
    process's first preview), on every ``nextRelease`` after a write. Nothing folds into the
    assembler meanwhile: a preview holds its lock, an assembly its own assembler."""
    return await asyncio.to_thread(assembler.result)


def _headline(view: views.ReleaseView) -> str:
    """The digest's headline alone: the index and the feed list every release, and rendering
    each one's whole digest (its charts drawn first) made their first view take seconds."""
    return headline(view.bundle).sentence(view.bundle.period)


def _entry(view: views.ReleaseView) -> FeedEntry:
    return FeedEntry(view.period, view.published_at, _headline(view), summary_html(view.bundle))


def _served_page(bundle: Bundle, charts: tuple[Chart, ...], zone: ZoneInfo) -> Served:
    """A release's page as it goes out, compressed and tagged."""
    return Served(render_page(bundle, charts=charts, zone=zone).encode()).ready()


def release_command_id(period: str) -> uuid.UUID:
    """One command id per period: a second assembly of it is recognised as the same command."""
    return uuid.uuid5(RELEASES, f"release/{period}")


@dataclass(frozen=True)
class Preview:
    """What would ship if the current period closed now, and why the others would not."""

    period: Period
    assembly: Assembly
    cutoff: int


@dataclass
class _KeptPreview:
    """The next release's assembler, kept between previews: once ``assembly`` is set, it has
    folded the log up to its cut-off and refolded the experiments it shows, and ``assembly`` is
    its result there."""

    assembler: Assembler
    assembly: Assembly | None = None


class Releases:
    def __init__(
        self,
        log: Log,
        pipeline: Pipeline,
        cadence: Cadence,
        *,
        public_url: str,
        on_published: Callable[[], None] | None = None,
    ) -> None:
        self.log = log
        self.pipeline = pipeline
        self.cadence = cadence
        self.public_url = public_url
        self.on_published = on_published
        self._charts: Kept[tuple[str, int], tuple[Chart, ...]] = Kept(DIGESTS_KEPT)
        self._digests: Kept[tuple[str, int], Digest] = Kept(DIGESTS_KEPT)
        self._pages: Kept[tuple[str, int], Served] = Kept(DIGESTS_KEPT)
        self._listings: Kept[tuple[Listing, tuple[int, int]], tuple[Served, str]] = Kept(4)
        """The index and the feed for every reader, with the mark where a reader's key goes."""
        self._readers: Kept[tuple[Listing, tuple[int, int], str | None], Served] = Kept(
            DIGESTS_KEPT
        )
        self._renderer = ThreadPoolExecutor(1, thread_name_prefix="innovation-render")
        """Where charts are drawn and digests, pages, indexes and feeds rendered, one at a time:
        a semester's first page took the event loop for 1.2 s on the bench's data set, and an
        executive's digest 0.5 s, during which the process answered nobody."""
        self._preview: _KeptPreview | None = None
        self._previewing = asyncio.Lock()
        """One preview folds at a time; the others wait, then find its work done."""

    async def close(self) -> None:
        """Wait for a rendering under way to finish, and take no more."""
        await asyncio.to_thread(self._renderer.shutdown)

    # -- reading ------------------------------------------------------------------------------

    async def release(self, period: str, *, bundle: bool = True) -> views.ReleaseView | None:
        """The release of ``period``, if any; without its ``bundle`` if not asked for."""
        if ANY_LABEL.fullmatch(period) is None:  # no release is named so: nothing to look up
            return None
        return await self.log.database.read(partial(views.release, period=period, bundle=bundle))

    async def released(self) -> Spans:
        """Each published release's period, and the time it covers."""
        return await self.log.database.read(views.released_spans)

    async def starts_at(self, label: str) -> datetime:
        """When period ``label`` starts: as its release says when there is one (published
        under another cadence, or covering only the end of its period), else by the cadence;
        ``DomainError`` when it names no period."""
        span = (await self.released()).get(label)
        return self.cadence.parse(label).start if span is None else span[0]

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
        zone = self.cadence.zone
        return await self._off_loop(
            partial(render_letter, release.bundle, page_url=page, charts=charts, zone=zone)
        )

    async def _render_digest(self, release: views.ReleaseView) -> Digest:
        charts = await self._drawn(release, png=True)  # the e-mail's pictures
        zone = self.cadence.zone
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
        position = await self.log.database.read(partial(views.release_position, period=period))
        if position is None:
            return None
        return await self._pages.obtain((period, position), partial(self._render_page, period))

    async def _render_page(self, period: str) -> Served | None:
        release = await self.release(period)
        if release is None:
            return None
        charts = await self._drawn(release, png=False)
        return await self._off_loop(
            partial(_served_page, release.bundle, charts, self.cadence.zone)
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
        state = await self.log.database.read(views.releases_state)
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
        shown = await self.log.database.read(partial(views.releases, first=LISTED[kind]))
        mark = f"reader-key-{secrets.token_hex(16)}"
        return Served(await self._off_loop(partial(self._listed, kind, shown, mark))), mark

    def _listed(self, kind: Listing, shown: list[views.ReleaseView], key: str) -> bytes:
        if kind == "index":
            listed = [(view.period, view.published_at, _headline(view)) for view in shown]
            page = releases_page(listed, base_url=self.public_url, key=key, zone=self.cadence.zone)
            return page.encode()
        return render_feed([_entry(view) for view in shown], base_url=self.public_url, key=key)

    async def first_event_at(self) -> datetime | None:
        """When the first event of the log happened: the first period to release is its."""
        recorder = self.log.recorder
        first = await self.log.database.read(
            lambda connection: recorder.read_range(connection, 0, 1)
        )
        return self.log.recorded(first[0]).occurred_at if first else None

    # -- assembling ---------------------------------------------------------------------------

    async def assembly(
        self, period: Period, *, upto: int | None = None, conversion_rule: int = CONVERSION_RULE
    ) -> tuple[Assembly, int]:
        """Stream the log up to its settled position (or ``upto``) through the assembler; the
        cut-off.

        Two reads, so that the log's commonest events (measurements) are fetched only where
        the bundle shows them: one pass over the event types the assembler folds (the
        database filters them), then every event of the experiments that validated the
        shipping ideas, which the assembler folds again. Each row is decoded only as far as
        assembly looks at it: when it happened, and the event unless it happened after the
        period (a release is always decoded, as assembly counts releases published late).
        ``conversion_rule`` 1 recomputes a release published by that rule as it was.
        """
        cutoff = await self.log.settled_position() if upto is None else upto
        assembler = Assembler(period, cutoff, conversion_rule)
        await self._fold(assembler, after=0)
        await self._refold(assembler)
        return await _result(assembler), cutoff

    async def _fold(self, assembler: Assembler, *, after: int) -> None:
        """Take the events in ``(after, assembler.cutoff]`` of the types assembly folds, and
        after the first pass (``after`` above 0) the readings of every experiment already
        refolded, which ``take`` keeps whole."""
        mapper, end = self.log.mapper, assembler.period.end
        types = FOLDED_NAMES if after == 0 else FOLDED_NAMES | MEASURED_NAMES
        async for record in self.log.replay(after=after, up_to=assembler.cutoff, types=types):
            if record.type in MEASURED_NAMES and not assembler.refolded(
                EXPERIMENT.entity_id(record.stream_id) or ""
            ):
                continue
            occurred_at = mapper.occurred_at(record)
            if occurred_at >= end and record.type != RELEASE_PUBLISHED:
                continue
            assembler.take(record.position, occurred_at, mapper.to_event(record))

    async def _refold(self, assembler: Assembler) -> None:
        """Fold again, from every event of its stream, each experiment the bundle shows that
        has not been refolded yet."""
        mapper = self.log.mapper
        measured = [
            EXPERIMENT.stream_id(id)
            for id in assembler.measured_experiments()
            if not assembler.refolded(id)
        ]
        for first in range(0, len(measured), STREAMS_PER_READ):
            chunk = measured[first : first + STREAMS_PER_READ]
            rows = await self.log.database.read(
                partial(self.log.recorder.read_streams, stream_ids=chunk, upto=assembler.cutoff)
            )
            streams: dict[str, list[RecordedEvent]] = {stream: [] for stream in chunk}
            for row in rows:
                streams[row.stream_id].append(row)
            for stream, records in streams.items():
                assembler.refold(
                    EXPERIMENT.entity_id(stream) or "",
                    (
                        (row.position, mapper.occurred_at(row), mapper.to_event(row))
                        for row in records
                    ),
                )

    async def _assemble_one(self, period: Period, actor: Actor, now: datetime) -> None:
        bundle = (await self.assembly(period))[0].bundle
        outcome = await self.pipeline.execute(
            PublishRelease(bundle=bundle, at=now),
            actor,
            at=now,
            command_id=release_command_id(period.label),
        )
        if outcome.envelopes:
            shipped = len(bundle.items)
            log.info(
                "release %s published: %d idea%s shipped, %d stopped",
                period.label,
                shipped,
                "" if shipped == 1 else "s",
                len(bundle.stopped),
            )
            if self.on_published is not None:
                self.on_published()

    async def assemble(self, label: str, *, actor: Actor, now: datetime) -> views.ReleaseView:
        """Assemble ``label`` (and every earlier elapsed period still without a release)."""
        period = self.cadence.parse(label)
        if now < period.end:
            raise PeriodNotOverError(period.label, period.end.astimezone(self.cadence.zone))
        spans = await self.released()
        remainder = self._unreleased(period, spans)
        if period.label not in spans and remainder is None:
            raise PeriodOverlapsReleaseError(period.label, self._overlapped(period, spans))
        await self.catch_up(now=now, actor=actor, through=period)
        release = await self.release(period.label)
        if release is None:  # the period lies before anything happened: release it empty
            await self._assemble_one(remainder or period, actor, now)
            release = await self.release(period.label)
        assert release is not None
        return release

    async def catch_up(
        self,
        *,
        now: datetime,
        actor: Actor = SCHEDULER,
        through: Period | None = None,
        on_time: Callable[[Period], None] | None = None,
    ) -> list[str]:
        """Assemble, oldest first, every period that has ended without a release, from the
        first one that holds any event; return the periods assembled. Of a period sharing time
        with a release of another cadence (the cadence changed since), only what comes after
        that release is released; a period it covers whole is passed over.

        With ``on_time`` (loading history), each period is published at its own end, and
        ``on_time(period)`` is told first (to set the clock the store records with)."""
        first = await self.first_event_at()
        if first is None:
            return []
        limit = now if through is None else min(now, through.end)
        done = await self.released()
        assembled = []
        for period in self.cadence.elapsed(first, limit):
            remainder = None if period.label in done else self._unreleased(period, done)
            if remainder is None:
                continue
            if on_time is not None:
                on_time(period)
            await self._assemble_one(remainder, actor, period.end if on_time else now)
            assembled.append(period.label)
        return assembled

    async def preview(self, now: datetime) -> Preview:
        """The next release (see :meth:`upcoming`) as if its period closed now: candidates, and
        what blocks the others.

        The assembler is kept between previews, so each one after the first folds only what the
        log gained since the one before. On the bench's million events the first takes about
        4 s, a repeat milliseconds, one after a few dozen writes tenths of a second; what is
        kept holds some 200 MB for its 100,000 ideas (the domain keeps its states out of the
        cyclic garbage collector, so collections do not walk them). A preview cut short keeps
        nothing: the next starts again."""
        period = await self.upcoming(now)
        async with self._previewing:
            cutoff = await self.log.settled_position()
            kept, self._preview = self._preview, None  # kept again only once whole
            if kept is None or kept.assembler.period != period or kept.assembler.cutoff > cutoff:
                kept = _KeptPreview(Assembler(period, cutoff))
            if kept.assembly is None or kept.assembler.cutoff != cutoff:
                folded = 0 if kept.assembly is None else kept.assembler.cutoff
                kept.assembler.advance(cutoff)
                await self._fold(kept.assembler, after=folded)
                await self._refold(kept.assembler)
                kept.assembly = await _result(kept.assembler)
            self._preview = kept
        return Preview(period=period, assembly=kept.assembly, cutoff=cutoff)

    async def upcoming(self, now: datetime) -> Period:
        """The period the next release covers: the current one (what a release of another
        cadence left of it), or, if such a release covers it whole, the first period after."""
        period = self.cadence.period_of(now)
        spans = await self.released()
        while (remainder := self._unreleased(period, spans)) is None:
            period = self.cadence.following(period)
        return remainder

    def _others(self, period: Period, spans: Spans) -> list[tuple[str, datetime]]:
        """The releases of another cadence (their labels are none of this cadence's) that
        share time with ``period``, by period, with their ends. Releases of this cadence never
        count: after a change of time zone, neighbouring periods share the hours between the
        two midnights, and each is still released once, by its label."""
        return [
            (label, end)
            for label, (start, end) in sorted(spans.items())
            if period.overlaps(start, end) and not self.cadence.names(label)
        ]

    def _overlapped(self, period: Period, spans: Spans) -> str:
        """The first release of another cadence sharing time with ``period``."""
        return self._others(period, spans)[0][0]

    def _unreleased(self, period: Period, spans: Spans) -> Period | None:
        """``period`` from the end of the releases of another cadence that share time with it
        (the cadence changed since): all of it when there are none, None when they reach its
        end. Quarters released to September, then semesters: 2026-H2 runs from October."""
        ends = [end for _, end in self._others(period, spans)]
        if not ends:
            return period
        start = max(ends)
        return None if start >= period.end else dataclasses.replace(period, start=start)
