"""The GraphQL schema: its root types and the limits every document must respect."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from innovation.api.execution import PlainFields
from innovation.api.inputs import build_inputs_from_plans
from innovation.api.mutations import Mutation
from innovation.api.queries import Query as PipelineQueries
from innovation.api.releases import ReleaseQueries
from innovation.api.subscriptions import Subscription
from innovation.config import ApiSettings
from innovation.store.errors import cancelled, said, unavailable, writes_stopped

log = logging.getLogger("innovation.api")

Query = merge_types("Query", (PipelineQueries, ReleaseQueries))


def unexpected(error: GraphQLError) -> bool:
    """Mask what no one meant a client to read (a bug, a database error).

    Refusals meant for the client (a missing role, a bad argument, a query over a limit) are
    GraphQL errors of their own and pass unmasked.
    """
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


UNAVAILABLE = "the database is unavailable just now: try again in a few seconds"
"""What a client is told when the database cannot be reached (``store.errors.unavailable``):
not a bug to report, but a moment to wait (a request that fails before its operation runs,
looking its token up say, is answered 503 with `Retry-After`)."""

CANCELLED = (
    "the database cancelled the statement (its statement_timeout ran out, or an operator"
    " cancelled it): nothing was written; try again, and if it happens again, the service's"
    " operators must see to it"
)
"""What a client is told when the server cancelled a statement (``store.errors.cancelled``)."""

WRITES_STOPPED = "{why}: nothing was written; the service's operators must see to it"
"""What a client is told when no write can succeed until someone sees to the database (its
disk full, or read-only: ``store.errors.writes_stopped``)."""


def unavailable_message(error: BaseException) -> str:
    """What a client is told when ``error`` made the database unavailable."""
    why = writes_stopped(error)
    if why is not None:
        return WRITES_STOPPED.format(why=why)
    return CANCELLED if cancelled(error) else UNAVAILABLE


OUR_CODE = "errorCode"
"""The extensions key of this API's own code (``VALIDATION``, ``FORBIDDEN``), beside ``code``."""

TOOLING_CODES = {
    "VALIDATION": "BAD_USER_INPUT",
    "FORBIDDEN": "FORBIDDEN",
    "UNAUTHENTICATED": "UNAUTHENTICATED",  # a subscription's token revoked while it ran
}
"""Our codes as Apollo names them, the names generic GraphQL clients and dashboards know."""


def tooling_code(message: str, ours: object) -> str:
    """The Apollo-style ``code`` of a client's error: what was wrong, in words tooling reads."""
    if isinstance(ours, str) and ours in TOOLING_CODES:
        return TOOLING_CODES[ours]
    if message.startswith("Syntax Error"):
        return "GRAPHQL_PARSE_FAILED"
    if message.startswith("Variable '$"):
        return "BAD_USER_INPUT"
    return "GRAPHQL_VALIDATION_FAILED"


class PublicErrors(MaskErrors):
    """Errors as clients read them: unexpected ones masked, every one with a ``code``.

    Our own code moves to ``errorCode``, and ``code`` says, in Apollo's words, whether the
    request was at fault (``BAD_USER_INPUT``, ``GRAPHQL_VALIDATION_FAILED``, ``FORBIDDEN``) or
    the server was (``INTERNAL_SERVER_ERROR``).
    """

    def __init__(self) -> None:
        super().__init__(should_mask_error=unexpected)

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        return [self._public(error) for error in errors]

    def _public(self, error: GraphQLError) -> GraphQLError:
        if unexpected(error):
            masked = self.anonymise_error(error)
            if unavailable(error.original_error):  # type: ignore[arg-type]  # unexpected: set
                masked.message = unavailable_message(error.original_error)  # type: ignore[arg-type]
                masked.extensions = {"code": "SERVICE_UNAVAILABLE"}
            else:
                masked.extensions = {"code": "INTERNAL_SERVER_ERROR"}
            return masked
        extensions = dict(error.extensions or {})
        if OUR_CODE in extensions:
            return error  # already made public (a streamed result passes twice)
        ours = extensions.pop("code", None)
        public = {"code": tooling_code(error.message, ours), **extensions}
        if ours is not None:
            public[OUR_CODE] = ours
        # A copy: validation errors are cached with their document and must stay as found.
        return GraphQLError(
            error.message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=error.original_error,
            extensions=public,
        )


class InnovationSchema(strawberry.Schema):
    """The schema, logging a client's mistake in one line and only a failure of ours in full."""

    limit_rules: tuple[Any, ...] = ()
    """The validation rules of the limits, beside GraphQL's own (``build_schema`` sets them)."""

    def public_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        """Errors as ``PublicErrors`` hands them to clients."""
        return PublicErrors()._process_errors(errors)

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        operation = execution_context.operation_name if execution_context else None
        for error in errors:
            why = writes_stopped(error.original_error) if unexpected(error) else None  # type: ignore[arg-type]
            if why is not None:
                log.error(  # someone must act, but it is one line: no code of ours is at fault
                    "%s at %s: %s: %s",
                    operation or "an anonymous operation",
                    error.path,
                    why,
                    said(error.original_error),  # type: ignore[arg-type]  # unexpected: set
                )
            elif unexpected(error) and unavailable(error.original_error):  # type: ignore[arg-type]
                log.warning(
                    "%s at %s: the database is unavailable: %s",
                    operation or "an anonymous operation",
                    error.path,
                    said(error.original_error),  # type: ignore[arg-type]  # unexpected: set
                )
            elif unexpected(error):
                log.error(
                    "unexpected error in %s at %s",
                    operation or "an anonymous operation",
                    error.path,
                    exc_info=error.original_error,
                )
            else:
                code = (error.extensions or {}).get("code", "GRAPHQL")
                log.info("refused %s: %s: %s", operation or "an operation", code, error.message)


DOCUMENTS_CACHED = 256
"""How many distinct documents keep their parse and their validation (an LRU each)."""


class ParsedDocuments(ParserCache):
    """strawberry's parser cache, leaving a document that does not parse to strawberry's own
    parse, so its error is reported (and made public) like every other refusal."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        with contextlib.suppress(GraphQLError):  # strawberry parses it again, and reports it
            context.graphql_document = self.cached_parse_document(
                context.query, **context.parse_options
            )
        yield


def build_schema(limits: ApiSettings) -> InnovationSchema:
    # The limits' validation rules are built once: the validation cache is keyed by the rules
    # too, so rules made afresh for each request would never hit it. Extensions stay factories,
    # so every request gets fresh extension state. Only successes are cached (a parse over the
    # token limit raises, and is refused again each time; a document over the depth or alias
    # limit keeps its validation errors in the cache, and is refused from it).
    rules = [
        *QueryDepthLimiter(max_depth=limits.max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=limits.max_aliases).validation_rules,
    ]
    extensions: list[Any] = [
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
        lambda: AddValidationRules(rules),
        lambda: ParsedDocuments(maxsize=DOCUMENTS_CACHED),
        lambda: ValidationCache(maxsize=DOCUMENTS_CACHED),
        PublicErrors,
    ]
    schema = InnovationSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        config=StrawberryConfig(auto_camel_case=True),
        extensions=extensions,
        execution_context_class=PlainFields,
    )
    schema.limit_rules = tuple(rules)
    build_inputs_from_plans(schema)
    return schema


def sdl() -> str:
    """The schema as committed in ``schema.graphql`` (limits do not change the SDL)."""
    return build_schema(ApiSettings()).as_str() + "\n"
