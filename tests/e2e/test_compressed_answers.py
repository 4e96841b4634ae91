"""GraphQL answers go out gzip-compressed to the clients that take gzip, with an ETag of their
own, compressed once when they repeat, and whole to everyone else."""

from __future__ import annotations

import gzip
from typing import Any

import pytest

from innovation.api import compression
from innovation.api.compression import Gzipped, Packed
from tests.e2e.conftest import Api
from tests.integration.world import World

PAGE = "{ ideas(first: 20) { edges { node { title summary provenance { organisation } } } } }"
LONG = "Pushes the right product sheet to the agent while the customer is still on the line. " * 4


async def ask(
    api: Api, query: str, encoding: str, held: str | None = None, method: str = "POST"
) -> Any:
    headers = {"Authorization": f"Bearer {api.tokens['lead']}", "Accept-Encoding": encoding}
    if held is not None:
        headers["If-None-Match"] = held
    if method == "GET":
        return await api.client.get("/graphql", params={"query": query}, headers=headers)
    return await api.client.post("/graphql", json={"query": query}, headers=headers)


@pytest.fixture
async def ideas(world: World) -> None:
    for number in range(6):
        await world.submit(title=f"Conversation analytics {number}", summary=LONG)


@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_an_answer_goes_out_gzipped_to_a_client_taking_gzip_and_whole_to_others(
    api: Api, ideas: None, method: str
):
    """Both ways a query arrives (a JSON ``POST``, which ``Front`` answers, and a ``GET``, which
    the controller does): the same answer, compressed, with the answer's tag ending in -gzip."""
    whole = await ask(api, PAGE, "identity", method=method)
    packed = await ask(api, PAGE, "gzip, deflate, br", method=method)

    assert whole.status_code == packed.status_code == 200
    assert "content-encoding" not in whole.headers
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.headers["vary"] == "Accept-Encoding"
    assert int(packed.headers["content-length"]) < len(whole.content) / 4
    assert packed.content == whole.content  # the client decoded it
    assert packed.headers["etag"] == whole.headers["etag"][:-1] + '-gzip"'
    assert packed.headers["cache-control"] == whole.headers["cache-control"]


async def test_a_client_holding_the_compressed_answer_is_answered_304_with_its_tag(
    api: Api, ideas: None, world: World
):
    first = await ask(api, PAGE, "gzip")
    held = first.headers["etag"]

    again = await ask(api, PAGE, "gzip", held=held)
    plain_tag = await ask(api, PAGE, "gzip", held=held.replace("-gzip", ""))
    await world.submit(title="Fibre fault prediction from line telemetry", summary=LONG)
    after_a_write = await ask(api, PAGE, "gzip", held=held)

    assert again.status_code == 304
    assert again.headers["etag"] == held
    assert again.content == b""
    assert plain_tag.status_code == 304  # the answer's own tag, held from a whole answer
    assert plain_tag.headers["etag"] == held.replace("-gzip", "")
    assert after_a_write.status_code == 200
    assert after_a_write.headers["etag"] != held
    assert "Fibre fault prediction" in after_a_write.text


async def test_a_repeated_answer_is_compressed_once(
    api: Api, ideas: None, world: World, monkeypatch: pytest.MonkeyPatch
):
    made: list[int] = []
    compress = compression.zlib.compress

    def counted(body: bytes, *args: Any, **kwargs: Any) -> bytes:
        made.append(len(body))
        return compress(body, *args, **kwargs)

    monkeypatch.setattr(compression.zlib, "compress", counted)
    answers = [await ask(api, PAGE, "gzip") for _ in range(3)]
    await world.submit(title="Fibre fault prediction from line telemetry", summary=LONG)
    changed = await ask(api, PAGE, "gzip")

    assert len({answer.text for answer in answers}) == 1
    assert len(made) == 2  # once for the three, once after the write
    assert changed.text != answers[0].text


async def test_small_answers_go_out_whole(api: Api):
    answer = await ask(api, "{ __typename }", "gzip")

    assert answer.json() == {"data": {"__typename": "Query"}}
    assert "content-encoding" not in answer.headers


async def test_a_stream_goes_out_as_it_comes():
    """A response in several parts (a subscription's multipart answer) is not held back."""
    parts = [
        {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"x")]},
        {"type": "http.response.body", "body": b"a" * 4096, "more_body": True},
        {"type": "http.response.body", "body": b"b" * 4096, "more_body": False},
    ]

    async def streaming(scope: Any, receive: Any, send: Any) -> None:
        for part in parts:
            await send(part)

    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {"type": "http", "headers": [(b"accept-encoding", b"gzip")]}
    await Gzipped(streaming, Packed(1 << 20))(scope, None, send)  # type: ignore[arg-type]

    assert sent == parts


async def test_a_whole_answer_is_compressed_once_kept_by_its_tag_within_the_budget():
    tagged = [(b"etag", b'"one"')]
    body = b'{"data": "' + b"x" * 8192 + b'"}'

    async def answering(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": tagged})
        await send({"type": "http.response.body", "body": body})

    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {"type": "http", "headers": [(b"accept-encoding", b"gzip;q=0.5, br")]}
    kept, unkept = Gzipped(answering, Packed(1 << 20)), Gzipped(answering, Packed(0))
    for middleware in (kept, kept, unkept, unkept):
        await middleware(scope, None, send)  # type: ignore[arg-type]

    bodies = [message["body"] for message in sent if message["type"] == "http.response.body"]
    assert {gzip.decompress(packed) for packed in bodies} == {body}
    assert (kept.packed.made, unkept.packed.made) == (1, 2)
    starts = [dict(message["headers"]) for message in sent if "status" in message]
    assert all(headers[b"etag"] == b'"one-gzip"' for headers in starts)
    assert all(headers[b"content-length"] == b"%d" % len(bodies[0]) for headers in starts)
