"""What the HTTP layer answers to bodies it cannot use, and what it writes to the log."""

from __future__ import annotations

import json
import logging

import pytest
import websockets
from litestar import Litestar

from tests.e2e.conftest import Api
from tests.helpers import post_messages

ME = "{ me { name } }"


def headers(api: Api) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.tokens['lead']}", "Content-Type": "application/json"}


@pytest.mark.parametrize("body", [b'"hello"', b"null", b"123", b"true"])
async def test_a_json_body_that_is_not_an_object_is_a_bad_request(api: Api, body: bytes):
    response = await api.client.post("/graphql", content=body, headers=headers(api))

    assert response.status_code == 400, response.text
    assert "JSON object" in response.text


async def test_a_body_that_is_not_utf8_is_a_bad_request(api: Api):
    body = b'{"query": "{ me { name } }", "x": "\xff\xfe"}'

    response = await api.client.post("/graphql", content=body, headers=headers(api))

    assert response.status_code == 400, response.text
    assert "UTF-8" in response.text


async def test_a_subscription_over_http_is_refused_with_the_way_to_subscribe(api: Api):
    response = await api.post("subscription { events { position } }")

    assert response.status_code == 400, response.text
    assert "websocket" in response.text
    assert "graphql-transport-ws" in response.text


TWO_OPERATIONS = "query Themes { themes } query Me { me { role } }"


@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_a_document_of_several_operations_must_name_the_one_to_run(api: Api, method: str):
    asked = {"query": TWO_OPERATIONS}
    if method == "POST":
        response = await api.client.post("/graphql", json=asked, headers=headers(api))
    else:
        response = await api.client.get("/graphql", params=asked, headers=headers(api))

    assert response.status_code == 400, response.text
    assert "2 operations (Themes, Me)" in response.text
    assert "operationName" in response.text

    named = await api.client.post(
        "/graphql", json={**asked, "operationName": "Me"}, headers=headers(api)
    )
    assert named.status_code == 200, named.text
    assert named.json() == {"data": {"me": {"role": "LEAD"}}}


async def test_a_server_failure_is_logged_with_its_traceback_and_not_shown(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    from innovation.tokens import Tokens

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("token table is on fire")

    monkeypatch.setattr(Tokens, "principal", broken)

    with caplog.at_level(logging.INFO):
        response = await api.post(ME)

    assert response.status_code == 500
    assert "fire" not in response.text
    [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert record.exc_info is not None
    assert "token table is on fire" in str(record.exc_info[1])
    assert "POST /graphql" in record.getMessage()


async def test_a_client_leaving_mid_body_is_one_info_line_not_an_error(
    app: Litestar, tokens: dict[str, str], caplog: pytest.LogCaptureFixture
):
    """A closed tab or a load balancer's timeout is no failure of ours: no traceback in the log."""
    body = json.dumps({"query": ME}).encode()
    incoming = [
        {"type": "http.request", "body": body[:5], "more_body": True},
        {"type": "http.disconnect"},
    ]
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"authorization", f"Bearer {tokens['lead']}".encode()),
    ]

    with caplog.at_level(logging.INFO):
        sent = await post_messages(app, incoming, headers)

    [start] = [message for message in sent if message["type"] == "http.response.start"]
    assert start["status"] == 400
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("left before sending its body" in r.getMessage() for r in caplog.records)


async def test_a_websocket_frame_that_is_not_an_object_is_refused_by_the_protocol(
    live_server: str, tokens: dict[str, str]
):
    url = live_server.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as socket_:
        await socket_.send(
            json.dumps(
                {
                    "type": "connection_init",
                    "payload": {"Authorization": f"Bearer {tokens['lead']}"},
                }
            )
        )
        assert json.loads(await socket_.recv())["type"] == "connection_ack"
        await socket_.send("123")
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await socket_.recv()

    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4400
