"""The GraphQL schema: its root types and the limits every document must respect."""

from __future__ import annotations

import logging
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors, MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from innovation.api.mutations import Mutation
from innovation.api.queries import Query as PipelineQueries
from innovation.api.releases import ReleaseQueries
from innovation.api.subscriptions import Subscription
from innovation.config import ApiSettings

log = logging.getLogger("innovation.api")

Query = merge_types("Query", (PipelineQueries, ReleaseQueries))


def unexpected(error: GraphQLError) -> bool:
    """Mask what no one meant a client to read (a bug, a database error) and log it here.

    Refusals meant for the client (a missing role, a bad argument, a query over a limit) are
    GraphQL errors of their own and pass unmasked.
    """
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return False
    log.error("unexpected error in %s", error.path, exc_info=original)
    return True


def build_schema(limits: ApiSettings) -> strawberry.Schema:
    # Factories, so every request gets fresh extension state.
    extensions: list[Any] = [
        lambda: QueryDepthLimiter(max_depth=limits.max_depth),
        lambda: MaxAliasesLimiter(max_alias_count=limits.max_aliases),
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
        lambda: MaskErrors(should_mask_error=unexpected),
    ]
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        config=StrawberryConfig(auto_camel_case=True),
        extensions=extensions,
    )


def sdl() -> str:
    """The schema as committed in ``schema.graphql`` (limits do not change the SDL)."""
    return build_schema(ApiSettings()).as_str() + "\n"
