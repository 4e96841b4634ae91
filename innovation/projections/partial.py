"""An idea read in part: the columns that hold some of its fields, placeholders in the others.

A page of ideas reads only the columns its answer asks for (``IDEA_READS`` in
``api/reads.py`` says which fields of the view each field of ``Idea`` reads): fewer columns
read, converted and copied, on the bench's page of 100 ideas 4.25 ms against 4.98.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from innovation.domain.values import EthicsStatus, SourceKind, Stage
from innovation.projections.views import IDEA_COLUMNS, IdeaView, columns_holding, idea_converter

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_UNREAD: dict[str, Any] = {
    "title": "",
    "summary": "",
    "stage": Stage.SCOUTED.value,
    "source_kind": SourceKind.STARTUP.value,
    "organisation": "",
    "country": "",
    "external": False,
    "themes": [],
    "uses_ai": False,
    "uses_personal_data": False,
    "scout": "",
    "submitted_by": "",
    "submitted_at": _EPOCH,
    "updated_at": _EPOCH,
    "version": 0,
    "ethics_status": EthicsStatus.NOT_REQUIRED.value,
    "passes_ethics_gate": False,
    **{str(column.name): None for column in IDEA_COLUMNS if column.nullable},
}
"""What a partial idea holds in the columns it did not read: values of the right types, never
answered (``IDEA_READS``)."""


KEPT_SHAPES = 256
"""How many sets of fields a process keeps the columns and the conversion of. Callers choose
the fields an answer asks for: 22 fields of the view make millions of sets, and a conversion
made again costs about 0.4 ms, where keeping every set asked for would let callers grow the
process without bound."""


@lru_cache(maxsize=KEPT_SHAPES)
def idea_columns(fields: frozenset[str]) -> tuple[sa.Column[Any], ...]:
    """The columns that hold these fields of ``IdeaView`` (and the idea's id), in the
    table's order: what a read needs when its answer asks for no other field."""
    return columns_holding(fields)


def partial_idea_views(names: tuple[str, ...], rows: Sequence[Sequence[Any]]) -> list[IdeaView]:
    """Views of ideas from some of their columns (``idea_columns``), as ``idea_views``: the
    others hold placeholders, so they must never be shared with a reader that may ask for
    them."""
    return _converter(names)(rows)


@lru_cache(maxsize=KEPT_SHAPES)
def _converter(names: tuple[str, ...]) -> Callable[[Iterable[Sequence[Any]]], list[IdeaView]]:
    return idea_converter(names, _UNREAD)
