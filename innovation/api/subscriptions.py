"""Subscriptions over websockets (graphql-transport-ws): the log's new events as they commit."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry
from strawberry.types import Info

from innovation.api.context import Context
from innovation.api.log_types import LogEvent
from innovation.api.permissions import can
from innovation.api.queues import invalid
from innovation.projections.history import entry


@strawberry.type
class Subscription:
    @strawberry.subscription(
        permission_classes=[can("events")],
        description="Events appended from now on, in log order; streamPrefix narrows them "
        "(idea-, experiment-, or one stream's full id).",
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
        services = info.context.services
        async for record in services.follower.subscribe(after):
            if stream_prefix and not record.stream_id.startswith(stream_prefix):
                continue
            yield LogEvent.of(entry(services.store.mapper, record))
