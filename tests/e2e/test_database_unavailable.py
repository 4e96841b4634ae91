"""The database cannot be reached (a server restarting, a network cut) or take writes (its disk
full, read-only): clients are told so, and the log holds one line a request, not a traceback."""

from __future__ import annotations

import errno
import sqlite3
from typing import Any

import asyncpg
import httpx
import pytest
import sqlalchemy as sa

from innovation.api.schema import CANCELLED, UNAVAILABLE
from innovation.bootstrap import Services
from innovation.store import Database
from innovation.store.errors import (
    ConnectionLostError,
    out_of_space,
    said,
    unavailable,
    writes_stopped,
)
from innovation.store.sqlite_log import driver
from tests.e2e.conftest import Api


async def test_a_request_whose_token_cannot_be_looked_up_is_503_with_retry_after(
    client: httpx.AsyncClient,
    app_services: Services,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
):
    async def refused(*_: Any) -> None:
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(app_services.tokens, "principal", refused)

    response = await client.post(
        "/graphql", json={"query": "{ me { name } }"}, headers={"Authorization": "Bearer inv_x"}
    )

    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json() == {"status_code": 503, "detail": UNAVAILABLE}
    assert all(record.exc_info is None for record in caplog.records)
    assert any("the database is unavailable" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("cause", "told", "logged"),
    [
        (
            ConnectionResetError(104, "reset by peer"),
            UNAVAILABLE,
            "ConnectionResetError: [Errno 104] reset by peer",
        ),
        (
            asyncpg.QueryCanceledError("canceling statement due to statement timeout"),
            CANCELLED,
            "QueryCanceledError: canceling statement due to statement timeout",
        ),
    ],
    ids=["connection-lost", "statement-cancelled"],
)
async def test_an_operation_that_loses_the_database_is_told_so_not_of_a_bug(
    api: Api,
    app_services: Services,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    cause: Exception,
    told: str,
    logged: str,
):
    await api.data("{ me { name } }")  # the token is known now
    lost = sa.exc.OperationalError("SELECT 1", {}, cause)

    def gone(*_: Any, **__: Any) -> None:
        raise lost

    monkeypatch.setattr(app_services.releases, "release", gone)

    body = await api('{ release(period: "2025-H1") { period } }')

    [error] = body["errors"]
    assert error["message"] == told
    assert error["extensions"] == {"code": "SERVICE_UNAVAILABLE"}
    assert all(record.exc_info is None for record in caplog.records)
    # One line in the driver's words: not the statement, nor the values it was given.
    [warning] = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    assert (
        warning == f"an anonymous operation at ['release']: the database is unavailable: {logged}"
    )


def test_an_error_is_said_in_the_driver_s_words_without_the_statement_or_its_values():
    locked = sqlite_error("database is locked", sqlite3.SQLITE_BUSY)
    wrapped = sa.exc.OperationalError(
        "INSERT INTO ideas_view (title) VALUES (?)", ("A private title",), locked
    )

    assert said(wrapped) == "OperationalError: database is locked"
    assert said(ConnectionRefusedError(111, "Connection\nrefused")) == (
        "ConnectionRefusedError: [Errno 111] Connection refused"
    )
    assert said(TimeoutError()) == "TimeoutError"


def sqlite_error(message: str, code: int) -> sqlite3.OperationalError:
    """The driver's error as SQLite raises it, with its result code."""
    error = sqlite3.OperationalError(message)
    error.sqlite_errorcode = code  # type: ignore[attr-defined]
    return error


def test_what_counts_as_unavailable_and_what_is_a_bug():
    busy = sqlite_error("database is locked", sqlite3.SQLITE_BUSY)
    broken_sql = sqlite_error("no such table: events", sqlite3.SQLITE_ERROR)
    wrapped = sa.exc.OperationalError("SELECT 1", {}, busy)
    try:
        try:
            raise ConnectionRefusedError(111, "refused")
        except ConnectionRefusedError:
            raise ValueError("a bug while handling it") from None
    except ValueError as error:
        bug_after_outage = error

    assert unavailable(ConnectionRefusedError(111, "refused"))
    assert unavailable(asyncpg.InterfaceError("connection is closed"))  # met through asyncpg
    assert unavailable(ConnectionLostError("the database connection ended: state 12"))
    assert not unavailable(asyncpg.InterfaceError("another operation is in progress"))
    assert unavailable(TimeoutError())
    assert unavailable(asyncpg.QueryCanceledError("canceling statement due to user request"))
    assert unavailable(asyncpg.LockNotAvailableError("canceling statement due to lock timeout"))
    assert unavailable(asyncpg.DeadlockDetectedError("deadlock detected"))
    assert unavailable(wrapped)
    assert not unavailable(sa.exc.OperationalError("SELECT", {}, broken_sql))
    assert not unavailable(ValueError("a bug"))
    assert not unavailable(bug_after_outage)


SUBMIT = """
mutation($input: SubmitIdeaInput!) {
  submitIdea(input: $input) { idea { id } errors { code message field } }
}"""


async def test_a_write_the_disk_cannot_hold_is_told_so_and_leaves_nothing_half_written(
    api: Api,
    client: httpx.AsyncClient,
    database: Database,
    backend: str,
    caplog: pytest.LogCaptureFixture,
):
    if backend != "sqlite":
        pytest.skip("SQLite's max_page_count stands in for a full disk")

    def cap(connection: sa.Connection) -> int:  # the writer's connection may grow no further
        pages = int(connection.exec_driver_sql("PRAGMA page_count").scalar_one())
        connection.exec_driver_sql(f"PRAGMA max_page_count = {pages}")
        return pages

    def events(connection: sa.Connection) -> int:
        return int(connection.exec_driver_sql("SELECT count(*) FROM events").scalar_one())

    def submission(n: int) -> dict[str, Any]:
        return {
            "title": f"Fibre-cut location from reflectometry traces, number {n}",
            "summary": "A start-up reads the light echoes of a damaged fibre. " * 30,
            "provenance": {"sourceKind": "STARTUP", "organisation": "Lumetrix", "country": "CA"},
            "themes": ["networks-cloud"],
        }

    before = await database.read(events)
    await database.write(cap)
    written, refused = 0, None
    for n in range(500):
        body = await api(SUBMIT, {"input": submission(n)}, as_="scout")
        if "errors" in body:
            refused = body
            break
        written += 1
    assert refused is not None, "the capped file never filled"
    after = await database.read(events)
    stopped = await client.get("/health")
    await database.write(lambda c: c.exec_driver_sql("PRAGMA max_page_count = 1073741823"))
    again = await api.data(SUBMIT, {"input": submission(1000)}, as_="scout")
    healthy = await client.get("/health")

    [error] = refused["errors"]
    assert error["message"] == (
        "the database's disk is full: nothing was written; the service's operators must see to it"
    )
    assert error["extensions"] == {"code": "SERVICE_UNAVAILABLE"}
    assert refused["data"] is None
    assert after == before + written  # the refused submission left no event behind
    assert again["submitIdea"]["idea"] is not None  # space freed: writes go on
    # monitors learn it: the database still answers reads, but writes do not get in
    assert stopped.status_code == 503
    assert stopped.json()["status"] == "unavailable"
    assert stopped.json()["writes"] == "the database's disk is full"
    assert stopped.json()["position"] == after
    assert healthy.status_code == 200
    assert "writes" not in healthy.json()
    told = [r for r in caplog.records if "disk is full" in r.getMessage()]
    assert [r.levelname for r in told] == ["ERROR"]
    assert all(record.exc_info is None for record in caplog.records)


async def test_a_database_that_takes_no_writes_is_told_so(
    api: Api, database: Database, backend: str, caplog: pytest.LogCaptureFixture
):
    if backend != "sqlite":
        pytest.skip("SQLite's query_only stands in for a read-only file (or a standby)")
    submission = {
        "title": "Fibre-cut location from reflectometry traces",
        "summary": "A start-up reads the light echoes of a damaged fibre.",
        "provenance": {"sourceKind": "STARTUP", "organisation": "Lumetrix", "country": "CA"},
        "themes": ["networks-cloud"],
    }

    def stop_writes(connection: sa.Connection) -> sqlite3.Connection:
        connection.exec_driver_sql("PRAGMA query_only = ON")
        return driver(connection)  # the writer's own, to let writes in again from here

    writer = await database.write(stop_writes)
    refused = await api(SUBMIT, {"input": submission}, as_="scout")
    writer.execute("PRAGMA query_only = OFF")  # no write can begin, so none runs meanwhile
    again = await api.data(SUBMIT, {"input": submission}, as_="scout")

    [error] = refused["errors"]
    assert error["message"] == (
        "the database takes no writes (it is read-only): nothing was written;"
        " the service's operators must see to it"
    )
    assert error["extensions"] == {"code": "SERVICE_UNAVAILABLE"}
    assert again["submitIdea"]["idea"] is not None
    told = [r for r in caplog.records if "read-only" in r.getMessage()]
    assert [r.levelname for r in told] == ["ERROR"]
    assert all(record.exc_info is None for record in caplog.records)


def test_a_full_disk_is_told_apart_from_other_failures():
    full = sqlite_error("database or disk is full", sqlite3.SQLITE_FULL)
    readonly = sqlite_error("attempt to write a readonly database", sqlite3.SQLITE_READONLY)

    assert out_of_space(sa.exc.OperationalError("COMMIT", {}, full))
    assert out_of_space(asyncpg.DiskFullError("could not extend file"))
    assert out_of_space(OSError(errno.ENOSPC, "No space left on device"))
    assert unavailable(full)
    assert not out_of_space(readonly)
    assert not out_of_space(ConnectionRefusedError(111, "refused"))
    assert writes_stopped(full) == "the database's disk is full"
    # read-only: a file that may not be written, or a PostgreSQL standby after a failover
    standby = asyncpg.ReadOnlySQLTransactionError(
        "cannot execute INSERT in a read-only transaction"
    )
    for stopped in (readonly, sa.exc.InternalError("INSERT", {}, standby)):
        assert writes_stopped(stopped) == "the database takes no writes (it is read-only)"
        assert unavailable(stopped)
    assert writes_stopped(ConnectionRefusedError(111, "refused")) is None
    assert not unavailable(sqlite_error("no such table: events", sqlite3.SQLITE_ERROR))
