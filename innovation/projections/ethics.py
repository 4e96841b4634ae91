"""Read model of ethics reviews: every request and every verdict, in order, per idea."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from innovation.domain.ideas import EthicsReviewRecorded, EthicsReviewRequested
from innovation.domain.recorded import Recorded
from innovation.projections.batch import Batch
from innovation.store.tables import UTCDateTime, metadata

REQUESTED = "REQUESTED"
RECORDED = "RECORDED"

ethics_reviews_view = sa.Table(
    "ethics_reviews_view",
    metadata,
    sa.Column("idea_id", sa.String(64), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("verdict", sa.String(20)),
    sa.Column("reviewers", sa.JSON, nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
)

TABLES = (ethics_reviews_view,)


FOLDED_EVENTS = (EthicsReviewRequested, EthicsReviewRecorded)
"""Every event ``fold`` takes; the projector hands it no other."""


def prefetch(batch: Batch, envelopes: Sequence[Recorded]) -> None:
    """Reviews are only ever added: nothing to load."""


def fold(batch: Batch, envelope: Recorded) -> None:
    event = envelope.event
    match event:
        case EthicsReviewRequested():
            _row(batch, envelope, event.idea_id, REQUESTED)
        case EthicsReviewRecorded():
            _row(
                batch,
                envelope,
                event.idea_id,
                RECORDED,
                verdict=str(event.verdict),
                reviewers=list(event.reviewers),
                note=event.note,
            )
        case _:
            pass


def _row(batch: Batch, envelope: Recorded, idea_id: str, kind: str, **values: object) -> None:
    values.setdefault("reviewers", [])
    batch[ethics_reviews_view].insert(
        {
            "idea_id": idea_id,
            "version": envelope.version,
            "position": envelope.position,
            "kind": kind,
            "actor": envelope.actor,
            "at": envelope.at,
            **values,
        }
    )
