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
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from msgspec.structs import replace

from innovation.domain import EXPERIMENT
from innovation.domain.assembly import CONVERSION_RULE, FOLDED, MEASURED, Assembler
from innovation.domain.idea_messages import IdeaRevised, IdeaSubmitted
from innovation.domain.periods import ANY_LABEL, Cadence, Period
from innovation.domain.releases import (
    Assembly,
    PeriodNotOverError,
    PeriodOverlapsReleaseError,
    PublishRelease,
    ReleasePublished,
)
from innovation.projections import releases as views
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


async def _result(assembler: Assembler) -> Assembly:
    """What ``assembler`` folded, as a bundle, worked out in a thread while the event loop goes
    on answering: the first result walks every idea (at the bench's 100,000, about 0.2 s); a
    kept preview's next, after a few writes, only the ideas they reached (a few milliseconds).
    Nothing folds into the assembler meanwhile: a preview holds its lock, an assembly its own
    assembler."""
    return await asyncio.to_thread(assembler.result)


class _Shared:
    """One copy of the values many ideas repeat, for the states a preview keeps.

    Each event decodes its own copy of its scout, organisation, country and themes, and an
    idea's state keeps the copies it was given: at the bench's 100,000 ideas, 1,063
    organisations, 405 scouts and 26 sets of themes held their strings 100,000 times over. A
    process holding a preview went from 280 to 243 MB, its first preview from 2.7 to 2.8 s.
    Strings are interned (``sys.intern``: freed once nothing holds them); themes are kept by
    value for one pass over the log."""

    def __init__(self) -> None:
        self._themes: dict[tuple[str, ...], tuple[str, ...]] = {}

    def event(self, event: Any) -> Any:
        kind = type(event)
        if kind is IdeaSubmitted:
            return replace(
                event,
                scout=sys.intern(event.scout),
                provenance=self._provenance(event.provenance),
                themes=self._themes.setdefault(event.themes, event.themes),
            )
        if kind is IdeaRevised and event.provenance is not None:
            event = replace(event, provenance=self._provenance(event.provenance))
        if kind is IdeaRevised and event.themes is not None:
            event = replace(event, themes=self._themes.setdefault(event.themes, event.themes))
        return event

    @staticmethod
    def _provenance(provenance: Any) -> Any:
        return replace(
            provenance,
            organisation=sys.intern(provenance.organisation),
            country=sys.intern(provenance.country),
        )


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
        on_published: Callable[[], None] | None = None,
    ) -> None:
        self.log = log
        self.pipeline = pipeline
        self.cadence = cadence
        self.on_published = on_published
        self._preview: _KeptPreview | None = None
        self._previewing = asyncio.Lock()
        """One preview folds at a time; the others wait, then find its work done."""

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
        shared = _Shared()
        async for record in self.log.replay(after=after, up_to=assembler.cutoff, types=types):
            if record.type in MEASURED_NAMES and not assembler.refolded(
                EXPERIMENT.entity_id(record.stream_id) or ""
            ):
                continue
            occurred_at = mapper.occurred_at(record)
            if occurred_at >= end and record.type != RELEASE_PUBLISHED:
                continue
            assembler.take(record.position, occurred_at, shared.event(mapper.to_event(record)))

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
        log gained since the one before, and works out again only the ideas it reached. On the
        bench's million events the first takes about 3 s, a repeat or one after a few writes
        milliseconds; what is kept holds some 180 MB for its 100,000 ideas (the domain keeps
        its states out of the cyclic garbage collector, so collections do not walk them). A
        preview cut short keeps nothing: the next starts again."""
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
