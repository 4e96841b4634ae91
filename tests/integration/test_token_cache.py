"""Tokens are checked without a database round trip per request, and revocation still holds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from innovation.store import Database, open_database
from innovation.tokens import (
    PREFIX,
    Tokens,
    api_tokens,
    create_token,
    feed_key_of,
    revoke_token,
)

NOW = datetime(2026, 3, 1, tzinfo=UTC)


class Ticks:
    """A monotonic clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class CountingDatabase:
    """The database, counting the read jobs that reach it."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.reads = 0

    async def read(self, job):  # noqa: ANN001, ANN201
        self.reads += 1
        return await self.database.read(job)


@pytest.fixture
async def other_process(database_url: str) -> AsyncIterator[Database]:
    """The same database as a second process sees it: its own connections, its own memory."""
    other = open_database(database_url)
    try:
        yield other
    finally:
        await other.close()


async def issue(database: Database, name: str = "ada") -> str:
    _, secret = await database.write(
        lambda c: create_token(c, name=name, role="lead", email=None, now=NOW)
    )
    return secret


def tokens_of(database: Database | CountingDatabase, clock: Ticks, **options: int) -> Tokens:
    return Tokens(database, seconds=5, clock=clock, **options)  # type: ignore[arg-type]


async def test_a_valid_token_is_looked_up_once_while_it_is_remembered(database: Database):
    secret = await issue(database)
    counting, clock = CountingDatabase(database), Ticks()
    tokens = tokens_of(counting, clock)

    first = await tokens.principal(secret)
    again = await tokens.principal(secret)
    clock.now += 5
    after_expiry = await tokens.principal(secret)

    assert first is not None
    assert first.name == "ada"
    assert again == first == after_expiry
    assert counting.reads == 2


async def test_an_unknown_token_is_never_remembered(database: Database):
    counting, clock = CountingDatabase(database), Ticks()
    tokens = tokens_of(counting, clock)
    made_up = PREFIX + "x" * 43

    answers = [await tokens.principal(made_up) for _ in range(3)]

    assert answers == [None, None, None]
    assert counting.reads == 3
    assert len(tokens) == 0


async def test_something_that_is_not_a_token_never_reaches_the_database(database: Database):
    counting = CountingDatabase(database)
    tokens = tokens_of(counting, Ticks())

    assert await tokens.principal("Basic dXNlcjpwYXNz") is None
    assert await tokens.principal(PREFIX + "x" * 300) is None
    assert counting.reads == 0


async def test_a_flood_of_tokens_keeps_memory_bounded(database: Database):
    secrets = [await issue(database, f"user{n}") for n in range(5)]
    tokens = tokens_of(database, Ticks(), size=3)

    for secret in secrets:
        assert await tokens.principal(secret) is not None
    for n in range(50):
        assert await tokens.principal(PREFIX + f"{n:043d}") is None

    assert len(tokens) == 3


async def test_a_revocation_in_this_process_takes_effect_at_once(database: Database):
    secret = await issue(database)
    clock = Ticks()
    tokens = tokens_of(database, clock)
    assert await tokens.principal(secret) is not None

    await database.write(lambda c: revoke_token(c, "ada", NOW))

    assert await tokens.principal(secret) is None


async def test_a_revocation_by_another_process_takes_effect_once_the_memory_expires(
    database: Database, other_process: Database
):
    secret = await issue(database)
    clock = Ticks()
    here, there = tokens_of(database, clock), tokens_of(other_process, clock)
    assert await here.principal(secret) is not None
    assert await there.principal(secret) is not None

    # What ``innovation token revoke`` does from another process: this one never hears of it.
    await other_process.write(
        lambda c: c.execute(
            api_tokens.update().where(api_tokens.c.name == "ada").values(revoked_at=NOW)
        )
    )
    within = await here.principal(secret)
    clock.now += 5

    assert within is not None  # trusted for at most INNOVATION_TOKEN_CACHE_SECONDS
    assert await here.principal(secret) is None
    assert await there.principal(secret) is None


async def test_with_no_seconds_every_request_is_checked(database: Database):
    secret = await issue(database)
    counting = CountingDatabase(database)
    tokens = Tokens(counting, seconds=0, clock=Ticks())  # type: ignore[arg-type]

    await tokens.principal(secret)
    await tokens.principal(secret)

    assert counting.reads == 2
    assert len(tokens) == 0


async def test_a_feed_key_is_remembered_like_its_token_and_dies_with_it(database: Database):
    secret = await issue(database)
    counting, clock = CountingDatabase(database), Ticks()
    tokens = tokens_of(counting, clock)
    principal = await tokens.principal(secret)
    assert principal is not None
    key = await database.read(lambda c: feed_key_of(c, principal.token_id))
    assert key is not None

    first = await tokens.feed_reader(key)
    again = await tokens.feed_reader(key)
    forged = await tokens.feed_reader(key[:-1] + ("0" if key[-1] != "0" else "1"))
    await database.write(lambda c: revoke_token(c, which="ada", now=NOW))
    revoked = await tokens.feed_reader(key)

    assert first == again == principal
    assert forged is None
    assert revoked is None
    assert counting.reads == 1 + 1 + 1 + 1, "token, key once, the forged key, after revoking"
