"""Refusals that come from outside the pipeline's own rules: permissions and concurrency."""

from __future__ import annotations

from typing import ClassVar

from innovation.domain.errors import ErrorCode, InvalidInputError


class ServiceError(Exception):
    """An expected refusal with a code clients know; nothing was written."""

    code: ClassVar[ErrorCode] = ErrorCode.VALIDATION

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ForbiddenError(ServiceError):
    """The caller's role, or ownership, does not allow this."""

    code = ErrorCode.FORBIDDEN


class ConflictError(ServiceError):
    """Someone else changed the same thing first; read again and retry."""

    code = ErrorCode.CONFLICT

    def __init__(self, message: str, field: str | None = None, actual: int | None = None) -> None:
        super().__init__(message, field)
        self.actual = actual


class CommandIdReusedError(ServiceError):
    """A caller-chosen command id sent again with a different request: neither is applied."""

    code = ErrorCode.VALIDATION


class UnknownThemeError(InvalidInputError):
    """A theme outside the configured list (INNOVATION_THEMES): the configuration's rule, not
    the domain's, so the service checks it, and reports it beside the domain's refusals."""
