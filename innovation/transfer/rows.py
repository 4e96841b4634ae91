"""A scout's file of ideas, one row at a time: each row becomes a ``SubmitIdea`` or a problem.

Nothing here writes: rows are read and checked first, so the importer can run the good ones and
report the bad ones with their line, column and reason. The idea's id and the command's id are
derived from the row's ``external_ref`` (and the command's from its content too): importing the
same row again is recognised as a repeat and writes nothing, and a row changed since its first
import is refused instead of silently dropped.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import msgspec

from innovation.domain import ideas
from innovation.domain.bounds import Bound
from innovation.domain.errors import InvalidInputError, InvalidInputsError
from innovation.domain.ideas import SubmitIdea
from innovation.domain.values import Provenance, SourceKind, validate_text
from innovation.services.ideas import unknown_themes

T = TypeVar("T")

IMPORT_NAMESPACE = uuid.UUID("9b0b7c52-3f0e-4c63-9d43-58a4f7e1c2d6")
"""Fixed, so that an external reference maps to the same idea id on every machine."""

REQUIRED = (
    "external_ref",
    "title",
    "summary",
    "source_kind",
    "organisation",
    "country",
    "external",
    "themes",
)
OPTIONAL = ("url", "uses_ai", "uses_personal_data", "scout", "scouted_at")
COLUMNS = (*REQUIRED, *OPTIONAL)
EXTERNAL_REF_MAX = 200

_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}
_SURROGATE = re.compile("[\udc80-\udcff]")
"""What ``surrogateescape`` leaves of a byte that was not UTF-8."""
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
"""Half of a UTF-16 pair, which a JSON line may write as an escape (``\\ud800``)."""
_API_FIELD = re.compile(r"^(?:provenance\.)?(\w+)(?:\[\d+\])?$")


class ImportFileError(ValueError):
    """The file as a whole cannot be read (no header, an unknown column): nothing is imported."""

    def __init__(self, line: int, field: str, reason: str) -> None:
        super().__init__(f"line {line}, {field}: {reason}" if line else reason)
        self.problem = RowProblem(line, field, reason)


@dataclass(frozen=True)
class RowProblem:
    """Why the row starting on ``line`` is not imported; ``field`` is its column."""

    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.field}: {self.reason}"


@dataclass(frozen=True)
class IdeaRow:
    """A good row: the command it stands for, and when the idea was scouted (None: now)."""

    line: int
    external_ref: str
    command: SubmitIdea
    scouted_at: datetime | None
    scout_given: bool = True
    """False when the row left its scout blank and the importer stands in."""

    @property
    def command_id(self) -> uuid.UUID:
        """Same reference and content, same id: a second import is acknowledged, not repeated."""
        digest = hashlib.sha256(msgspec.json.encode(self.command)).hexdigest()
        return uuid.uuid5(IMPORT_NAMESPACE, f"{self.command.idea_id}:{digest}")


@dataclass(frozen=True)
class Refused:
    """A row that is not imported, with every problem found in it (one at least)."""

    problems: tuple[RowProblem, ...]

    @property
    def line(self) -> int:
        return self.problems[0].line


Row = IdeaRow | Refused


def idea_id_of(external_ref: str) -> str:
    """The idea id an external reference stands for, the same on every import."""
    return str(uuid.uuid5(IMPORT_NAMESPACE, external_ref.strip()))


def format_of(name: str, given: str | None = None) -> str:
    """The file's format: as given, or by its extension (.csv, .jsonl or .ndjson)."""
    if given:
        return given
    lowered = name.lower()
    if lowered.endswith(".csv"):
        return "csv"
    if lowered.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    raise ImportFileError(0, "file", "name it .csv or .jsonl, or say --format csv|jsonl")


def read_rows(
    data: bytes, fmt: str, scout: str, now: datetime, themes: tuple[str, ...] | None = None
) -> Iterator[Row]:
    """Every row of the file, good or bad, in order; ``scout`` stands in for a blank scout.

    A row with a column that cannot be read is also checked against the pipeline's rules (and
    ``themes``, the configured list, when given) in the columns that could, so that it is
    reported whole: a good row meets those rules when it is submitted."""
    # Undecodable bytes survive as lone surrogates, so the row and column holding them are named.
    text = data.decode("utf-8-sig", errors="surrogateescape")
    raw = _csv_rows(text) if fmt == "csv" else _jsonl_rows(text)
    first_seen: dict[str, int] = {}
    for line, fields in raw:
        if isinstance(fields, RowProblem):
            yield Refused((fields,))
            continue
        row = _idea_row(line, fields, scout, now, themes)
        if isinstance(row, IdeaRow):
            earlier = first_seen.setdefault(row.external_ref, line)
            if earlier != line:
                reason = f"{row.external_ref!r} repeats line {earlier}"
                yield Refused((RowProblem(line, "external_ref", reason),))
                continue
        yield row


_SEPARATORS = (",", ";", "\t")
"""What a spreadsheet may separate cells with: commas, or semicolons where the decimal mark is a
comma (Excel in French, German and many other locales saves CSV that way), or tabs."""


def _separator(text: str) -> str:
    """The separator that splits the header into the most known columns; the comma on a tie."""
    header = text.partition("\n")[0]

    def known(separator: str) -> int:
        return sum(name.strip().strip('"') in COLUMNS for name in header.split(separator))

    return max(_SEPARATORS, key=known)


def _csv_rows(text: str) -> Iterator[tuple[int, dict[str, Any] | RowProblem]]:
    separator = _separator(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=True)
    header = _header(reader)
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            problem = _broken_quote(text, start, reader.line_num, header, str(error), separator)
            yield start, problem
            return  # what follows a broken quote cannot be told apart from it
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):
            reason = f"has {len(cells)} cells, the header names {len(header)} columns"
            yield start, RowProblem(start, "row", reason)
            continue
        yield start, dict(zip(header, cells, strict=False))


def _header(reader: Any) -> list[str]:
    try:
        names = [name.strip() for name in next(reader)]
    except (StopIteration, csv.Error):
        names = []
    if _SURROGATE.search("".join(names)):
        raise ImportFileError(1, "header", "is not UTF-8 text: save the file as UTF-8")
    if not any(name in COLUMNS for name in names):  # data on the first line, no header
        raise ImportFileError(
            1,
            "header",
            "the first line must name the columns (" + ", ".join(COLUMNS) + ")",
        )
    for name in names:
        if name not in COLUMNS:
            raise ImportFileError(1, name or "header", _unknown(name))
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        raise ImportFileError(1, "header", "misses the columns " + ", ".join(missing))
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ImportFileError(1, repeated[0], "is named twice in the header")
    return names


def _unknown(name: str) -> str:
    return f"unknown column {name!r}: the columns are " + ", ".join(COLUMNS)


def _broken_quote(
    text: str, start: int, end: int, header: list[str], error: str, separator: str
) -> RowProblem:
    """Name the column whose quote never closes: the last cell of its line, read leniently."""
    lines = text.splitlines()
    line = lines[start - 1] if start <= len(lines) else ""
    cells = next(csv.reader([line], delimiter=separator), [""])
    field = header[len(cells) - 1] if 0 < len(cells) <= len(header) else "row"
    if "end of data" in error:
        unread = f"line {start} was" if end <= start else f"lines {start} to {end} were"
        reason = f"a quote opened here is never closed ({unread} not read)"
    else:
        reason = f"is not valid CSV ({error}); the lines after it were not read"
    return RowProblem(start, field, reason)


def _jsonl_rows(text: str) -> Iterator[tuple[int, dict[str, Any] | RowProblem]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            fields = json.loads(line)
        except json.JSONDecodeError as error:
            reason = f"is not JSON ({error.msg} at column {error.colno})"
            yield number, RowProblem(number, "row", reason)
            continue
        if not isinstance(fields, dict):
            yield number, RowProblem(number, "row", "must be a JSON object")
            continue
        unknown = [key for key in fields if key not in COLUMNS]
        if unknown:
            yield number, RowProblem(number, str(unknown[0]), _unknown(str(unknown[0])))
            continue
        yield number, fields


class _Bad(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


def _idea_row(
    line: int, fields: dict[str, Any], scout: str, now: datetime, themes: tuple[str, ...] | None
) -> Row:
    """The row's command, or every column of it that cannot be read (not only the first), so
    that one pass over the file shows the scout all there is to fix in it."""
    problems: list[RowProblem] = []
    unreadable = {name for name, value in fields.items() if _undecoded(line, name, value, problems)}

    def read(name: str, how: Callable[[], T], instead: T) -> T:
        """The column as ``how`` reads it; if it cannot, the problem is noted and ``instead``
        stands in, so that the row's other columns are read too."""
        if name in unreadable:
            return instead
        try:
            return how()
        except _Bad as bad:
            problems.append(RowProblem(line, bad.field, bad.reason))
            return instead

    def text(name: str) -> str:
        return read(name, lambda: _text(fields, name), "")

    external_ref = read("external_ref", lambda: _reference(fields), "")
    command = SubmitIdea(
        idea_id=idea_id_of(external_ref),
        title=text("title"),
        summary=text("summary"),
        provenance=Provenance(
            source_kind=read("source_kind", lambda: _source_kind(fields), SourceKind.OTHER),
            organisation=text("organisation"),
            country=text("country"),
            external=read("external", lambda: _flag(fields, "external", None), True),
            url=text("url") or None,
        ),
        themes=read("themes", lambda: _themes(fields), ()),
        uses_ai=read("uses_ai", lambda: _flag(fields, "uses_ai", False), False),
        uses_personal_data=read(
            "uses_personal_data", lambda: _flag(fields, "uses_personal_data", False), False
        ),
        scout=read("scout", lambda: _scout(fields, scout), scout),
    )
    scouted_at = read("scouted_at", lambda: _scouted_at(fields, now), None)
    if problems:
        problems += _by_rules(line, command, themes, {problem.field for problem in problems})
        return Refused(tuple(sorted(problems, key=column_order)))
    return IdeaRow(line, external_ref, command, scouted_at, bool(_text(fields, "scout")))


def _by_rules(
    line: int, command: SubmitIdea, themes: tuple[str, ...] | None, unread: set[str]
) -> list[RowProblem]:
    """What the pipeline's rules refuse in the columns that were read; the ``unread`` ones hold
    stand-ins, which say nothing of the file."""
    refused: list[InvalidInputError] = []
    try:
        ideas.decide(command, ideas.initial_state())
    except InvalidInputsError as several:
        refused.extend(several.errors)
    except InvalidInputError as one:
        refused.append(one)
    unknown = None if themes is None else unknown_themes(command.themes, themes)
    found = [RowProblem(line, *in_file_terms(each.field, each.message)) for each in refused]
    if unknown is not None:
        found.append(RowProblem(line, "themes", unknown.message))
    return [problem for problem in found if problem.field not in unread]


def column_order(problem: RowProblem) -> int:
    """Problems of a row are told in the order of the columns they are in."""
    return COLUMNS.index(problem.field) if problem.field in COLUMNS else len(COLUMNS)


def in_file_terms(api_field: str | None, message: str) -> tuple[str, str]:
    """The domain names fields as the API does (``provenance.sourceKind``); name the column."""
    if api_field is None:
        return "row", message
    match = _API_FIELD.match(api_field)
    if match is None:
        return api_field, message
    column = re.sub(r"(?<!^)([A-Z])", r"_\1", match.group(1)).lower()
    return column, message.replace(api_field, column)


def _undecoded(line: int, name: str, value: Any, problems: list[RowProblem]) -> bool:
    """Whether the column holds bytes that were not UTF-8, or half of a surrogate pair, which
    is not text either (noted in ``problems`` if so)."""
    if not isinstance(value, str):
        return False
    if (found := _SURROGATE.search(value)) is not None:
        byte = ord(found.group()) - 0xDC00
        reason = f"is not UTF-8 text (byte 0x{byte:02X}): save the file as UTF-8"
    elif (found := _LONE_SURROGATE.search(value)) is not None:
        half = f"\\u{ord(found.group()):04x}"
        reason = f"writes half of a UTF-16 surrogate pair ({half}) without the other: not text"
    else:
        return False
    problems.append(RowProblem(line, name, reason))
    return True


def _reference(fields: dict[str, Any]) -> str:
    external_ref = _text(fields, "external_ref")
    if not external_ref:
        raise _Bad("external_ref", "is required: a reference unique within its source")
    if len(external_ref) > EXTERNAL_REF_MAX:
        raise _Bad("external_ref", f"must have at most {EXTERNAL_REF_MAX} characters")
    try:  # shown in every report about the row: no control character, no bidi override
        validate_text(external_ref, "external_ref", Bound(1, EXTERNAL_REF_MAX))
    except InvalidInputError as error:
        raise _Bad("external_ref", error.message) from None
    return external_ref  # as written: the idea's id is derived from it


def _text(fields: dict[str, Any], name: str) -> str:
    value = fields.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _Bad(name, f"must be text, not {json.dumps(value)}")
    return value.strip()


def _source_kind(fields: dict[str, Any]) -> SourceKind:
    text = _text(fields, "source_kind")
    if not text:
        raise _Bad("source_kind", "is required: one of " + ", ".join(SourceKind))
    try:
        return SourceKind(text.upper().replace("-", "_").replace(" ", "_"))
    except ValueError:
        allowed = ", ".join(SourceKind)
        raise _Bad("source_kind", f"must be one of {allowed}, not {text!r}") from None


def _flag(fields: dict[str, Any], name: str, blank: bool | None) -> bool:
    value = fields.get(name)
    if isinstance(value, bool):
        return value
    text = "" if value is None else str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if not text:
        if blank is None:
            raise _Bad(name, "is required: true or false")
        return blank
    raise _Bad(name, f"must be true or false, not {value!r}")


def _themes(fields: dict[str, Any]) -> tuple[str, ...]:
    value = fields.get("themes")
    items: Sequence[object]
    if isinstance(value, list):
        items = value
    elif isinstance(value, str):
        items = value.split(";")
    elif value is None:
        items = []
    else:
        raise _Bad("themes", "must be a list of themes (in CSV: separated by ';')")
    if not all(isinstance(item, str) for item in items):
        raise _Bad("themes", "must hold theme names only")
    return tuple(str(item).strip() for item in items if str(item).strip())


def _scout(fields: dict[str, Any], default: str) -> str:
    name = _text(fields, "scout")
    if not name:
        return default
    return name if ":" in name else f"scout:{name}"


def _scouted_at(fields: dict[str, Any], now: datetime) -> datetime | None:
    text = _text(fields, "scouted_at")
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _Bad(
            "scouted_at",
            f"must be an ISO date or date-time such as 2025-03-14T09:30Z, not {text!r}",
        ) from None
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if moment > now:
        raise _Bad("scouted_at", f"lies in the future ({moment:%Y-%m-%d %H:%M} UTC)")
    return moment
