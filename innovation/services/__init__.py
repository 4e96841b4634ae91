"""Command handling: the only place that writes events (see ``pipeline.py``)."""

from innovation.domain import EXPERIMENT, IDEA
from innovation.services.errors import (
    CommandIdReusedError,
    ConflictError,
    ForbiddenError,
    ServiceError,
)
from innovation.services.pipeline import Outcome, Pipeline
from innovation.services.unit_of_work import Actor

__all__ = [
    "EXPERIMENT",
    "IDEA",
    "Actor",
    "CommandIdReusedError",
    "ConflictError",
    "ForbiddenError",
    "Outcome",
    "Pipeline",
    "ServiceError",
]
