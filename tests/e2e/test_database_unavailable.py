"""The database cannot be reached (a server restarting, a network cut): clients are told to
come back shortly, and the log holds one line a request, not a traceback."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
import pytest
import sqlalchemy as sa

from innovation.api.schema import UNAVAILABLE
from innovation.bootstrap import Services
from innovation.store.errors import ConnectionLostError, unavailable
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


async def test_an_operation_that_loses_the_database_is_told_so_not_of_a_bug(
    api: Api,
    app_services: Services,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
):
    await api.data("{ me { name } }")  # the token is known now
    lost = sa.exc.OperationalError("SELECT 1", {}, ConnectionResetError(104, "reset by peer"))

    def gone(*_: Any, **__: Any) -> None:
        raise lost

    monkeypatch.setattr(app_services.releases, "release", gone)

    body = await api('{ release(period: "2025-H1") { period } }')

    [error] = body["errors"]
    assert error["message"] == UNAVAILABLE
    assert error["extensions"] == {"code": "SERVICE_UNAVAILABLE"}
    assert all(record.exc_info is None for record in caplog.records)


def test_what_counts_as_unavailable_and_what_is_a_bug():
    from sqlite3 import OperationalError

    busy = OperationalError("database is locked")
    busy.sqlite_errorcode = 5  # type: ignore[attr-defined]  # SQLITE_BUSY
    broken_sql = OperationalError("no such table: events")
    broken_sql.sqlite_errorcode = 1  # type: ignore[attr-defined]  # SQLITE_ERROR
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
    assert unavailable(wrapped)
    assert not unavailable(sa.exc.OperationalError("SELECT", {}, broken_sql))
    assert not unavailable(ValueError("a bug"))
    assert not unavailable(bug_after_outage)
