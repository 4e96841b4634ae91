"""API tokens: shown once when created, stored only as SHA-256 digests, compared in constant time.

A token is ``inv_`` followed by 43 URL-safe characters (256 random bits). Looking it up by its
digest means the secret itself never reaches the database, its logs or its backups.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
import uuid
from datetime import datetime

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from innovation.store.tables import UTCDateTime, metadata

ROLES = ("scout", "lead", "ethics", "executive", "admin")
PREFIX = "inv_"

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("token_id", sa.Uuid, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("email", sa.String(320)),
    sa.Column("digest", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("revoked_at", UTCDateTime),
    sa.CheckConstraint(
        "role IN ('scout', 'lead', 'ethics', 'executive', 'admin')", name="known_role"
    ),
)


class UnknownRoleError(ValueError):
    """A role outside ``ROLES`` was asked for."""


class Principal(msgspec.Struct, frozen=True):
    """The caller behind a valid token."""

    token_id: uuid.UUID
    name: str
    role: str
    email: str | None = None

    @property
    def actor(self) -> str:
        """How events record this caller: stable across renames, readable in the log."""
        return f"{self.role}:{self.name}"


class TokenInfo(msgspec.Struct, frozen=True):
    token_id: uuid.UUID
    name: str
    role: str
    email: str | None
    created_at: datetime
    revoked_at: datetime | None


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    connection: Connection, *, name: str, role: str, email: str | None, now: datetime
) -> tuple[Principal, str]:
    """Store a new token's digest; return the principal and the secret (shown once, never kept)."""
    if role not in ROLES:
        raise UnknownRoleError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if not name.strip():
        raise ValueError("a token needs a name")
    secret = PREFIX + secrets.token_urlsafe(32)
    token_id = uuid.uuid4()
    connection.execute(
        api_tokens.insert().values(
            token_id=token_id,
            name=name.strip(),
            role=role,
            email=email or None,
            digest=digest(secret),
            created_at=now,
        )
    )
    return Principal(token_id, name.strip(), role, email or None), secret


def list_tokens(connection: Connection) -> list[TokenInfo]:
    rows = connection.execute(
        sa.select(
            api_tokens.c.token_id,
            api_tokens.c.name,
            api_tokens.c.role,
            api_tokens.c.email,
            api_tokens.c.created_at,
            api_tokens.c.revoked_at,
        ).order_by(api_tokens.c.created_at, api_tokens.c.name)
    )
    return [TokenInfo(*row) for row in rows]


def revoke_token(connection: Connection, which: str, now: datetime) -> int:
    """Revoke the live tokens whose id or name is ``which``; return how many were revoked."""
    condition = api_tokens.c.name == which
    with contextlib.suppress(ValueError):  # not an id: match by name only
        condition = sa.or_(condition, api_tokens.c.token_id == uuid.UUID(which))
    result = connection.execute(
        api_tokens.update()
        .where(condition)
        .where(api_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(result.rowcount)


def authenticate(connection: Connection, secret: str) -> Principal | None:
    """The live token's principal, or None; the digest comparison takes constant time."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    wanted = digest(secret)
    row = connection.execute(
        sa.select(
            api_tokens.c.token_id,
            api_tokens.c.name,
            api_tokens.c.role,
            api_tokens.c.email,
            api_tokens.c.digest,
        )
        .where(api_tokens.c.digest == wanted)
        .where(api_tokens.c.revoked_at.is_(None))
    ).first()
    if row is None or not hmac.compare_digest(row.digest, wanted):
        return None
    return Principal(row.token_id, row.name, row.role, row.email)
