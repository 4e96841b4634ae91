"""Who is calling: API tokens (created by the CLI, stored hashed) and the roles they carry."""

from innovation.auth.tokens import (
    ROLES,
    Principal,
    TokenInfo,
    UnknownRoleError,
    api_tokens,
    authenticate,
    create_token,
    list_tokens,
    revoke_token,
)

__all__ = [
    "ROLES",
    "Principal",
    "TokenInfo",
    "UnknownRoleError",
    "api_tokens",
    "authenticate",
    "create_token",
    "list_tokens",
    "revoke_token",
]
