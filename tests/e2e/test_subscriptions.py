"""Subscriptions (graphql-transport-ws): new events reach subscribers within a second.

The one-second bound is the acceptance criterion itself, used as a timeout, never a sleep.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from innovation.api.app import create_app
from innovation.bootstrap import bootstrap
from innovation.config import Settings
from innovation.seed import SeedClock, load_seed, read_seed, seed_files
from innovation.store import Database
from innovation.tokens import authenticate, revoke_token
from tests.e2e.browser import serve_app
from tests.integration.world import World

WITHIN = 1.0
SEED = Path(__file__).parents[2] / "seed"
NOW = datetime(2026, 1, 5, tzinfo=UTC)
SUBSCRIPTION = """
subscription($after: Int) {
  events(streamPrefix: "idea-", after: $after) { type streamId position actor data }
}
"""
SUBMIT = """
mutation($input: SubmitIdeaInput!) { submitIdea(input: $input) { idea { id } errors { code } } }
"""


def idea(title: str) -> dict[str, Any]:
    return {
        "input": {
            "title": title,
            "summary": "Found at a partner, tried nowhere yet.",
            "provenance": {
                "sourceKind": "PARTNER",
                "organisation": "Orange Jordan",
                "country": "JO",
            },
            "themes": ["customer-experience"],
        }
    }


async def graphql(base_url: str, token: str, query: str, variables: dict | None = None) -> dict:
    async with httpx.AsyncClient(base_url=base_url) as client:
        response = await client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {token}"},
        )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


@asynccontextmanager
async def subscribed(
    base_url: str, token: str, query: str = SUBSCRIPTION
) -> AsyncIterator[websockets.ClientConnection]:
    """A graphql-transport-ws connection, subscribed (to idea events unless ``query`` says
    otherwise) from the log's end now."""
    position = (await graphql(base_url, token, "{ pipeline { position } }"))["pipeline"]["position"]
    url = base_url.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as socket_:
        await socket_.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        )
        assert json.loads(await socket_.recv())["type"] == "connection_ack"
        await socket_.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": query, "variables": {"after": position}},
                }
            )
        )
        yield socket_


async def next_event(socket_: websockets.ClientConnection) -> dict[str, Any]:
    message = json.loads(await asyncio.wait_for(socket_.recv(), timeout=WITHIN))
    assert message["type"] == "next", message
    return message["payload"]["data"]["events"]


async def test_a_subscriber_receives_what_another_request_appends_within_a_second(
    live_server: str, tokens: dict[str, str]
):
    async with subscribed(live_server, tokens["executive"]) as socket_:
        await graphql(live_server, tokens["scout"], SUBMIT, idea("Chatbot in African languages"))

        event = await next_event(socket_)

    assert event["type"] == "idea.submitted"
    assert event["actor"] == "scout:scout"
    assert event["data"]["title"] == "Chatbot in African languages"


async def test_the_digest_outbox_s_recipients_and_mail_errors_reach_admins_only(
    live_server: str, tokens: dict[str, str], world: World
):
    await world.submit(title="Fibre sensing on the Dakar ring")  # January 2024
    everything = SUBSCRIPTION.replace('streamPrefix: "idea-", ', "")
    assemble = 'mutation { assembleRelease(input: {period: "2024-H1"}) { errors { code } } }'
    async with (
        subscribed(live_server, tokens["admin"], everything) as admin,
        subscribed(live_server, tokens["scout"], everything) as scout,
    ):
        await graphql(live_server, tokens["lead"], assemble)
        admin_saw = [await next_event(admin)]
        while admin_saw[-1]["type"] != "delivery.queued":  # to the executive's address
            admin_saw.append(await next_event(admin))
        await graphql(live_server, tokens["scout"], SUBMIT, idea("Chatbot in African languages"))
        scout_saw = [await next_event(scout)]
        while scout_saw[-1]["type"] != "idea.submitted":
            scout_saw.append(await next_event(scout))

    assert admin_saw[0]["type"] == "release.published"
    assert admin_saw[-1]["data"]["recipient"] == "executive@example.org"
    assert [event["type"] for event in scout_saw] == ["release.published", "idea.submitted"]


async def test_a_connection_without_a_token_is_refused(live_server: str):
    url = live_server.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as socket_:
        await socket_.send(json.dumps({"type": "connection_init", "payload": {}}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(socket_.recv(), timeout=5)

    assert closed.value.rcvd.code == 4403


@pytest.mark.parametrize(
    ("variables", "field", "says"),
    [
        ({"after": -5}, "after", "after must be a log position: 0 or more"),
        ({"after": 999}, "after", "after must be a log position: the log ends at 1"),
        ({"prefix": "ideas-"}, "streamPrefix", "streamPrefix must begin as the log's streams do"),
        ({"prefix": "delivery-"}, "streamPrefix", "streamPrefix must begin as the log's"),
    ],
)
async def test_a_subscription_that_could_never_hear_anything_is_refused_naming_the_argument(
    live_server: str,
    tokens: dict[str, str],
    world: World,
    variables: dict[str, Any],
    field: str,
    says: str,
):
    await world.submit(title="The only idea")
    url = live_server.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as socket_:
        token = tokens["executive"]
        await socket_.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        )
        assert json.loads(await socket_.recv())["type"] == "connection_ack"
        query = SUBSCRIPTION.replace('"idea-"', "$prefix").replace(
            "($after", "($prefix: String, $after"
        )
        subscribe = {"query": query, "variables": {"prefix": "idea-", **variables}}
        await socket_.send(json.dumps({"id": "1", "type": "subscribe", "payload": subscribe}))
        message = json.loads(await asyncio.wait_for(socket_.recv(), timeout=5))

    [error] = message["payload"]["errors"]
    assert error["message"].startswith(says)
    assert error["extensions"]["field"] == field
    assert message["payload"]["data"] is None  # nothing replayed, nothing waited for


@asynccontextmanager
async def another_process(database_url: str) -> AsyncIterator[str]:
    """A second service process (``innovation serve``) on the same database."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "INNOVATION_DATABASE_URL": database_url, "INNOVATION_PORT": str(port)}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "innovation.cli",
        "serve",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base_url) as client:
            for _ in range(300):
                try:
                    if (await client.get("/health")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.returncode is not None:
                    raise RuntimeError((await process.stderr.read()).decode())  # type: ignore[union-attr]
                await asyncio.sleep(0.05)
            else:
                raise TimeoutError("the second process never became healthy")
        yield base_url
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), timeout=10)


async def test_events_appended_by_another_service_process_arrive_within_a_second(
    live_server: str, tokens: dict[str, str], database_url: str
):
    async with (
        another_process(database_url) as other,
        subscribed(live_server, tokens["lead"]) as socket_,
    ):
        await graphql(other, tokens["scout"], SUBMIT, idea("Network slicing for stadiums"))

        event = await next_event(socket_)

    assert event["type"] == "idea.submitted"
    assert event["data"]["title"] == "Network slicing for stadiums"


async def test_a_subscriber_that_leaves_mid_stream_leaves_no_error_in_the_log(
    settings: Settings,
    database: Database,
    database_url: str,
    tokens: dict[str, str],
    caplog: pytest.LogCaptureFixture,
):
    clock = SeedClock()  # the demo's log: a replay still under way when the client leaves
    seeding = bootstrap(Settings.from_env({}), clock=clock, database=database)
    await load_seed(seeding.pipeline, clock, [c for f in seed_files(SEED) for c in read_seed(f)])
    live = dataclasses.replace(
        settings, database=dataclasses.replace(settings.database, url=database_url)
    )
    app = create_app(live)
    async with serve_app(app) as base_url:
        # The app's logging set-up replaced the root logger's handlers, the test's among them.
        logging.getLogger().addHandler(caplog.handler)
        url = base_url.replace("http://", "ws://") + "/graphql"
        # The client does not read the rest, so it never sees the server's answer to its close:
        # it waits close_timeout, then drops the connection, as a closed browser tab does.
        async with websockets.connect(
            url, subprotocols=["graphql-transport-ws"], close_timeout=0.2
        ) as socket_:
            token = tokens["executive"]
            init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
            await socket_.send(json.dumps(init))
            assert json.loads(await socket_.recv())["type"] == "connection_ack"
            subscribe = {"query": SUBSCRIPTION, "variables": {"after": 0}}
            await socket_.send(json.dumps({"id": "1", "type": "subscribe", "payload": subscribe}))
            await next_event(socket_)
        follower = app.state.services.follower
        for _ in range(600):  # until the server (in a thread of its own) ends the subscription
            if not follower._subscribers:
                break
            await asyncio.sleep(0.05)
        assert not follower._subscribers, "the subscription outlived its connection"
        async with httpx.AsyncClient(base_url=base_url) as client:  # after that operation's end
            assert (await client.get("/health")).status_code == 200
        logging.getLogger().removeHandler(caplog.handler)

    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert errors == [], [record.getMessage() for record in errors]


async def test_a_revoked_token_stops_receiving_events(
    settings: Settings, database: Database, database_url: str, tokens: dict[str, str]
):
    live = dataclasses.replace(
        settings,
        database=dataclasses.replace(settings.database, url=database_url),
        api=dataclasses.replace(settings.api, token_cache_seconds=0),
    )
    received: list[dict[str, Any]] = []
    async with (
        serve_app(create_app(live)) as base_url,
        subscribed(base_url, tokens["executive"]) as socket_,
    ):
        await graphql(base_url, tokens["scout"], SUBMIT, idea("Before the revocation"))
        assert (await next_event(socket_))["data"]["title"] == "Before the revocation"
        principal = await database.read(partial(authenticate, secret=tokens["executive"]))
        assert principal is not None
        await database.write(partial(revoke_token, which=str(principal.token_id), now=NOW))

        async with asyncio.timeout(10):  # each recheck is a second apart
            while (
                not received
                or received[-1]["type"] == "next"
                and ("errors" not in received[-1]["payload"])
            ):
                await graphql(base_url, tokens["scout"], SUBMIT, idea("After the revocation"))
                with contextlib.suppress(TimeoutError):
                    received.append(json.loads(await asyncio.wait_for(socket_.recv(), 0.3)))

    [error] = received[-1]["payload"]["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert error["message"] == "the token was revoked: connect again with a live one"
    assert all(message["type"] == "next" for message in received)
