"""The per-request GraphQL context: the caller, the services, and this request's loaders."""

from __future__ import annotations

from typing import Any

from strawberry.litestar import BaseContext

from innovation.api.loaders import Loaders
from innovation.bootstrap import Services
from innovation.tokens import Principal


class Context(BaseContext, kw_only=True):
    services: Services
    loaders: Loaders
    principal: Principal | None = None
    token: str | None = None
    """A websocket's token, kept to check it is still live while its subscriptions run."""
    connection_params: dict[str, Any] | None = None

    @classmethod
    def for_request(cls, services: Services, principal: Principal | None = None) -> Context:
        return cls(services=services, principal=principal, loaders=Loaders(services.database))


def bearer(value: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header's value."""
    if not value:
        return None
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def principal_for(services: Services, token: str | None) -> Principal | None:
    if token is None:
        return None
    return await services.tokens.principal(token)
