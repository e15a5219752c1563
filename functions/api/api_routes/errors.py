"""The one place where domain errors become HTTP: code -> status, and the error envelope."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types

from mediabatch.errors import Conflict, DomainError, NotFound, PayloadTooLarge, TooManyRequests, Unauthorized

# Kinds of domain error and their status; a code listed in STATUS_BY_CODE overrides its kind.
STATUS_BY_KIND: dict[type[DomainError], int] = {
    Unauthorized: 401,
    NotFound: 404,
    Conflict: 409,
    PayloadTooLarge: 413,
    # Quotas (api_routes.limits adds Retry-After): `rate_limited`, `too_many_running_jobs`.
    TooManyRequests: 429,
}
STATUS_BY_CODE: dict[str, int] = {
    # Show batches: the URL is well-formed but holds nothing this service can download.
    "drm_protected": 422,
    "no_episodes": 422,
    "extraction_failed": 422,
    "extraction_timed_out": 504,
}
DEFAULT_STATUS = 400


def status_for(exc: DomainError) -> int:
    if exc.code in STATUS_BY_CODE:
        return STATUS_BY_CODE[exc.code]
    for kind in type(exc).__mro__:
        if kind in STATUS_BY_KIND:
            return STATUS_BY_KIND[kind]
    return DEFAULT_STATUS


def error_response(
    status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> Response[str]:
    """The error envelope (`schemas.errors.ErrorEnvelope`); `details` only when there is some."""
    body: dict[str, Any] = {"success": False, "error": {"code": code, "message": message}}
    if details is not None:
        body["error"]["details"] = details
    return Response(
        status_code=status, content_type=content_types.APPLICATION_JSON, body=json.dumps(body), headers=headers
    )
