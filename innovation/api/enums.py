"""The GraphQL enums: the domain's values as the API names them, and the API's own."""

from __future__ import annotations

from enum import Enum

import strawberry

from innovation.domain.errors import ErrorCode
from innovation.domain.values import (
    Decision,
    Direction,
    EthicsStatus,
    Outcome,
    SourceKind,
    Stage,
    ValidationRoute,
    Verdict,
)

StageType = strawberry.enum(Stage, description="Where an idea stands in the pipeline.")
SourceKindType = strawberry.enum(SourceKind, description="Where an idea was found.")
OutcomeType = strawberry.enum(Outcome, description="What an experiment showed.")
DecisionType = strawberry.enum(Decision, description="What was decided after an experiment.")
DirectionType = strawberry.enum(Direction, description="Which way a metric improves.")
VerdictType = strawberry.enum(Verdict, description="The ethics council's verdict.")
EthicsStatusType = strawberry.enum(
    EthicsStatus,
    description="NOT_REQUIRED without AI or personal data; STALE when approved before the "
    "last material revision.",
)
ValidationRouteType = strawberry.enum(ValidationRoute, description="How an idea was validated.")


ErrorCodeType = strawberry.enum(ErrorCode, description="Why a mutation was refused.")


@strawberry.enum(description="Whether an experiment is still running.")
class ExperimentStatus(Enum):
    RUNNING = "RUNNING"
    CONCLUDED = "CONCLUDED"


@strawberry.enum(description="What a token allows.")
class Role(Enum):
    SCOUT = "scout"
    LEAD = "lead"
    ETHICS = "ethics"
    EXECUTIVE = "executive"
    ADMIN = "admin"
