"""Demo data: JSON Lines of commands, replayed through the command handlers at their own times.

Each line is one command as a user would have issued it::

    {"at": "2023-11-22T18:00:00Z", "actor": "scout:demo-scout", "command": "SubmitIdea",
     "input": {"idea_id": "conversation-analytics", "title": "...", ...}}

``actor`` is ``role:name`` as events record it. ``input`` holds the command's fields in snake
case; ids (``idea_id``, ``into_idea_id``, ``experiment_id``) may be readable keys, which become
the same UUID on every machine. ``SubmitIdea`` takes its ``scout`` from the line when it is left
out; every command happens at its line's ``at``. Every line runs with a command id derived from
the file name and line number, so loading a file again acknowledges what is already there and
writes nothing twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

from innovation.domain.errors import DomainError
from innovation.domain.periods import Period
from innovation.releases.service import Releases
from innovation.services import Actor, Pipeline
from innovation.services.errors import ServiceError
from innovation.services.handlers import HANDLERS

SEED_NAMESPACE = uuid.UUID("5c1f3e0a-8d7e-4a51-9a55-0e6f3f1d2b7c")
"""Fixed, so that seed keys map to the same ids everywhere (and repeated loads are recognised)."""

ID_FIELDS = ("idea_id", "into_idea_id", "experiment_id")
COMMANDS: dict[str, type] = {command.__name__: command for command in HANDLERS}


class SeedError(ValueError):
    """A line of a seed file that cannot be loaded; the message names the file, line and field."""


class Line(msgspec.Struct, forbid_unknown_fields=True):
    at: datetime
    actor: str
    command: str
    input: dict[str, Any]


@dataclass(frozen=True)
class SeedCommand:
    source: str
    line: int
    at: datetime
    actor: Actor
    command: Any

    @property
    def command_id(self) -> uuid.UUID:
        return uuid.uuid5(SEED_NAMESPACE, f"{self.source}:{self.line}")


@dataclass
class SeedClock:
    """The store's clock while seeding: events are recorded at the time of their line."""

    now: datetime = datetime(1970, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass(frozen=True)
class LoadReport:
    commands: int
    written: int
    """Commands that appended events; the rest were already in the log."""


def seed_id(key: str) -> str:
    """The UUID a readable seed key stands for (a UUID stays as it is)."""
    try:
        return str(uuid.UUID(key))
    except ValueError:
        return str(uuid.uuid5(SEED_NAMESPACE, key))


def seed_files(folder: Path) -> list[Path]:
    """The seed files in ``folder``, in name order (an absent folder has none)."""
    return sorted(folder.glob("*.jsonl")) if folder.is_dir() else []


def read_seed(path: Path) -> Iterator[SeedCommand]:
    """Parse and check every line of ``path`` before anything is loaded from it."""
    decoder = msgspec.json.Decoder(Line)
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        where = f"{path.name}:{number}"
        try:
            line = decoder.decode(text)
        except msgspec.ValidationError as error:
            raise SeedError(f"{where}: {error}") from None
        except msgspec.DecodeError as error:
            raise SeedError(f"{where}: not a JSON object ({error})") from None
        yield SeedCommand(
            source=path.name,
            line=number,
            at=_utc(line.at, where),
            actor=_actor(line.actor, where),
            command=_command(line, where),
        )


async def load_seed(
    pipeline: Pipeline,
    clock: SeedClock,
    commands: list[SeedCommand],
    progress: Callable[[int], None] = lambda done: None,
    releases: Releases | None = None,
    ship: Callable[[], Awaitable[None]] | None = None,
) -> LoadReport:
    """Run ``commands`` in order through the handlers, each at its own time.

    With ``releases``, history is made the real way: whenever the next line lies past the end
    of a period, that period is assembled first, at its end, as the scheduler would have, and
    ``ship`` (the releases' shipping reader) marks its ideas released then, as the service
    does at once. Shipped only at the end, every idea's release would come after all the
    history in the log, and the pipeline as of any past moment would show none released.
    """
    written = 0
    closes = None
    for done, seed in enumerate(commands, start=1):
        if releases is not None:
            if closes is None:
                closes = releases.cadence.period_of(seed.at).end
            if seed.at >= closes:
                await release_elapsed(releases, clock, seed.at, ship)
                closes = releases.cadence.period_of(seed.at).end
        clock.now = seed.at
        try:
            outcome = await pipeline.execute(
                seed.command, seed.actor, at=seed.at, command_id=seed.command_id
            )
        except (DomainError, ServiceError) as error:
            raise SeedError(f"{seed.source}:{seed.line}: {error}") from error
        written += bool(outcome.envelopes)
        progress(done)
    return LoadReport(commands=len(commands), written=written)


async def release_elapsed(
    releases: Releases,
    clock: SeedClock,
    now: datetime,
    ship: Callable[[], Awaitable[None]] | None = None,
) -> list[str]:
    """Every period that has ended by ``now`` without a release gets one, at its end (during
    loading and after it), then ``ship`` runs at the last one's end, where the clock stands."""

    def at_its_end(period: Period) -> None:
        clock.now = period.end

    released = await releases.catch_up(now=now, on_time=at_its_end)
    if released and ship is not None:
        await ship()
    return released


def _utc(at: datetime, where: str) -> datetime:
    if at.tzinfo is None:
        raise SeedError(f"{where}: at must carry a time zone (end it with Z for UTC)")
    return at.astimezone(UTC)


def _actor(text: str, where: str) -> Actor:
    role, _, name = text.partition(":")
    if not role or not name:
        raise SeedError(f"{where}: actor must read role:name, not {text!r}")
    return Actor(text, role)


def _command(line: Line, where: str) -> Any:
    kind = COMMANDS.get(line.command)
    if kind is None:
        known = ", ".join(sorted(COMMANDS))
        raise SeedError(f"{where}: command must be one of {known}, not {line.command!r}")
    fields = dict(line.input)
    for name in ID_FIELDS:
        if isinstance(fields.get(name), str):
            fields[name] = seed_id(fields[name])
    if kind.__name__ == "SubmitIdea":
        fields.setdefault("scout", line.actor)
    if "now" in getattr(kind, "__struct_fields__", ()):
        fields.setdefault("now", _utc(line.at, where))  # the command's time is its line's
    try:
        return msgspec.convert(fields, kind, strict=False)
    except msgspec.ValidationError as error:
        raise SeedError(f"{where}: input of {line.command}: {error}") from None
