"""Who may do what: one table of operations and roles, checked on every operation.

Reads are open to every role; each change is open to the roles whose work it is. The ethics
verdict belongs to the independent ethics council alone, so not even ``admin`` may record it.
``tests/e2e/test_permissions.py`` walks every operation with every role and with no token.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from strawberry.permission import BasePermission
from strawberry.types import Info

from innovation.tokens import ROLES, Principal

EVERYONE = frozenset(ROLES)
LEADS = frozenset({"lead", "admin"})

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
    # mutations
    "submitIdea": frozenset({"scout", "lead", "admin"}),
    "reviseIdea": frozenset({"scout", "lead", "admin"}),  # scouts: their own ideas only
    "scoreIdea": LEADS,
    "advanceIdea": LEADS,
    "rejectIdea": LEADS,
    "mergeIdea": LEADS,
    "startExperiment": LEADS,
    "recordMeasurement": LEADS,
    "concludeExperiment": LEADS,
    "overrideValidation": LEADS,
    "requestEthicsReview": LEADS,
    "recordEthicsReview": frozenset({"ethics"}),
    # subscriptions
    "events": EVERYONE,
}


def allowed(principal: Principal | None, operation: str) -> bool:
    return principal is not None and principal.role in PERMISSIONS[operation]


class RoleRequired(BasePermission):
    """Refuses callers whose role is not listed for ``operation``; see ``can``."""

    operation = ""
    message = "FORBIDDEN"
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
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
