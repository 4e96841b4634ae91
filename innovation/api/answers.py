"""Answers to queries as a function of the log: cached, and validated by ``ETag``, per caller.

A query's answer depends on the document, the operation's name, the variables, the caller (a
token: ``me``, and what a role may see) and the read models, which change only with the log
(they are written in the transaction that appends the events). So the answer is a function of
(document, operationName, variables, token id, log position), the ``ETag`` is a hash of that
key, and a bounded LRU of encoded answers serves repeats without running the query again.

What is left out, and answered afresh every time without an ``ETag``:

* mutations and subscriptions (only ``query`` operations are cached);
* answers with errors, with or without data: a failure of ours is not a function of the key;
* documents that ask for ``nextRelease``, whose period and ``daysLeft`` follow the clock, not
  the log (no other query reads the clock);
* on PostgreSQL, a moment when a position below the log's end is still uncommitted: the end
  is not settled, so a later commit below it would not change the key.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache, partial
from importlib.metadata import version
from typing import Any

import msgspec
from graphql import FieldNode, GraphQLError, OperationType, get_operation_ast, visit
from graphql.language import DocumentNode, Visitor
from sqlalchemy.engine import Connection
from strawberry.extensions import ParserCache
from strawberry.http import GraphQLRequestData

from innovation.kept import Kept
from innovation.store import Log, Recorder
from innovation.tokens import Principal

CLOCK_FIELDS = frozenset({"nextRelease"})
"""Fields whose answer follows the clock rather than the log: a document asking for one is
never cached."""

ROOTS_OUTSIDE_THE_LOG = frozenset({"__typename", "__schema", "__type", "me"})
"""Root fields whose answer follows neither the log nor the clock: the schema, or the caller's
own token (its name, role and e-mail never change). Only these asked: no look at the log."""

LARGEST_SHARE = 8
"""An answer larger than the budget over this is not kept: one page must not empty the cache."""

BUILD = version("innovation")
"""Part of every key, so an answer cached (or an ``ETag`` held) before an upgrade is not reused."""


class _FieldNames(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        self.names.add(node.name.value)


def _asks_the_clock(document: DocumentNode) -> bool:
    found = _FieldNames()
    visit(document, found)
    return not found.names.isdisjoint(CLOCK_FIELDS)


class Depends(Enum):
    """What a request's answer is a function of, besides its document, variables and caller."""

    NOT_CACHED = "not cached"
    """The clock, or a failure: answered afresh every time."""
    LOG = "log"
    """The log position."""
    NOTHING_ELSE = "nothing else"
    """Nothing more: no look at the log is needed."""


@lru_cache(maxsize=256)
def depends(query: str, operation_name: str | None, max_tokens: int, documents: int) -> Depends:
    """What the operation's answer follows (see the module docstring)."""
    parse = ParserCache(maxsize=documents).cached_parse_document  # the schema's own parses
    try:
        document = parse(query, max_tokens=max_tokens)
    except GraphQLError:
        return Depends.NOT_CACHED
    operation = get_operation_ast(document, operation_name)
    if operation is None or operation.operation != OperationType.QUERY:
        return Depends.NOT_CACHED
    if _asks_the_clock(document):
        return Depends.NOT_CACHED
    roots = operation.selection_set.selections
    if all(
        isinstance(root, FieldNode) and root.name.value in ROOTS_OUTSIDE_THE_LOG for root in roots
    ):
        return Depends.NOTHING_ELSE
    return Depends.LOG


@lru_cache(maxsize=256)
def _keyed(query: str, operation_name: str | None) -> Any:
    """The hash of a key's start (build, document, operation), to be copied and completed."""
    key = "\0".join((BUILD, query, operation_name or "", ""))
    return hashlib.sha256(key.encode("utf-8", "surrogatepass"))  # a lone surrogate hashes too


class Positions:
    """The log position answers are keyed by: its end, when nothing below it can still commit.

    SQLite commits positions in order, so its end is always settled. On PostgreSQL the end is
    settled by the store's own test (``Recorder.settle``); when it is not, this answers None
    (do not cache) and remembers the transaction to wait for, checked without waiting on a
    later request, so that a position rolled back for good does not stop caching forever.

    Requests share lookups, as writers share a commit: a request waits for the next lookup
    that *starts* after it arrived, so it sees every write acknowledged before it came in (in
    any process), and under load one lookup answers everyone who arrived while the previous
    one ran, instead of one database round trip per request.
    """

    def __init__(self, log: Log) -> None:
        self.log = log
        self.recorder: Recorder = log.recorder
        self.database = log.database
        self._settled = 0
        self._waiting: tuple[int, int] | None = None
        self._next: asyncio.Future[int | None] | None = None
        """The lookup the requests that came in since the last one started are waiting for."""
        self._runner: asyncio.Task[None] | None = None
        self.lookups = 0
        """Lookups made, for tests to see how many requests shared one."""

    async def current(self) -> int | None:
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
        waited = self._next
        if self._runner is None:
            self._runner = asyncio.create_task(self._run())
        # Shielded: one caller giving up (a client gone) must not cancel the others' answer.
        return await asyncio.shield(waited)

    async def _run(self) -> None:
        try:
            while self._next is not None:
                answering, self._next = self._next, None  # later arrivals wait for the next one
                try:
                    position = await self._lookup()
                except Exception as error:  # every waiter fails as its own lookup would have
                    answering.set_exception(error)
                else:
                    answering.set_result(position)
        finally:
            self._runner = None

    async def _lookup(self) -> int | None:
        self.lookups += 1
        outcome = await self.database.glance(
            partial(self._look, settled=self._settled, waiting=self._waiting)
        )
        settled, end, xid = outcome
        self._settled = max(self._settled, settled)
        if xid is None:
            self._settled = max(self._settled, end)
            self._waiting = None
            return end
        self._waiting = (end, xid)
        return None

    def _look(
        self, connection: Connection, settled: int, waiting: tuple[int, int] | None
    ) -> tuple[int, int, int | None]:
        if waiting is not None and self.recorder.oldest_running_xid(connection) >= waiting[1]:
            settled = max(settled, waiting[0])  # every transaction holding a position ended
        end, xid = self.recorder.settle(connection, settled)
        return settled, end, xid


@dataclass(frozen=True)
class Question:
    """A cacheable request, and the ``ETag`` of its answer."""

    etag: str


def etag_of(request: GraphQLRequestData, token_id: object, position: int) -> str:
    """A hash of (build, document, operation, variables, caller, position)."""
    key = _keyed(request.query or "", request.operation_name).copy()
    key.update(_variables_key(request.variables))
    key.update(f"\0{token_id}\0{position}".encode())
    return '"' + key.hexdigest()[:40] + '"'


def _variables_key(variables: dict[str, Any] | None) -> bytes:
    """The variables as one text, the same for the same values whatever their order."""
    try:
        encoded = msgspec.json.encode(variables or {}, order="sorted")
    except UnicodeEncodeError:  # half a surrogate pair ("\ud800"), which JSON lets through
        encoded = None
    # NaN and the infinities are written null too, and json.dumps writes a lone surrogate as
    # its escape: in either case it tells the values apart
    if encoded is None or b"null" in encoded:
        return json.dumps(variables, sort_keys=True, separators=(",", ":")).encode()
    return encoded


def matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``etag`` (weak or strong, among others)."""
    if not if_none_match:
        return False
    return any(tag.strip().removeprefix("W/") == etag for tag in if_none_match.split(","))


class Answers(Kept[str, bytes]):
    """Encoded answers by ``ETag``, least recently used first out, within a byte budget."""

    def __init__(self, budget: int, *, max_tokens: int, documents: int) -> None:
        super().__init__(budget, weigh=len, largest=budget // LARGEST_SHARE)
        self.max_tokens = max_tokens
        self.documents = documents
        self._positions: Positions | None = None

    async def question(
        self, request: GraphQLRequestData, principal: Principal | None, log: Log
    ) -> Question | None:
        """The request's ``ETag``, or None when its answer is not a function of the log."""
        if request.protocol != "http" or principal is None or not request.query:
            return None
        kind = depends(request.query, request.operation_name, self.max_tokens, self.documents)
        if kind is Depends.NOT_CACHED:
            return None
        position: int | None = -1  # stands for "any": the answer follows no position
        if kind is Depends.LOG:
            if self._positions is None or self._positions.log is not log:
                self._positions = Positions(log)
            position = await self._positions.current()
        if position is None:
            return None
        return Question(etag_of(request, principal.token_id, position))

    def follows_log(self, request: GraphQLRequestData) -> bool:
        """Whether the request's answer follows the log (``question`` waits for its position)."""
        if request.protocol != "http" or not request.query:
            return False
        found = depends(request.query, request.operation_name, self.max_tokens, self.documents)
        return found is Depends.LOG
