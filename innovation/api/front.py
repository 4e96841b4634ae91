"""Repeated questions answered before the framework does any work.

An answer kept by ``answers.py`` is a function of the request's body, its caller and the log's
end. This ASGI middleware, on the GraphQL controller alone, reads a JSON ``POST``, finds the
caller by the token and the ``ETag`` by the log's end, and when the answer is kept (or the
client already holds it: 304) sends it exactly as the controller would. A hit then costs no
handler arguments, no context, no strawberry request parsing and no Litestar response objects:
about half its time before.

Everything else goes on to the controller with its body, untouched: a miss (carrying what was
found, so neither the token nor the log's end is looked up twice), another content type, a
stream transport, a batch, a request without a valid token (the controller refuses it).
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec
from litestar.types import ASGIApp, Receive, ReceiveMessage, Scope, Send
from strawberry.http import GraphQLRequestData

from innovation.api.answers import Answers, Question, matches
from innovation.api.context import bearer, principal_for
from innovation.tokens import Principal

REVALIDATE = "private, no-cache"
"""Answers are per caller (private) and may be kept, but asked about again (``If-None-Match``)."""

ASKED = "innovation.asked"
"""The scope key under which a miss hands the controller what the middleware found."""

_STREAMS = (b"multipart/mixed", b"text/event-stream")


@dataclass(frozen=True, slots=True)
class Asked:
    """What the middleware found for a request it did not answer: the caller, the question."""

    principal: Principal
    question: Question | None


def asked(scope: Scope) -> Asked | None:
    found = scope.get(ASKED)
    return found if isinstance(found, Asked) else None


def answer_headers(etag: str) -> dict[str, str]:
    return {"ETag": etag, "Cache-Control": REVALIDATE}


class KeptAnswers:
    """See the module docstring; ``answers`` is the controller's own cache."""

    def __init__(self, app: ASGIApp, answers: Answers, max_body: int) -> None:
        self.app = app
        self.answers = answers
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":  # type: ignore[typeddict-item]
            await self.app(scope, receive, send)
            return
        # The first of a repeated name, as Litestar's headers give it.
        headers = dict(reversed(list(scope["headers"])))
        if self._plainly_json(headers) and (self.answers.budget > 0 or b"if-none-match" in headers):
            messages, body = await _read(receive, self.max_body)
            if body is not None and await self._answer(scope, headers, body, send):
                return
            receive = _replay(messages, receive)
        await self.app(scope, receive, send)

    @staticmethod
    def _plainly_json(headers: dict[bytes, bytes]) -> bool:
        kind = headers.get(b"content-type", b"").partition(b";")[0].strip().lower()
        accept = headers.get(b"accept", b"").lower()
        return (
            kind == b"application/json"
            and b"authorization" in headers
            and not any(stream in accept for stream in _STREAMS)
        )

    async def _answer(
        self, scope: Scope, headers: dict[bytes, bytes], body: bytes, send: Send
    ) -> bool:
        """Send the kept answer or a 304 and say True; else leave what was found, say False."""
        request = plain_request(body)
        if request is None:
            return False
        services = scope["litestar_app"].state.services
        secret = bearer(headers[b"authorization"].decode("latin-1"))
        principal = await principal_for(services, secret)
        if principal is None:
            return False
        question = await self.answers.question(request, principal, services.store)
        scope[ASKED] = Asked(principal, question)  # type: ignore[literal-required]
        if question is None:
            return False
        etag = question.etag.encode()
        tags = [(b"etag", etag), (b"cache-control", REVALIDATE.encode())]
        if matches(headers.get(b"if-none-match", b"").decode("latin-1"), question.etag):
            await _send(send, 304, tags, b"")
            return True
        kept = self.answers.get(question.etag)
        if kept is None:
            return False
        tags += [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(kept))]
        await _send(send, 200, tags, kept)
        return True


def plain_request(body: bytes) -> GraphQLRequestData | None:
    """A body of one JSON object with a query (and variables, an operation's name): the
    request both this and the controller's direct path take on; None for anything else."""
    try:
        data = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return None
    if type(data) is not dict or data.get("extensions") is not None:
        return None
    query, variables = data.get("query"), data.get("variables")
    operation_name = data.get("operationName")
    if (
        type(query) is not str
        or (variables is not None and type(variables) is not dict)
        or (operation_name is not None and type(operation_name) is not str)
    ):
        return None
    return GraphQLRequestData(
        query=query,
        variables=variables,
        operation_name=operation_name,
        extensions=None,
        protocol="http",
    )


async def _read(receive: Receive, limit: int) -> tuple[list[ReceiveMessage], bytes | None]:
    """The messages read, and the whole body; None when it ran past ``limit`` (the controller
    refuses it) or the client left (the controller says so)."""
    messages: list[ReceiveMessage] = []
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, None
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return messages, None
        if not message.get("more_body", False):
            return messages, b"".join(chunks)


def _replay(messages: list[ReceiveMessage], receive: Receive) -> Receive:
    """``receive`` as the controller would have found it: the messages read first."""
    pending = list(messages)

    async def replayed() -> ReceiveMessage:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed


async def _send(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
