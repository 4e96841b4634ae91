"""Subscriptions over websockets (graphql-transport-ws): the log's new events as they commit."""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from innovation.api.context import Context
from innovation.api.log_types import LogEvent
from innovation.api.permissions import can
from innovation.api.queues import invalid
from innovation.domain import AGGREGATES, deliveries
from innovation.projections.history import entry

TOKEN_RECHECK_SECONDS = 1.0
"""How often a running subscription checks that its token is still live (through the token
cache, which forgets it within ``tokens.WATCH_SECONDS`` of a revocation anywhere): a revoked
token stops receiving within both."""

REVOKED = "the token was revoked: connect again with a live one"

KINDS = tuple(aggregate.stream_prefix for aggregate in AGGREGATES)
"""How the log's streams begin: ``idea-``, ``experiment-``, ``release-``, ``delivery-``."""
ADMINS_ONLY = (deliveries.STREAM_PREFIX,)
"""Streams only an admin follows: the digest outbox's deliveries name their recipients and
carry the mail server's answers, which nothing else in the API shows."""


def could_match(prefix: str, kinds: tuple[str, ...] = KINDS) -> bool:
    """Whether some stream of these kinds may begin with ``prefix`` (``idea``, ``idea-0190…``)."""
    return any(kind.startswith(prefix) or prefix.startswith(kind) for kind in kinds)


@strawberry.type
class Subscription:
    @strawberry.subscription(
        permission_classes=[can("events")],
        description="Events appended from now on, in log order; streamPrefix narrows them "
        "(idea-, experiment-, release-, or one stream's full id). The digest outbox's "
        "delivery- streams (recipients, the mail server's answers) reach admins only.",
    )
    async def events(
        self,
        info: Info[Context, None],
        stream_prefix: str | None = None,
        after: Annotated[
            int | None,
            strawberry.argument(
                description="Start after this log position (e.g. pipeline.position), so "
                "nothing appended since is missed; default: from now on."
            ),
        ] = None,
    ) -> AsyncGenerator[LogEvent, None]:
        if after is not None and after < 0:
            raise invalid("after must be a log position: 0 or more", "after")
        principal = info.context.principal
        hidden = () if principal is not None and principal.role == "admin" else ADMINS_ONLY
        shown = tuple(kind for kind in KINDS if kind not in hidden)
        if stream_prefix and not could_match(stream_prefix, shown):  # nothing would arrive
            refused = " (delivery- streams reach admins only)" if hidden else ""
            raise invalid(
                f"streamPrefix must begin as the log's streams do: {', '.join(shown)}{refused}",
                "streamPrefix",
            )
        services, token = info.context.services, info.context.token
        if after is not None and after > (end := await services.store.last_position()):
            # a position from another database, or a typo: nothing would ever arrive
            raise invalid(f"after must be a log position: the log ends at {end}", "after")
        checked = time.monotonic()
        async for record in services.follower.subscribe(after):
            if stream_prefix and not record.stream_id.startswith(stream_prefix):
                continue
            if record.stream_id.startswith(hidden):
                continue
            if token is not None and time.monotonic() - checked >= TOKEN_RECHECK_SECONDS:
                if await services.tokens.principal(token) is None:
                    raise GraphQLError(REVOKED, extensions={"code": "UNAUTHENTICATED"})
                checked = time.monotonic()
            yield LogEvent.of(entry(services.store.mapper, record))
