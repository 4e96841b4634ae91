"""Every change the API offers, in the order of the pipeline: a table of contents.

Each mutation lives with its feature (``ideas.py``, ``experiments.py``, ``ethics.py``) and runs
through ``commands.mutate``; who may call it is written once, in ``permissions.PERMISSIONS``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry

from innovation.api import ethics, experiments, ideas


def command(resolver: Callable[..., Awaitable[Any]], payload_type: type, description: str) -> Any:
    """A mutation field: one ``input``, its payload back."""
    return strawberry.mutation(
        resolver=resolver, graphql_type=payload_type, description=description
    )


@strawberry.type
class Mutation:
    submit_idea = command(
        ideas.submit_idea,
        ideas.SubmitIdeaPayload,
        "Scouts (and leads): a new idea, found anywhere.",
    )
    revise_idea = command(
        ideas.revise_idea,
        ideas.ReviseIdeaPayload,
        "Change an idea's text, provenance, themes or flags.",
    )
    score_idea = command(
        ideas.score_idea,
        ideas.ScoreIdeaPayload,
        "Record a RICE score and strategic fit (the history is kept).",
    )
    advance_idea = command(
        ideas.advance_idea,
        ideas.AdvanceIdeaPayload,
        "Move an idea by hand: SCOUTED → SCREENING → EXPERIMENTING.",
    )
    reject_idea = command(
        ideas.reject_idea,
        ideas.RejectIdeaPayload,
        "Take an idea out of the pipeline, saying why.",
    )
    merge_idea = command(
        ideas.merge_idea,
        ideas.MergeIdeaPayload,
        "Merge a duplicate into the idea that lives on.",
    )
    start_experiment = command(
        experiments.start_experiment,
        experiments.StartExperimentPayload,
        "Start a pilot on a screened idea, with its metrics.",
    )
    record_measurement = command(
        experiments.record_measurement,
        experiments.RecordMeasurementPayload,
        "Record a measurement of one of an experiment's metrics.",
    )
    conclude_experiment = command(
        experiments.conclude_experiment,
        experiments.ConcludeExperimentPayload,
        "Conclude a pilot and decide: SCALE (validates the idea), ITERATE or STOP.",
    )
    override_validation = command(
        experiments.override_validation,
        experiments.OverrideValidationPayload,
        "Validate an idea without an experiment, with a written reason.",
    )
    request_ethics_review = command(
        ethics.request_ethics_review,
        ethics.RequestEthicsReviewPayload,
        "Ask the ethics council to review an idea using AI or personal data.",
    )
    record_ethics_review = command(
        ethics.record_ethics_review,
        ethics.RecordEthicsReviewPayload,
        "The ethics council's verdict (non-discrimination, fairness).",
    )
