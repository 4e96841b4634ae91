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
    connection_params: dict[str, Any] | None = None

    @classmethod
    def for_request(cls, services: Services, principal: Principal | None = None) -> Context:
        return cls(services=services, principal=principal, loaders=Loaders(services.database))
