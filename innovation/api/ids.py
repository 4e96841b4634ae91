"""Global ids: ``Idea`` and ``Experiment`` ids are Relay global ids; inputs also take raw ids."""

from __future__ import annotations

import re
import uuid

from strawberry import relay

from innovation.domain.errors import InvalidInputError


def global_id(type_name: str, raw: str) -> str:
    return str(relay.GlobalID(type_name, raw))


_NAMED_ID = re.compile(
    r"\b(idea|experiment) '([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})'"
)


def shown_ids(message: str) -> str:
    """A refusal's message with the ideas and experiments it names by their API ids.

    The domain names them as it stores them (a UUID); clients only ever see global ids.
    """
    return _NAMED_ID.sub(
        lambda found: f"{found[1]} {global_id(found[1].capitalize(), found[2])}", message
    )


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
