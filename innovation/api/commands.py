"""How every mutation runs: the caller's role, its command, the pipeline, and the payload back.

A mutation hands ``mutate`` a function that builds its command and one that reads back what the
command changed. Refusals at any step (a missing role, bad input, a broken rule, a stale
``expectedVersion``) come back as the payload's ``errors { code message field }`` and nothing is
written. A ``clientMutationId`` makes a mutation safe to resend: the same id from the same token
is answered again, not applied twice.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from datetime import datetime
from functools import partial
from typing import Any, TypeVar, get_origin

import msgspec
import sqlalchemy as sa
import strawberry
from strawberry.types import Info
from strawberry.utils.str_converters import to_camel_case

from innovation.api.context import Context
from innovation.api.ids import raw_id, shown_ids
from innovation.api.permissions import PERMISSIONS, allowed, grant
from innovation.api.selections import selects
from innovation.api.types import Experiment, Idea, UserError
from innovation.domain.errors import DomainError, ErrorCode, InvalidInputsError
from innovation.domain.values import is_text
from innovation.projections import views
from innovation.projections.experiments import experiments_view, metrics_view
from innovation.projections.ideas import ideas_view
from innovation.services import Actor, CommandIdReusedError, Outcome, ServiceError
from innovation.store.ids import new_event_id

log = logging.getLogger("innovation.api")

CLIENT_IDS = uuid.UUID("6f1c3c4e-55a4-4c1e-9c0b-2b8a8f6d5e10")

C = TypeVar("C", bound=msgspec.Struct)
K = TypeVar("K")
Answer = dict[str, object]


class Refused(Exception):
    """A mutation that will not go through, and the errors its payload carries."""

    def __init__(self, code: ErrorCode, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.error = UserError(code=code, message=shown_ids(message), field=field)
        self.errors = [self.error]

    @classmethod
    def of(cls, refusal: DomainError | ServiceError) -> Refused:
        """The refusal in the API's words; several invalid values give one error each."""
        refused = cls(refusal.code, refusal.message, refusal.field)
        if isinstance(refusal, InvalidInputsError):
            refused.errors = [cls.of(each).error for each in refusal.errors]
        return refused


def command_input(
    description: str | None = None, *, versioned: bool = True
) -> Callable[[type[K]], type[K]]:
    """A mutation's input type, ending as every one does: ``expectedVersion``, ``clientMutationId``.

    ``versioned=False`` for inputs that create what they name (there is no version to expect);
    a class that places ``expected_version`` elsewhere keeps it there.
    """

    def define(cls: type[K]) -> type[K]:
        annotations = dict(inspect.get_annotations(cls))
        tail = {"expected_version": "int | None"} if versioned else {}
        tail["client_mutation_id"] = "str | None"
        for name, kind in tail.items():
            if name not in annotations:
                annotations[name] = kind
                setattr(cls, name, None)
        cls.__annotations__ = annotations
        return strawberry.input(cls, description=description)

    return define


def command(
    resolver: Callable[..., Awaitable[Any]],
    payload_type: type,
    roles: frozenset[str],
    description: str,
) -> Any:
    """A mutation field: one ``input``, its payload back, and the roles that may run it."""
    grant(to_camel_case(resolver.__name__), roles)
    return strawberry.mutation(
        resolver=resolver, graphql_type=payload_type, description=description
    )


def payload(name: str, description: str | None = None, **objects: Any) -> type:
    """A payload type: the ``objects`` a mutation hands back, then ``errors`` and the client's id.

    Each object is ``field=type`` or ``field=(type, description)``; a refused mutation leaves
    objects empty (null, or an empty list).
    """
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {"__annotations__": annotations}
    for field, spec in objects.items():
        kind, about = spec if isinstance(spec, tuple) else (spec, None)
        if get_origin(kind) is list:
            annotations[field] = kind
            namespace[field] = strawberry.field(default_factory=list, description=about)
        else:
            annotations[field] = kind | None
            namespace[field] = strawberry.field(default=None, description=about)
    annotations["errors"] = list[UserError]
    namespace["errors"] = strawberry.field(default_factory=list)
    annotations["client_mutation_id"] = str | None
    namespace["client_mutation_id"] = None
    return strawberry.type(type(name, (), namespace), description=description)


async def mutate(
    info: Info[Context, None],
    input: Any,
    payload: type,
    build: Callable[[datetime], C],
    answer: Callable[[C], Awaitable[Answer]],
) -> Any:
    """Run one mutation: check the role, build the command at this moment, run it, answer.

    The role is looked up by the mutation's own field name; the API's clock is read once, and
    that moment is the command's time (and its default for any time it carries).
    """
    client_mutation_id = input.client_mutation_id
    if client_mutation_id is not None and not is_text(client_mutation_id):
        return payload(errors=[NOT_TEXT_KEY.error])  # the key cannot even be said back
    try:
        command, outcome = await _run(info, input, build)
    except Refused as refused:
        log.info("refused %s: %s: %s", info.field_name, refused.code.name, refused)
        return payload(errors=refused.errors, client_mutation_id=client_mutation_id)
    answering = _ANSWERING.set(outcome)
    try:
        return payload(**await answer(command), client_mutation_id=client_mutation_id)
    finally:
        _ANSWERING.reset(answering)


NOT_TEXT_KEY = Refused(
    ErrorCode.VALIDATION,
    "clientMutationId holds half of a UTF-16 surrogate pair without the other half: "
    "that is not text",
    "clientMutationId",
)


_ANSWERING: ContextVar[Outcome | None] = ContextVar("answering", default=None)
"""The outcome of the command whose mutation is being answered (mutations run one at a time)."""


async def _run(
    info: Info[Context, None], input: Any, build: Callable[[datetime], C]
) -> tuple[C, Outcome]:
    operation = info.field_name
    principal = info.context.principal
    if principal is None or not allowed(principal, operation):
        roles = ", ".join(sorted(PERMISSIONS[operation]))
        raise Refused(ErrorCode.FORBIDDEN, f"{operation} is for {roles}")
    services = info.context.services
    now = services.clock()
    minting = _MINTED.set([])
    try:
        command = build(now)
        outcome = await services.pipeline.execute(
            command,
            Actor(principal.actor, principal.role),
            at=now,
            expected_version=getattr(input, "expected_version", None),
            command_id=_command_id(principal.token_id, input.client_mutation_id),
            # Kept only beside a caller's own command id: nothing else can be resent.
            request_digest=request_digest(operation, input) if input.client_mutation_id else None,
            minted=frozenset(_MINTED.get() or ()),
        )
    except CommandIdReusedError:
        raise Refused(
            ErrorCode.VALIDATION,
            f"clientMutationId {input.client_mutation_id!r} was already used for a different "
            f"{operation} input; send a new clientMutationId for this one",
            "clientMutationId",
        ) from None
    except (DomainError, ServiceError) as refusal:
        raise Refused.of(refusal) from refusal
    finally:
        _MINTED.reset(minting)
    return command, outcome


_MINTED: ContextVar[list[str] | None] = ContextVar("minted", default=None)
"""The ids ``new_id`` drew at random for the command being built: the pipeline need not read
their streams, which cannot hold anything yet."""


def request_digest(operation: str, input: Any) -> str:
    """What the client asked, as a short digest: an identical resend has the same one.

    Taken from the input as sent, not from the command, which carries the moment it was built.
    """
    text = json.dumps(
        [operation, dataclasses.asdict(input)], sort_keys=True, default=str, separators=(",", ":")
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _command_id(token_id: object, client_mutation_id: str | None) -> uuid.UUID | None:
    if not client_mutation_id:
        return None
    return uuid.uuid5(CLIENT_IDS, f"{token_id}/{client_mutation_id}")


def new_id(info: Info[Context, None], kind: str, client_mutation_id: str | None) -> str:
    """The id of what a mutation creates: the same again when the same request is resent.

    A resent command is recognised by its events' ids, which derive from the stream they go
    to; a fresh random id for the new idea or experiment would make the resend a new one. A
    drawn id is a UUIDv7 (``new_event_id``): ideas and experiments then sort by when they were
    made in every index keyed by them, which grow at their end. Either way the stream is new
    and is not read (``minted``): a resend is recognised before anything would read it.
    """
    if client_mutation_id:
        principal = info.context.principal
        owner = principal.token_id if principal else ""
        made = str(uuid.uuid5(CLIENT_IDS, f"{owner}/{kind}/{client_mutation_id}"))
    else:
        made = str(new_event_id())
    drawn = _MINTED.get()
    if drawn is not None:
        drawn.append(made)
    return made


def idea_id(value: str, field: str = "ideaId") -> str:
    return raw_id(value, "Idea", field)


def experiment_id(value: str) -> str:
    return raw_id(value, "Experiment", "experimentId")


def not_blank(value: str | None) -> str | None:
    return value if value is None or value.strip() else None


async def read_idea(info: Info[Context, None], idea_id: str) -> Idea | None:
    """The idea as the write left it: its row as the command's batch wrote it, or else read
    fresh (a loader may hold it from before the write) by its key, as a glance."""
    row = _written(ideas_view, idea_id)
    if row is not None:
        return Idea.of(views.idea_view(row))
    database = info.context.services.database
    return Idea.maybe(await database.glance(partial(views.idea, idea_id=idea_id)))


async def read_experiment(info: Info[Context, None], experiment_id: str) -> Experiment | None:
    """The experiment as the write left it (as ``read_idea``)."""
    row = _written(experiments_view, experiment_id)
    if row is not None:
        return Experiment.of(views.experiment_view(row))
    database = info.context.services.database
    return Experiment.maybe(
        await database.glance(partial(views.experiment, experiment_id=experiment_id))
    )


async def read_metric(
    info: Info[Context, None], experiment_id: str, name: str
) -> views.MetricView | None:
    """A metric of the experiment as the write left it (as ``read_idea``)."""
    row = _written(metrics_view, experiment_id, name)
    if row is not None:
        return views.metric_view(row)
    database = info.context.services.database  # read by key: Database.glance
    return await database.glance(partial(views.metric, experiment_id=experiment_id, name=name))


def _written(table: sa.Table, *key: str) -> dict[str, Any] | None:
    """The row the answered command's batch wrote (and committed), when it holds it: the
    same as reading it back right after the commit, without the read."""
    outcome = _ANSWERING.get()
    return None if outcome is None else outcome.written(table, *key)


def asks_for(info: Info[Context, None], field: str) -> bool:
    """Whether the mutation's selection names payload ``field`` (also through fragments).

    Some answers cost a read of their own (the duplicate hints of a submission): a client
    that does not ask for them does not wait for them.
    """
    return selects(info, field)


def answer_with_idea(info: Info[Context, None]) -> Callable[[Any], Awaitable[Answer]]:
    """The answer of mutations on one idea: the idea, as the command left it (read when the
    caller asked for it)."""

    async def answer(command: Any) -> Answer:
        return {"idea": await read_idea(info, command.idea_id) if asks_for(info, "idea") else None}

    return answer
