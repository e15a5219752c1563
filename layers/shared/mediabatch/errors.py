"""Domain errors: a stable machine `code`, a message in the product's words and optional
`details`. They know nothing of HTTP: the API's one exception handler maps each to a status
(functions/api/errors.py). The subclasses are kinds of failure, not transports."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "bad_request"

    def __init__(self, message: str, *, details: Any = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        if code:
            self.code = code


class ValidationFailed(DomainError):
    """The request is well-formed but its content is not acceptable."""

    code = "validation_error"


class Unauthorized(DomainError):
    code = "unauthorized"


class NotFound(DomainError):
    """Missing, or owned by another tenant: the two are never told apart."""

    code = "not_found"


class Conflict(DomainError):
    """The request clashes with the current state (a reused idempotency key, a finished upload)."""

    code = "conflict"


class PayloadTooLarge(DomainError):
    code = "payload_too_large"


class UnsafeUrl(DomainError):
    """A URL points somewhere the service must not reach (SSRF guard)."""

    code = "unsafe_url"


class TooManyRequests(DomainError):
    """A tenant is over one of its limits (docs/limits.md); it may try again after
    `retry_after_seconds`."""

    code = "rate_limited"

    def __init__(self, message: str, *, retry_after_seconds: int, details: Any = None, code: str | None = None) -> None:
        super().__init__(message, details=details, code=code)
        self.retry_after_seconds = retry_after_seconds
