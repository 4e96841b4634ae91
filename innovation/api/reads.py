"""What each field of ``Idea`` reads of the idea's view, so that a page of ideas reads only
the columns its answer asks for (``projections/partial.py``)."""

from __future__ import annotations

IDEA_READS: dict[str, tuple[str, ...]] = {
    "__typename": (),
    "id": (),
    "title": ("title",),
    "summary": ("summary",),
    "stage": ("stage",),
    "provenance": ("provenance",),
    "themes": ("themes",),
    "usesAi": ("uses_ai",),
    "usesPersonalData": ("uses_personal_data",),
    "scout": ("scout",),
    "submittedBy": ("submitted_by",),
    "submittedAt": ("submitted_at",),
    "updatedAt": ("updated_at",),
    "version": ("version",),
    "score": ("score",),
    "rejectionReason": ("rejection_reason",),
    "validatedVia": ("validated_via",),
    "validationReason": ("validation_reason",),
    "ethics": ("ethics_status", "ethics_verdict", "passes_ethics_gate"),
    "asOfPosition": (),  # never a column: a read model's view stands at no past position
    "mergedInto": ("merged_into",),
    "experiments": ("experiment_count",),  # a page looks up the experiments of ideas with some
    "runningExperiment": ("running_experiment_id",),
    "scoreHistory": (),
    "stageHistory": (),
}
"""What each field of ``Idea`` reads of its view, by the field's name in the schema, beside
the idea's id (always read). A page of ideas reads only the columns its answer asks for
(``idea_reads``); a field missing here makes it read them all."""


def idea_reads(names: set[str]) -> frozenset[str] | None:
    """The fields of ``IdeaView`` that answer these fields of ``Idea``; None when one of them
    is not in ``IDEA_READS`` (then the whole view is read)."""
    reads: set[str] = set()
    for name in names:
        fields = IDEA_READS.get(name)
        if fields is None:
            return None
        reads.update(fields)
    return frozenset(reads)
