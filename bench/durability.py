"""How a connection's durability settings are shown: as the names they are set by."""

from __future__ import annotations

_SYNCHRONOUS = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}


def synchronous_name(level: object) -> str:
    """SQLite's ``PRAGMA synchronous`` answer (a number) as the name it is set by."""
    return _SYNCHRONOUS.get(level, str(level)) if isinstance(level, int) else str(level)
