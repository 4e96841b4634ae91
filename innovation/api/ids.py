"""Global ids: ``Idea`` and ``Experiment`` ids are Relay global ids; inputs also take raw ids."""

from __future__ import annotations

import re
import uuid

from strawberry import relay

from innovation.domain.errors import InvalidInputError


def global_id(type_name: str, raw: str) -> str:
    return str(relay.GlobalID(type_name, raw))


_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_NAMED_ID = re.compile(rf"\b(?:stream '(idea|experiment)-({_UUID})'|(idea|experiment) '({_UUID})')")
"""An idea or experiment as a refusal names it: by its stored id, or by its stream (a write
that lost a race with another says which stream moved)."""


def shown_ids(message: str) -> str:
    """A refusal's message with the ideas and experiments it names by their API ids.

    The domain names them as it stores them (a UUID), the store by their streams; clients
    only ever see global ids.
    """

    def shown(found: re.Match[str]) -> str:
        kind, raw = (found[1], found[2]) if found[1] else (found[3], found[4])
        return f"{kind} {global_id(kind.capitalize(), raw)}"

    return _NAMED_ID.sub(shown, message)


def article(noun: str) -> str:
    """``noun`` with its indefinite article: "an idea", "an Experiment", "a release"."""
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


def raw_id(value: str, type_name: str, field: str) -> str:
    """Accept ``Idea:…`` global ids (as the API hands them out) or the bare UUID."""
    try:
        decoded = relay.GlobalID.from_id(value)
    except Exception:
        decoded = None
    if decoded is not None and decoded.type_name == type_name:
        candidate = decoded.node_id
    elif decoded is not None and decoded.type_name:
        raise InvalidInputError(
            field,
            f"expected the id of {article(type_name.lower())}, "
            f"not of {article(decoded.type_name.lower())}",
        )
    else:
        candidate = value
    try:
        return str(uuid.UUID(candidate))
    except ValueError:
        raise InvalidInputError(
            field, f"{value!r} is not the id of {article(type_name.lower())}"
        ) from None
