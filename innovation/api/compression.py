"""GraphQL answers gzip-compressed for the clients that take it.

An ASGI middleware on the GraphQL controller, outside ``Front``: whatever answers a request
(``Front``, a kept answer, the controller), a whole answer of at least ``SMALLEST`` bytes goes
out gzip-compressed when the request's ``Accept-Encoding`` takes gzip. GraphiQL's schema
(introspection) answer is 143 KB, 17 KB compressed, and a page of 100 ideas with their
experiments 24 to 31 KB, 3 to 6.5 KB: sent whole, the schema alone was more than the rest of a
reloaded GraphiQL page, whose files are answered 304 (``assets.py``).

A compressed answer is another representation of the same answer, so it has an ``ETag`` of its
own: the answer's, ending in ``-gzip``. A client that sends it back in ``If-None-Match`` is
asked about the answer it names (the inner layers see the answer's own tag) and is answered
304 with the tag it holds. An answer with an ``ETag`` (a function of its key, ``answers.py``)
is compressed once and kept, within a byte budget, like the answers themselves: a repeated
answer costs no compression.

Left as they are: clients that do not take gzip (their answers carry no ``Vary``: nothing but
the caller's own browser keeps answers, ``private``, and it always asks the same way), smaller
answers, answers already encoded, and streams (a subscription's multipart answer).
"""

from __future__ import annotations

import zlib
from typing import cast

from litestar.types import ASGIApp, HTTPResponseStartEvent, Message, Receive, Scope, Send

from innovation.api.answers import LARGEST_SHARE
from innovation.api.pages import accepts_gzip, gzip_tag
from innovation.kept import Kept

SMALLEST = 1024
"""Answers below this many bytes go out whole: gzip's own framing and the work outweigh it."""
LEVEL = 1
"""zlib's fastest level (nginx's default too): a page of 100 ideas in 0.05 to 0.13 ms, to 3.1
and 6.5 KB, where level 6 took 0.13 to 0.24 ms for 2.5 and 5.9 KB. Most answers are made once
and sent once, on the event loop's thread."""
_SUFFIX = gzip_tag('""')[1:].encode()
"""How a compressed answer's tag ends (``-gzip"``)."""


class Packed(Kept[bytes, bytes]):
    """Compressed answers by their answer's ``ETag``, within a byte budget: one for a
    process's GraphQL routes."""

    def __init__(self, budget: int) -> None:
        super().__init__(budget, weigh=len, largest=budget // LARGEST_SHARE)
        self.made = 0
        """Answers compressed, for tests to see a kept one reused."""

    def of(self, body: bytes, etag: bytes | None) -> bytes:
        """``body`` compressed; kept by ``etag`` when it has one (its answer never changes)."""
        kept = None if etag is None else self.get(etag)
        if kept is not None:
            return kept
        self.made += 1
        packed = zlib.compress(body, LEVEL, wbits=31)  # gzip's framing, no file name or time
        if etag is not None:
            self.keep(etag, packed)
        return packed


class Gzipped:
    """See the module docstring; ``packed`` keeps the compressed answers."""

    def __init__(self, app: ASGIApp, packed: Packed) -> None:
        self.app = app
        self.packed = packed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        accept_encoding = held = None
        for name, value in scope["headers"]:
            if name == b"accept-encoding" and accept_encoding is None:
                accept_encoding = value
            elif name == b"if-none-match" and held is None:
                held = value
        if accept_encoding is None or not accepts_gzip(accept_encoding.decode("latin-1")):
            await self.app(scope, receive, send)
            return
        if held is not None and _SUFFIX in held:  # the inner layers know the answer's own tag
            plain = [
                (n, v.replace(_SUFFIX, b'"') if n == b"if-none-match" else v)
                for n, v in scope["headers"]
            ]
            scope = cast(Scope, {**scope, "headers": plain})
        await self.app(scope, receive, self._sender(send, held))

    def _sender(self, send: Send, held: bytes | None) -> Send:
        start: HTTPResponseStartEvent | None = None

        async def sending(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = cast(HTTPResponseStartEvent, message)
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            opening, start = start, None
            body = message.get("body", b"")
            if message.get("more_body", False):  # a stream: it goes out as it comes
                await send(opening)
                await send(message)
                return
            await self._send_whole(send, opening, body, held)

        return sending

    async def _send_whole(
        self, send: Send, start: HTTPResponseStartEvent, body: bytes, held: bytes | None
    ) -> None:
        status = start["status"]
        headers = [(bytes(name), bytes(value)) for name, value in start.get("headers", ())]
        found = {name.lower(): value for name, value in reversed(headers)}
        etag = found.get(b"etag")
        if status == 304 and etag is not None and held is not None and _gzip_tag(etag) in held:
            # The client holds the compressed answer: it is told so by the tag it holds.
            headers = _replaced(headers, {b"etag": _gzip_tag(etag), b"vary": _vary(found)})
        elif status == 200 and len(body) >= SMALLEST and b"content-encoding" not in found:
            body = self.packed.of(body, etag)
            replaced = {
                b"content-length": b"%d" % len(body),
                b"vary": _vary(found),
                b"content-encoding": b"gzip",
            }
            if etag is not None:
                replaced[b"etag"] = _gzip_tag(etag)
            headers = _replaced(headers, replaced)
        await send(
            HTTPResponseStartEvent(type="http.response.start", status=status, headers=headers)
        )
        await send({"type": "http.response.body", "body": body, "more_body": False})


def _vary(found: dict[bytes, bytes]) -> bytes:
    """The ``Vary`` header with ``Accept-Encoding`` among what it names."""
    vary = found.get(b"vary")
    return b"Accept-Encoding" if not vary else vary + b", Accept-Encoding"


def _gzip_tag(etag: bytes) -> bytes:
    return gzip_tag(etag.decode("latin-1")).encode("latin-1")


def _replaced(
    headers: list[tuple[bytes, bytes]], values: dict[bytes, bytes]
) -> list[tuple[bytes, bytes]]:
    """``headers`` with ``values`` in place of the headers of their names, present or not."""
    kept = [(name, value) for name, value in headers if name.lower() not in values]
    return kept + list(values.items())
