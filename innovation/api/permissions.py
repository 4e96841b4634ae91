"""Who may do what: one table of operations and roles, checked on every operation.

Reads are open to every role and listed here; each change is open to the roles whose work it
is, declared beside the mutation in its feature module, which adds it to the table (``grant``).
The ethics verdict belongs to the independent ethics council alone, so not even ``admin`` may
record it.
``tests/e2e/test_permissions.py`` walks every operation with every role and with no token.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from strawberry.permission import BasePermission
from strawberry.types import Info

from innovation.api.context import Context
from innovation.tokens import ROLES, Principal

EVERYONE = frozenset(ROLES)
LEADS = frozenset({"lead", "admin"})
AUTHORS = frozenset({"scout", "lead", "admin"})
"""Who brings ideas in and words them (scouts only their own, which the service checks)."""
COUNCIL = frozenset({"ethics"})
"""The independent ethics council: its verdicts are its own, not even an admin's."""

PERMISSIONS: dict[str, frozenset[str]] = {
    # queries
    "me": EVERYONE,
    "idea": EVERYONE,
    "ideas": EVERYONE,
    "experiment": EVERYONE,
    "experiments": EVERYONE,
    "pipeline": EVERYONE,
    "similarIdeas": EVERYONE,
    "history": EVERYONE,
    "node": EVERYONE,
    "themes": EVERYONE,
    # subscriptions
    "events": EVERYONE,
    # mutations: each declares its roles where it is listed (``commands.command``)
}


def grant(operation: str, roles: frozenset[str]) -> None:
    """Declare who may run ``operation``: once, where the operation is defined."""
    if operation in PERMISSIONS:
        raise ValueError(f"{operation} already has its roles")
    PERMISSIONS[operation] = roles


def allowed(principal: Principal | None, operation: str) -> bool:
    return principal is not None and principal.role in PERMISSIONS[operation]


class RoleRequired(BasePermission):
    """Refuses callers whose role is not listed for ``operation``; see ``can``."""

    operation = ""
    message = "FORBIDDEN"
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info[Context, None], **kwargs: Any) -> bool:
        if allowed(info.context.principal, self.operation):
            return True
        roles = ", ".join(sorted(PERMISSIONS[self.operation]))
        self.message = f"{self.operation} is for {roles}"
        return False


@cache
def can(operation: str) -> type[BasePermission]:
    """The permission class for one root field: ``permission_classes=[can("ideas")]``."""
    if operation not in PERMISSIONS:
        raise KeyError(f"no permission entry for {operation!r}")
    return type(f"Can_{operation}", (RoleRequired,), {"operation": operation})
