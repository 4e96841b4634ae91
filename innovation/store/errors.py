"""The store's own exceptions: callers never see a driver error for a rule of the log."""

from __future__ import annotations


class StoreError(Exception):
    """Base of every error the event store raises on purpose."""


class ConcurrencyError(StoreError):
    """The stream is not at the version the caller expected."""

    def __init__(self, stream_id: str, expected: int, actual: int) -> None:
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"stream {stream_id!r} is at version {actual}, not at the expected {_name(expected)}"
        )


class DuplicateEventError(StoreError):
    """Some, but not all, of the appended event ids are already in the log (or elsewhere)."""

    def __init__(self, stream_id: str, event_ids: list[str]) -> None:
        self.stream_id = stream_id
        self.event_ids = event_ids
        listed = ", ".join(event_ids)
        super().__init__(f"append to {stream_id!r} repeats events already logged: {listed}")


class UnknownEventTypeError(StoreError):
    """A stored type name (or version) has no registered class or upcaster."""


def _name(expected: int) -> str:
    from innovation.store.records import ANY, NO_STREAM

    return {NO_STREAM: "NO_STREAM", ANY: "ANY"}.get(expected, str(expected))
