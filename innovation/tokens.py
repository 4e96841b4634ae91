"""API tokens: shown once when created, stored only as SHA-256 digests, compared in constant time.

A token is ``inv_`` followed by 43 URL-safe characters (256 random bits). Looking it up by its
digest means the secret itself never reaches the database, its logs or its backups.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import secrets
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from innovation.config import is_email_address
from innovation.domain.bounds import Bound
from innovation.domain.errors import InvalidInputError
from innovation.domain.values import is_text, validate_text
from innovation.store import Database
from innovation.store.readers import Failures
from innovation.store.tables import UTCDateTime, metadata

log = logging.getLogger(__name__)

ROLES = ("scout", "lead", "ethics", "executive", "admin")
PREFIX = "inv_"

NAME_LENGTH = 100

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("token_id", sa.Uuid, primary_key=True),
    sa.Column("name", sa.String(NAME_LENGTH), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("email", sa.String(320)),
    sa.Column("digest", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("revoked_at", UTCDateTime),
    sa.CheckConstraint(
        "role IN ('scout', 'lead', 'ethics', 'executive', 'admin')", name="known_role"
    ),
)


class TokenRefusedError(ValueError):
    """A token that cannot be created as asked: ``field`` names the option at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class UnknownRoleError(TokenRefusedError):
    """A role outside ``ROLES`` was asked for."""

    def __init__(self, message: str) -> None:
        super().__init__("role", message)


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
        raise TokenRefusedError("name", "a token needs a name")
    if len(name.strip()) > NAME_LENGTH:
        raise TokenRefusedError(
            "name", f"at most {NAME_LENGTH} characters, not {len(name.strip())}"
        )
    try:  # a name shows in logs, terminals and every event its holder writes: no hidden text
        name = validate_text(name, "name", Bound(1, NAME_LENGTH))
    except InvalidInputError as refused:
        raise TokenRefusedError("name", refused.message) from None
    email = (email or "").strip() or None
    if email is not None and not is_email_address(email):
        raise TokenRefusedError("email", f"{email!r} is not an e-mail address")
    secret = PREFIX + secrets.token_urlsafe(32)
    token_id = uuid.uuid4()
    connection.execute(
        api_tokens.insert().values(
            token_id=token_id,
            name=name.strip(),
            role=role,
            email=email,
            digest=digest(secret),
            created_at=now,
        )
    )
    return Principal(token_id, name.strip(), role, email), secret


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
    if not is_text(which):
        return 0  # bytes that were not UTF-8 on a command line: no name holds them
    condition = api_tokens.c.name == which
    with contextlib.suppress(ValueError):  # not an id: match by name only
        condition = sa.or_(condition, api_tokens.c.token_id == uuid.UUID(which))
    result = connection.execute(
        api_tokens.update()
        .where(condition)
        .where(api_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    REVOCATIONS.happened()
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


def revocations_made(connection: Connection) -> tuple[int, datetime | None]:
    """How many tokens were ever revoked, and when the last was: any revocation changes it."""
    revoked = api_tokens.c.revoked_at
    row = connection.execute(
        sa.select(sa.func.count(), sa.func.max(revoked)).where(revoked.is_not(None))
    ).one()
    return int(row[0]), row[1]


class Revocations:
    """How many revocations this process has made or seen made elsewhere (``Tokens.watch``): a
    change makes every remembered token stale."""

    def __init__(self) -> None:
        self.count = 0

    def happened(self) -> None:
        self.count += 1


REVOCATIONS = Revocations()

DEFAULT_REMEMBERED = 10_000
"""Most valid tokens a process remembers at once (the least recently used go first)."""
WATCH_SECONDS = 0.25
"""How often a serving process looks for revocations made elsewhere (the CLI, another server):
one small query, so that a revoked token is refused by every process within this, while no
request waits on the database to know its caller."""


class Tokens:
    """Who a token belongs to, remembered for a few seconds so a request skips the database.

    Only valid tokens are remembered, by digest (never the secret) and at most ``size`` of them:
    an unknown or revoked token is looked up every time and takes no memory, so a flood of made
    up tokens cannot grow the process. A revocation in this process (``revoke_token``) forgets
    every remembered token at once; one made by another process (the CLI, another server) does
    so when ``watch`` sees it, within ``WATCH_SECONDS``, and at the latest when the entry
    expires after ``seconds``. ``seconds=0`` remembers nothing.
    """

    def __init__(
        self,
        database: Database,
        *,
        seconds: float,
        size: int = DEFAULT_REMEMBERED,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.database = database
        self.seconds = seconds
        self.size = size
        self.clock = clock
        self._known: OrderedDict[str, tuple[Principal, float, int]] = OrderedDict()

    async def principal(self, secret: str) -> Principal | None:
        """The live token's principal, or None: from memory while fresh, else the database."""
        if not secret.startswith(PREFIX) or len(secret) > 200:
            return None
        return await self._remembered(digest(secret), partial(authenticate, secret=secret))

    async def feed_reader(self, key: str) -> Principal | None:
        """The principal of a live token's feed key, or None, remembered like tokens are."""
        if not key.startswith(FEED_PREFIX) or len(key) > 100:
            return None
        return await self._remembered(digest(key), partial(authenticate_feed_key, key=key))

    async def _remembered(
        self, key: str, lookup: Callable[[Connection], Principal | None]
    ) -> Principal | None:
        remembered = self._known.get(key)
        if remembered is not None:
            principal, expires, generation = remembered
            if generation == REVOCATIONS.count and self.clock() < expires:
                self._known.move_to_end(key)
                return principal
            del self._known[key]
        generation = REVOCATIONS.count  # read before the lookup: a revocation meanwhile wins
        found = await self.database.read(lookup)
        if found is not None and self.seconds > 0:
            self._known[key] = (found, self.clock() + self.seconds, generation)
            while len(self._known) > self.size:
                self._known.popitem(last=False)
        return found

    async def watch(
        self, every: float = WATCH_SECONDS, *, looked: asyncio.Event | None = None
    ) -> None:
        """Forget every remembered token whenever a revocation was made elsewhere since the last
        look (``looked`` is set after the first); runs until cancelled (the service's lifespan).
        """
        if self.seconds <= 0:
            return  # nothing remembered, nothing to forget
        failures = Failures("looking for revoked tokens", every, log=log)
        seen: tuple[int, datetime | None] | None = None
        while True:
            pause = every
            try:
                made = await self.database.read(revocations_made)
            except Exception as error:  # the database is away: tokens expire meanwhile
                pause = failures.failed(error)
            else:
                failures.succeeded()
                if seen is not None and made != seen:
                    REVOCATIONS.happened()
                seen = made
                if looked is not None:
                    looked.set()
            await asyncio.sleep(pause)

    def __len__(self) -> int:
        return len(self._known)


FEED_PREFIX = "fk_"
_FEED_PURPOSE = b"innovation feed key: release pages and the Atom feed, read only"


def _feed_signature(token_digest: str) -> str:
    return hmac.new(token_digest.encode(), _FEED_PURPOSE, hashlib.sha256).hexdigest()[:32]


def feed_key(token_id: uuid.UUID, token_digest: str) -> str:
    """A token's read-only feed key: derived from the token, so nothing more is stored, and
    it dies with the token (a revoked token's key opens nothing)."""
    return f"{FEED_PREFIX}{token_id.hex}.{_feed_signature(token_digest)}"


def _live(connection: Connection, condition: sa.ColumnElement[bool]) -> list[sa.Row[Any]]:
    return list(
        connection.execute(
            sa.select(
                api_tokens.c.token_id,
                api_tokens.c.name,
                api_tokens.c.role,
                api_tokens.c.email,
                api_tokens.c.digest,
            )
            .where(condition)
            .where(api_tokens.c.revoked_at.is_(None))
            .order_by(api_tokens.c.created_at, api_tokens.c.name)
        )
    )


def feed_key_of(connection: Connection, token_id: uuid.UUID) -> str | None:
    """The feed key of a live token, or None."""
    rows = _live(connection, api_tokens.c.token_id == token_id)
    return feed_key(rows[0].token_id, rows[0].digest) if rows else None


def authenticate_feed_key(connection: Connection, key: str) -> Principal | None:
    """The principal whose live token the feed key was derived from, or None."""
    if not key.startswith(FEED_PREFIX) or len(key) > 100:
        return None
    token_hex, _, signature = key[len(FEED_PREFIX) :].partition(".")
    try:
        token_id = uuid.UUID(hex=token_hex)
    except ValueError:
        return None
    rows = _live(connection, api_tokens.c.token_id == token_id)
    if not rows or not hmac.compare_digest(_feed_signature(rows[0].digest), signature):
        return None
    row = rows[0]
    return Principal(row.token_id, row.name, row.role, row.email)


def executive_addresses(connection: Connection) -> dict[str, str]:
    """Each live executive token's e-mail address, with that token's feed key."""
    rows = _live(
        connection, sa.and_(api_tokens.c.role == "executive", api_tokens.c.email.is_not(None))
    )
    return {row.email.lower(): feed_key(row.token_id, row.digest) for row in rows}
