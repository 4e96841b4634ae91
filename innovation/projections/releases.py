"""Read models of releases and of the digest's deliveries, and the typed views read from them.

A release row keeps the whole bundle (it never changes once published), so pages, the feed and
GraphQL read one row; the digest is rendered from it. It keeps the bundle's figures apart too,
a few kilobytes read with every row: an executive asking for a semester's figures read and
decoded its 3.2 MB bundle (6.9 ms on SQLite). A delivery row is the outbox's state:
what is pending and when it is due, what was sent, what was given up and why.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from innovation.domain.deliveries import DeliveryFailed, DigestQueued, DigestSent
from innovation.domain.recorded import Recorded
from innovation.domain.releases import Bundle, Figures, ReleasePublished
from innovation.projections.batch import Batch, touched
from innovation.store.tables import UTCDateTime, metadata

releases_view = sa.Table(
    "releases_view",
    metadata,
    sa.Column("period", sa.String(16), primary_key=True),
    sa.Column("starts_at", UTCDateTime, nullable=False, index=True),
    sa.Column("ends_at", UTCDateTime, nullable=False),
    sa.Column("cutoff", sa.BigInteger, nullable=False),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("published_at", UTCDateTime, nullable=False),
    sa.Column("published_by", sa.String(200), nullable=False),
    sa.Column("items", sa.Integer, nullable=False),
    # The bundle's figures, apart (``0018``), and before it: SQLite finds a column after the
    # bundle by following the bundle's overflow pages.
    sa.Column("figures", sa.LargeBinary, nullable=False),
    sa.Column("bundle", sa.LargeBinary, nullable=False),
)

deliveries_view = sa.Table(
    "deliveries_view",
    metadata,
    sa.Column("delivery_id", sa.String(64), primary_key=True),
    sa.Column("period", sa.String(16), nullable=False, index=True),
    sa.Column("recipient", sa.String(320), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("retry_at", UTCDateTime),
    sa.Column("last_error", sa.Text),
    sa.Column("queued_position", sa.BigInteger, nullable=False, index=True),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

TABLES = (releases_view, deliveries_view)

_bundles = msgspec.json.Decoder(Bundle)
_figures = msgspec.json.Decoder(Figures)


class ReleaseView(msgspec.Struct, frozen=True, kw_only=True, dict=True):
    """A published release as its row keeps it: the bundle is decoded when first asked for,
    and read only by a caller that will ask for it (``encoded`` is None otherwise). A
    semester's is megabytes (thousands of ideas, each with its metrics): a list of releases
    that asks for their periods and dates read and decoded every one, 80 ms for three."""

    period: str
    starts_at: datetime
    ends_at: datetime
    cutoff: int
    published_at: datetime
    published_by: str
    position: int
    encoded: bytes | None
    encoded_figures: bytes

    @functools.cached_property
    def bundle(self) -> Bundle:
        if self.encoded is None:
            raise LookupError(f"release {self.period} was read without its bundle")
        return _bundles.decode(self.encoded)

    @functools.cached_property
    def figures(self) -> Figures:
        """The bundle's figures, read with the row whether or not the bundle was."""
        return _figures.decode(self.encoded_figures)


class DeliveryView(msgspec.Struct, frozen=True, kw_only=True):
    delivery_id: str
    period: str
    recipient: str
    status: str
    attempts: int
    retry_at: datetime | None
    last_error: str | None
    queued_position: int


FOLDED_EVENTS = (ReleasePublished, DigestQueued, DigestSent, DeliveryFailed)
"""Every event ``fold`` takes; the projector hands it no other."""


def prefetch(batch: Batch, envelopes: Sequence[Recorded]) -> None:
    """Load the deliveries these events change, in a few statements."""
    ids = touched(envelopes, (DigestSent, DeliveryFailed), "delivery_id")
    batch[deliveries_view].prefetch("delivery_id", ids)


def fold(batch: Batch, recorded: Recorded) -> None:
    event = recorded.event
    match event:
        case ReleasePublished():
            bundle = event.bundle
            batch[releases_view].insert(
                {
                    "period": bundle.period,
                    "starts_at": bundle.starts_at,
                    "ends_at": bundle.ends_at,
                    "cutoff": bundle.cutoff,
                    "position": recorded.position,
                    "published_at": recorded.occurred_at,
                    "published_by": recorded.actor,
                    "items": len(bundle.items),
                    "bundle": msgspec.json.encode(bundle),
                    "figures": msgspec.json.encode(bundle.figures),
                }
            )
        case DigestQueued():
            batch[deliveries_view].insert(
                {
                    "delivery_id": event.delivery_id,
                    "period": event.period,
                    "recipient": event.recipient,
                    "status": "PENDING",
                    "attempts": 0,
                    "queued_position": recorded.position,
                    "updated_at": recorded.occurred_at,
                }
            )
        case DigestSent():
            _delivery(
                batch,
                recorded,
                event.delivery_id,
                status="SENT",
                retry_at=None,
                attempts=event.attempt,
            )
        case DeliveryFailed():
            _delivery(
                batch,
                recorded,
                event.delivery_id,
                status="PENDING" if event.retry_at is not None else "FAILED",
                retry_at=event.retry_at,
                attempts=event.attempt,
                last_error=event.error,
            )
        case _:
            pass


def describe(event: object) -> str | None:
    """How a release's and a delivery's events read in a history; None for another's event."""
    match event:
        case ReleasePublished():
            return f"released {event.bundle.period} with {len(event.bundle.items)} ideas"
        case DigestQueued():
            return f"digest of {event.period} queued for {event.recipient}"
        case DigestSent():
            return f"digest sent (attempt {event.attempt})"
        case DeliveryFailed():
            later = "will retry" if event.retry_at is not None else "given up"
            return f"digest not sent (attempt {event.attempt}): {event.error}; {later}"
        case _:
            return None


def _delivery(batch: Batch, recorded: Recorded, delivery_id: str, **values: object) -> None:
    batch[deliveries_view].update((delivery_id,), {"updated_at": recorded.occurred_at, **values})


def _release(row: sa.Row[tuple[object, ...]]) -> ReleaseView:
    mapping = row._mapping
    return ReleaseView(
        period=mapping["period"],
        starts_at=mapping["starts_at"],
        ends_at=mapping["ends_at"],
        cutoff=mapping["cutoff"],
        published_at=mapping["published_at"],
        published_by=mapping["published_by"],
        position=mapping["position"],
        encoded=mapping.get("bundle"),
        encoded_figures=mapping["figures"],
    )


_WITHOUT_BUNDLE = [column for column in releases_view.columns if column.name != "bundle"]


def _columns(bundle: bool) -> sa.Select[tuple[object, ...]]:
    """The release rows' columns, the bundle among them only if asked for."""
    return sa.select(releases_view) if bundle else sa.select(*_WITHOUT_BUNDLE)


def release(connection: Connection, period: str, *, bundle: bool = True) -> ReleaseView | None:
    row = connection.execute(_columns(bundle).where(releases_view.c.period == period)).first()
    return None if row is None else _release(row)


def release_position(connection: Connection, period: str) -> int | None:
    """Where ``period``'s release was published, which names it (None: not released)."""
    found = connection.execute(
        sa.select(releases_view.c.position).where(releases_view.c.period == period)
    ).scalar()
    return None if found is None else int(found)


def releases_state(connection: Connection) -> tuple[int, int]:
    """How many releases there are and the latest one's position: releases are only ever
    added, so this changes exactly when the list of releases does."""
    count, latest = connection.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.max(releases_view.c.position), 0))
    ).one()
    return int(count), int(latest)


def released_spans(connection: Connection) -> dict[str, tuple[datetime, datetime]]:
    """Each release's period and the time it covers, ``[starts_at, ends_at)``."""
    rows = connection.execute(
        sa.select(releases_view.c.period, releases_view.c.starts_at, releases_view.c.ends_at)
    )
    return {period: (starts_at, ends_at) for period, starts_at, ends_at in rows}


def releases(
    connection: Connection,
    *,
    first: int,
    before_start: datetime | None = None,
    after_start: datetime | None = None,
    backwards: bool = False,
    bundles: bool = True,
) -> list[ReleaseView]:
    """Newest first, between two periods' starts (exclusive); ``backwards`` takes the oldest
    of them first (the ones just newer than ``after_start``), still answered newest first."""
    starts = releases_view.c.starts_at
    query = _columns(bundles).order_by(starts.asc() if backwards else starts.desc())
    if before_start is not None:
        query = query.where(starts < before_start)
    if after_start is not None:
        query = query.where(starts > after_start)
    found = [_release(row) for row in connection.execute(query.limit(first))]
    return found[::-1] if backwards else found


def count_releases(connection: Connection) -> int:
    return int(
        connection.execute(sa.select(sa.func.count()).select_from(releases_view)).scalar_one()
    )


def _deliveries(query: sa.Select[tuple[object, ...]], connection: Connection) -> list[DeliveryView]:
    return [
        DeliveryView(**{key: row._mapping[key] for key in DeliveryView.__struct_fields__})
        for row in connection.execute(query)
    ]


def due_deliveries(
    connection: Connection, now: datetime | None, limit: int = 100
) -> list[DeliveryView]:
    """Pending deliveries whose next attempt is due (every pending one when ``now`` is None),
    oldest first."""
    v = deliveries_view.c
    query = sa.select(deliveries_view).where(v.status == "PENDING")
    if now is not None:
        query = query.where(sa.or_(v.retry_at.is_(None), v.retry_at <= now))
    query = query.order_by(v.queued_position).limit(limit)
    return _deliveries(query, connection)


def delivery_counts(connection: Connection) -> dict[str, int]:
    """How many digests wait to be sent (some after failed attempts, retried later) and how
    many were given up on (a permanent refusal): what an operator watches."""
    v = deliveries_view.c
    query = sa.select(v.status, sa.func.count()).where(v.status != "SENT").group_by(v.status)
    counted = {str(status): int(count) for status, count in connection.execute(query)}
    return {"pending": counted.get("PENDING", 0), "failed": counted.get("FAILED", 0)}


def deliveries(connection: Connection, period: str | None = None) -> list[DeliveryView]:
    query = sa.select(deliveries_view).order_by(deliveries_view.c.queued_position)
    if period is not None:
        query = query.where(deliveries_view.c.period == period)
    return _deliveries(query, connection)
