"""Global ids: ``Idea`` and ``Experiment`` ids are Relay global ids; inputs also take raw ids."""

from __future__ import annotations

import uuid

from strawberry import relay

from innovation.domain.errors import InvalidInputError


def global_id(type_name: str, raw: str) -> str:
    return str(relay.GlobalID(type_name, raw))


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
            field, f"expected the id of a {type_name}, not of a {decoded.type_name}"
        )
    else:
        candidate = value
    try:
        return str(uuid.UUID(candidate))
    except ValueError:
        raise InvalidInputError(field, f"{value!r} is not an id of a {type_name}") from None
