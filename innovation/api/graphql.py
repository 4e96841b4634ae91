"""The GraphQL endpoint: authentication before anything runs, the offline GraphiQL page."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import msgspec
from cross_web import HTTPException
from graphql import OperationDefinitionNode, OperationType, get_operation_ast, parse
from graphql.error import GraphQLError
from litestar import Request, get, post
from litestar.background_tasks import BackgroundTasks
from litestar.datastructures import State
from litestar.exceptions import NotAuthorizedException, NotFoundException, ValidationException
from litestar.middleware import DefineMiddleware
from litestar.response import Response
from litestar.status_codes import HTTP_200_OK, HTTP_304_NOT_MODIFIED
from litestar.types import Scope
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLRequestData
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.litestar import make_graphql_controller
from strawberry.litestar.controller import LitestarWebSocketAdapter
from strawberry.types.unset import UNSET, UnsetType

from innovation.api.answers import Answers, matches
from innovation.api.compression import Gzipped, Packed
from innovation.api.context import Context, bearer, principal_for
from innovation.api.direct import Direct
from innovation.api.front import REVALIDATE, Front
from innovation.api.graphiql import render_graphiql
from innovation.api.schema import InnovationSchema
from innovation.bootstrap import Services

GRAPHQL_PATH = "/graphql"
STATIC_PATH = "/static/graphiql"
SUBSCRIBE_OVER_WEBSOCKET = (
    f"subscriptions run over a websocket: connect to {GRAPHQL_PATH} with the "
    "graphql-transport-ws protocol and send the token in connection_init"
)


def _asks_for_graphiql(request: Request[Any, Any, Any]) -> bool:
    """A browser opening the endpoint: strawberry answers with the IDE, which needs no token."""
    if request.method != "GET":
        return False
    return "text/html" in request.headers.get("accept", "") and "query" not in request.query_params


async def context_getter(request: Request[Any, Any, Any], state: State) -> Context:
    services: Services = state.services
    if _asks_for_graphiql(request):
        return Context.for_request(services)
    principal = await principal_for(services, bearer(request.headers.get("authorization")))
    if principal is None:
        raise NotAuthorizedException(
            "a valid token is required: Authorization: Bearer <token>",
            headers={"WWW-Authenticate": 'Bearer realm="innovation"'},
        )
    return Context.for_request(services, principal)


async def websocket_context_getter(state: State) -> Context:
    """Websockets authenticate in ``connection_init`` (browsers cannot send headers)."""
    return Context.for_request(state.services)


class Answered(Exception):
    """A response found without running the query: a cached answer, or 304 Not Modified."""

    def __init__(self, response: Response[bytes]) -> None:
        super().__init__()
        self.response = response


class _Socket(LitestarWebSocketAdapter):
    """A subscriber's websocket. One that leaves while a subscription still sends (a tab
    closed during a replay from an early position) fails the send with the server's own
    disconnection error, which the protocol's handler logged as a failed operation with its
    traceback; the send is dropped instead, and the connection's end cancels the operation."""

    async def send_json(self, message: Any) -> None:
        with contextlib.suppress(WebSocketDisconnected, OSError):  # uvicorn's is an OSError
            await super().send_json(message)


def graphql_controller(schema: InnovationSchema, answers: Answers, *, max_body: int) -> type:
    """The endpoint's controller; ``max_body`` is the app's limit on a request's body."""
    direct = Direct(schema, max_tokens=answers.max_tokens, documents=answers.documents)
    packed = Packed(answers.budget // 4)  # compressed answers, beside the answers themselves
    base = make_graphql_controller(
        schema,
        path=GRAPHQL_PATH,
        context_getter=_any_context_getter,
        allow_queries_via_get=True,
        keep_alive=True,
        keep_alive_interval=15,
    )

    class GraphQLController(base):  # type: ignore[misc,valid-type]
        # The first is outermost: whatever answers, gzip compresses it (``compression.py``).
        middleware = [
            DefineMiddleware(Gzipped, packed=packed),
            DefineMiddleware(Front, answers=answers, direct=direct, max_body=max_body),
        ]
        websocket_adapter_class = _Socket

        @get(raises=[ValidationException, NotFoundException])
        async def handle_http_get(self, request: Request[Any, Any, Any], state: State) -> Any:
            return await self.execute_request(request, await context_getter(request, state), None)

        @post(status_code=HTTP_200_OK)
        async def handle_http_post(self, request: Request[Any, Any, Any], state: State) -> Any:
            """What ``Front`` left: documents that do not validate, batches, other bodies."""
            return await self.execute_request(request, await context_getter(request, state), None)

        async def answer_from_cache(
            self,
            request: Request[Any, Any, Any],
            request_data: GraphQLRequestData,
            context: Context,
        ) -> dict[str, str] | None:
            """Raises ``Answered`` with 304 or the kept answer; else the headers of a cacheable
            answer (its ``ETag``), for an answer without errors, or None. (``Front`` does the
            same for the JSON POSTs it answers.)"""
            question = await answers.question(
                request_data, context.principal, context.services.store
            )
            if question is None:
                return None
            headers = {"ETag": question.etag, "Cache-Control": REVALIDATE}
            if matches(request.headers.get("if-none-match"), question.etag):
                raise Answered(Response(b"", status_code=HTTP_304_NOT_MODIFIED, headers=headers))
            kept = answers.get(question.etag)
            if kept is not None:
                raise Answered(Response(kept, media_type="application/json", headers=headers))
            return headers

        async def get_sub_response(self, request: Request[Any, Any, Any]) -> Response[Any]:
            """A fresh response for strawberry to fill in (headers, status), per request.

            strawberry's own handlers take it, the context and the root value as Litestar
            dependencies: one task each, and the response built in Litestar's thread pool, which
            together cost more than answering ``{ __typename }``. These handlers make them
            inline; websockets keep strawberry's handler and its dependencies.
            """
            return Response({}, background=BackgroundTasks([]))

        def parse_json(self, data: str | bytes) -> Any:
            """Only an object (or a list, which batching refuses by name) is a GraphQL request."""
            try:
                decoded = json.loads(data)
            except UnicodeDecodeError:
                raise HTTPException(400, "the request body is not valid UTF-8") from None
            except json.JSONDecodeError:
                raise HTTPException(400, "Unable to parse request body as JSON") from None
            if not isinstance(decoded, dict | list):
                raise HTTPException(400, "expected a JSON object")
            return decoded

        def decode_json(self, data: str | bytes) -> object:
            """A websocket frame that is not an object is refused as bad JSON (closed with 4400)."""
            decoded = json.loads(data)
            if not isinstance(decoded, dict):
                raise json.JSONDecodeError("expected a JSON object", str(data), 0)
            return decoded

        async def execute_single(
            self,
            request: Any,
            request_adapter: Any,
            sub_response: Any,
            context: Context,
            root_value: Any,
            request_data: GraphQLRequestData,
        ) -> Any:
            refused = _refused(request_data, direct.max_tokens)
            if refused is not None:
                raise HTTPException(400, refused)
            tagged = await self.answer_from_cache(request, request_data, context)
            result = await super().execute_single(
                request, request_adapter, sub_response, context, root_value, request_data
            )
            if tagged and not result.errors:
                sub_response.headers.update(tagged)
            return result

        def encode_json(self, data: object) -> bytes:
            return msgspec.json.encode(data)

        def create_response(self, response_data: Any, sub_response: Response[bytes]) -> Any:
            response = super().create_response(response_data, sub_response)
            etag = sub_response.headers.get("ETag")
            if etag is not None and response.status_code == 200:
                answers.keep(etag, response.content)
            return response

        async def execute_request(self, request: Any, context: Any, root_value: Any) -> Any:
            try:
                return await super().execute_request(request, context, root_value)
            except Answered as answered:
                return answered.response

        @property
        def graphql_ide_html(self) -> str:
            return render_graphiql(static_path=STATIC_PATH)

        async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
            params = context.connection_params or {}
            raw = params.get("Authorization") or params.get("authorization")
            token = bearer(raw if isinstance(raw, str) else None)
            principal = await principal_for(context.services, token)
            if principal is None:
                raise ConnectionRejectionError({"reason": "a valid token is required"})
            context.principal, context.token = principal, token
            return UNSET

    return GraphQLController


def _refused(request: GraphQLRequestData, max_tokens: int) -> str | None:
    """Why a request is refused before it runs: a subscription sent as a plain HTTP request
    (it runs over a websocket), or a document of several named operations that names none to
    run (the GraphQL specification's request error; strawberry would run the first). A document
    without the words either takes (most of them) is not parsed here."""
    query = request.query
    if not query:
        return None
    subscribes = request.protocol == "http" and "subscription" in query
    # two named operations take two of these words
    unnamed = request.operation_name is None and (
        sum(query.count(word) for word in ("query", "mutation", "subscription")) >= 2
    )
    if not (subscribes or unnamed):
        return None
    try:
        document = parse(query, max_tokens=max_tokens)
    except GraphQLError:
        return None  # strawberry reports the syntax error, or the document's size, itself
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    names = [operation.name.value for operation in operations if operation.name]
    if unnamed and len(operations) >= 2 and len(names) == len(operations):
        return (
            f"the document holds {len(names)} operations ({', '.join(names)}): "
            "name the one to run in operationName"
        )  # an anonymous one beside others is validation's to refuse
    operation = get_operation_ast(document, request.operation_name)
    if subscribes and operation is not None and operation.operation == OperationType.SUBSCRIPTION:
        return SUBSCRIBE_OVER_WEBSOCKET
    return None


async def _any_context_getter(state: State, scope: Scope) -> Context:
    """One getter for both transports (strawberry asks for one): HTTP or websocket by scope."""
    if scope["type"] == "websocket":
        return await websocket_context_getter(state)
    return await context_getter(Request(scope), state)
