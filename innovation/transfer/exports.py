"""Write the log, the ideas or the releases out, as JSON Lines or CSV.

The log goes out as stored: every event with its id, stream, version, type, schema version,
recording time, and its data and metadata byte for byte (JSON embedded as it is in JSON Lines,
as text in CSV), so ``restore`` can load it into an empty database as it was. Ideas and
releases are their read models' rows.
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, date, datetime
from typing import IO, Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from innovation.projections.ideas import ideas_view
from innovation.projections.releases import releases_view
from innovation.store import Log, RecordedEvent


class ExportedEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One event of the log as exported: everything the log stored about it."""

    position: int
    event_id: uuid.UUID
    stream_id: str
    version: int
    type: str
    schema_version: int
    recorded_at: datetime
    data: msgspec.Raw
    metadata: msgspec.Raw

    @classmethod
    def of(cls, record: RecordedEvent) -> ExportedEvent:
        return cls(
            position=record.position,
            event_id=record.event_id,
            stream_id=record.stream_id,
            version=record.version,
            type=record.type,
            schema_version=record.schema_version,
            recorded_at=record.recorded_at,
            data=msgspec.Raw(record.data),
            metadata=msgspec.Raw(record.metadata),
        )


EVENT_COLUMNS = ExportedEvent.__struct_fields__


def parse_moment(text: str) -> datetime:
    """A date (midnight UTC) or an ISO date-time (UTC when it names no zone)."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        moment = datetime.combine(date.fromisoformat(text), datetime.min.time())
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


async def events(log: Log, since: datetime | None = None) -> AsyncIterator[dict[str, Any]]:
    """The settled log in position order, from events recorded at ``since`` or later."""
    async for record in log.replay():
        if since is None or record.recorded_at >= since:
            yield msgspec.structs.asdict(ExportedEvent.of(record))


def ideas(connection: Connection, since: datetime | None = None) -> Iterator[dict[str, Any]]:
    """Every idea as its read model holds it; with ``since``, those changed at or after it.

    Read as they are written out, ``PAGE`` rows at a time in the order of an index, each page
    after the last one's key (an idea's submission time and id, which never change): 100,000
    ideas read at once took 337 MB. (A server-side cursor would need a transaction, which
    PostgreSQL's reads do not open.)"""
    order = (ideas_view.c.submitted_at, ideas_view.c.idea_id)
    query = _since(sa.select(ideas_view), "ideas", since).order_by(*order).limit(PAGE)
    page = query
    while True:
        rows = connection.execute(page).mappings().all()
        for row in rows:
            yield dict(row)
        if len(rows) < PAGE:
            return
        last = rows[-1]
        page = query.where(sa.tuple_(*order) > sa.tuple_(last["submitted_at"], last["idea_id"]))


def count(connection: Connection, kind: str, since: datetime | None = None) -> int:
    """How many rows ``ideas`` or ``releases`` gives (its progress bar's total)."""
    query = sa.select(sa.func.count()).select_from(CHANGED[kind].table)
    return int(connection.execute(_since(query, kind, since)).scalar_one())


CHANGED = {"ideas": ideas_view.c.updated_at, "releases": releases_view.c.published_at}
"""What ``--since`` keeps, by kind: ideas changed, releases published at or after it."""


def _since(query: sa.Select[Any], kind: str, since: datetime | None) -> sa.Select[Any]:
    return query if since is None else query.where(CHANGED[kind] >= since)


PAGE = 1000
"""Rows of the ideas' read model read at a time."""


def releases(connection: Connection, since: datetime | None = None) -> Iterator[dict[str, Any]]:
    """Every release with its frozen bundle; with ``since``, those published at or after it."""
    query = _since(sa.select(releases_view), "releases", since).order_by(releases_view.c.starts_at)
    for row in connection.execute(query).mappings().all():
        yield {**row, "bundle": msgspec.Raw(row["bundle"])}


def columns_of(kind: str) -> tuple[str, ...]:
    changed = CHANGED.get(kind)
    return EVENT_COLUMNS if changed is None else tuple(changed.table.c.keys())


class Writer:
    """Writes rows as JSON Lines or CSV (with a header) to ``out``.

    With ``guarded``, CSV text that a spreadsheet would take for a formula is written as text
    (see ``guard``): the ideas' and releases' exports are opened in spreadsheets, and their
    text comes from scouts and from the sources they import. The log's export is not guarded:
    ``restore`` reads it back byte for byte.
    """

    def __init__(
        self, out: IO[str], fmt: str, columns: Iterable[str], *, guarded: bool = False
    ) -> None:
        self.out = out
        self.columns = tuple(columns)
        self.count = 0
        self._cell = guarded_cell if guarded else cell
        self._csv = csv.writer(out, lineterminator="\n") if fmt == "csv" else None
        if self._csv is not None:
            self._csv.writerow(self.columns)

    def write(self, row: dict[str, Any]) -> None:
        if self._csv is None:
            self.out.write(msgspec.json.encode(row).decode())
            self.out.write("\n")
        else:
            self._csv.writerow([self._cell(row[name]) for name in self.columns])
        self.count += 1


def cell(value: object) -> str:
    """A value as a spreadsheet cell: lists joined by ';', JSON as text, times in ISO 8601."""
    match value:
        case None:
            return ""
        case bool():
            return "true" if value else "false"
        case msgspec.Raw():
            return bytes(value).decode()
        case datetime():
            return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
        case list() | tuple():
            return ";".join(str(item) for item in value)
        case _:
            return str(value)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a cell as a formula (OWASP's list for CSV injection)."""


def guard(text: str) -> str:
    """``text`` as a spreadsheet will show it rather than run it: a leading apostrophe, which
    spreadsheets take as "this cell is text", before a formula's first character. A title such
    as ``=HYPERLINK("http://…")`` would otherwise be a live link, or worse, in a lead's sheet."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def guarded_cell(value: object) -> str:
    """``cell``, its text guarded; numbers (a negative change in %) stay numbers."""
    text = cell(value)
    return text if isinstance(value, int | float | datetime) else guard(text)


class ExportReadError(ValueError):
    """A line of an events export that is not an exported event; the message names the line."""


def count_events(lines: Iterable[str], fmt: str) -> int:
    """How many events an export holds, by a quick look that decodes none of them (what a
    progress bar needs to show how far a restore is and how long it has to go); a row that
    is not an event is found by ``read_events``."""
    try:
        if fmt == "csv":
            return max(sum(1 for _ in csv.reader(lines, strict=True)) - 1, 0)  # less the header
        return sum(1 for text in lines if text.strip())
    except csv.Error:
        return 0  # unknown: ``read_events`` says where the file breaks


def read_events(lines: Iterable[str], fmt: str) -> Iterator[tuple[int, ExportedEvent]]:
    """An events export read back, with the line each event starts on."""
    line = 0
    try:
        if fmt == "csv":
            reader = csv.DictReader(lines, strict=True)
            for row in reader:
                yield reader.line_num, _event_of_cells(row)
                line = reader.line_num
            return
        decoder = msgspec.json.Decoder(ExportedEvent)
        for line, text in enumerate(lines, start=1):
            if text.strip():
                yield line, decoder.decode(text)
    except (msgspec.DecodeError, csv.Error, KeyError, ValueError) as error:
        raise ExportReadError(
            f"line {line + (fmt == 'csv')}: not an exported event ({error})"
        ) from None


def _event_of_cells(row: dict[str, str]) -> ExportedEvent:
    return ExportedEvent(
        position=int(row["position"]),
        event_id=uuid.UUID(row["event_id"]),
        stream_id=row["stream_id"],
        version=int(row["version"]),
        type=row["type"],
        schema_version=int(row["schema_version"]),
        recorded_at=parse_moment(row["recorded_at"]),
        data=msgspec.Raw(row["data"].encode()),
        metadata=msgspec.Raw(row["metadata"].encode()),
    )
