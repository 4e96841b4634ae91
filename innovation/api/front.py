"""The GraphQL endpoint's front: a JSON ``POST`` answered before the framework's handler runs.

An ASGI middleware on the GraphQL controller alone. For a JSON ``POST`` of one document that
``Direct`` has parsed and validated, from a caller with a valid token, it does what the
controller would and sends the same response: a kept answer or a 304 when the answer is a
function of the log and is known (``answers.py``), else the document run by ``Direct`` (on
SQLite, a query that waited for the log's position starts in its turn: ``turns.py``), the
answer kept when it may be. What it saves is Litestar's handler machinery (handler arguments,
request and response objects), half of a cached answer's time and a third of
``{ __typename }``'s.

Everything else goes on to the controller with its body, untouched: another method or content
type, a stream transport, a batch, a document that does not parse or validate (strawberry
reports it), a request without a valid token (the controller refuses it).
"""

from __future__ import annotations

import msgspec
from litestar.types import ASGIApp, Receive, ReceiveMessage, Scope, Send
from strawberry.http import GraphQLRequestData, process_result

from innovation.api.answers import Answers, matches
from innovation.api.context import Context, bearer, principal_for
from innovation.api.direct import Direct
from innovation.api.turns import Turns

REVALIDATE = "private, no-cache"
"""Answers are per caller (private) and may be kept, but asked about again (``If-None-Match``)."""
REVALIDATE_BYTES = REVALIDATE.encode()
_STREAMS = (b"multipart/mixed", b"text/event-stream")
"""Accepted by strawberry's stream transports: such a request goes to the controller."""


class Front:
    """See the module docstring; ``answers`` and ``direct`` are the controller's own."""

    def __init__(self, app: ASGIApp, answers: Answers, direct: Direct, max_body: int) -> None:
        self.app = app
        self.answers = answers
        self.direct = direct
        self.max_body = max_body
        self.turns = Turns()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":  # type: ignore[typeddict-item]
            await self.app(scope, receive, send)
            return
        # The first of a repeated name, as Litestar's headers give it.
        headers = dict(reversed(list(scope["headers"])))
        if self._plainly_json(headers):
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
        """Answer as the controller would and say True; False to leave it to the controller."""
        request = _plain_request(body)
        if request is None or request.query is None:  # never None: a str
            return False
        prepared = self.direct.prepared(request.query, request.operation_name)
        if prepared is None:
            return False
        services = scope["litestar_app"].state.services
        secret = bearer(headers[b"authorization"].decode("latin-1"))
        principal = await principal_for(services, secret)
        if principal is None:
            return False
        question = None
        if prepared.kind == "query":
            question = await self.answers.question(request, principal, services.store)
        tags: list[tuple[bytes, bytes]] = []
        if question is not None:
            tags = [(b"etag", question.etag.encode()), (b"cache-control", REVALIDATE_BYTES)]
            if matches(headers.get(b"if-none-match", b"").decode("latin-1"), question.etag):
                await _send(send, 304, tags, b"")
                return True
            kept = self.answers.get(question.etag)
            if kept is not None:
                await _send(send, 200, tags, kept, json=True)
                return True
        if (
            prepared.kind == "query"
            and services.database.glances_in_one_step
            and self.answers.follows_log(request)
        ):
            await self.turns.take()  # it waited for the log's position with others: turns.py
        context = Context.for_request(services, principal)
        try:
            result = await self.direct.execute(
                prepared, request.query, request.variables, request.operation_name, context
            )
        finally:
            context.loaders.release()
        answer = msgspec.json.encode(process_result(result))
        if question is not None and not result.errors:
            self.answers.keep(question.etag, answer)
        else:
            tags = []
        await _send(send, 200, tags, answer, json=True)
        return True


def _plain_request(body: bytes) -> GraphQLRequestData | None:
    """A body of one JSON object with a query (and variables, an operation's name), as
    strawberry would read it; None for anything else, which the controller answers."""
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


async def _send(
    send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes, json: bool = False
) -> None:
    if json:
        headers = [
            *headers,
            (b"content-type", b"application/json"),
            (b"content-length", b"%d" % len(body)),
        ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
