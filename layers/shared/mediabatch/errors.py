"""Domain errors. Each carries a stable machine `code` and an HTTP status; the API maps them
to responses in one place (functions/api/app.py)."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, details: Any = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        if code:
            self.code = code


class ValidationFailed(DomainError):
    status = 400
    code = "validation_error"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class UnsafeUrl(DomainError):
    """A URL points somewhere the service must not reach (SSRF guard)."""

    status = 400
    code = "unsafe_url"
