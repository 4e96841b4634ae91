"""The GraphQL schema: its root types and the limits every document must respect."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.extensions import MaskErrors, MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter
from strawberry.schema.config import StrawberryConfig
from strawberry.types import Info

from innovation.api.auth import can
from innovation.config import ApiSettings


@strawberry.type(description="The caller, as the token presented says.")
class Me:
    name: str
    role: str
    email: str | None


@strawberry.type
class Query:
    @strawberry.field(permission_classes=[can("me")], description="Who is calling.")
    def me(self, info: Info) -> Me:
        principal = info.context.principal
        return Me(name=principal.name, role=principal.role, email=principal.email)


def build_schema(limits: ApiSettings) -> strawberry.Schema:
    # strawberry documents extension instances; its annotation only names classes.
    extensions: list[Any] = [
        QueryDepthLimiter(max_depth=limits.max_depth),
        MaxAliasesLimiter(max_alias_count=limits.max_aliases),
        MaxTokensLimiter(max_token_count=limits.max_tokens),
        MaskErrors(),
    ]
    return strawberry.Schema(
        query=Query, config=StrawberryConfig(auto_camel_case=True), extensions=extensions
    )
