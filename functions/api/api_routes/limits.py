"""Bounds on every request and per-tenant quotas on creating batch work, as resolver
middlewares: they run in the API function, so they hold on AWS as they do locally
(docs/limits.md). API Gateway's own limits (10 MB bodies, 10 KB of request line and
headers) apply before the function runs."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types

from api_routes.auth import current_tenant
from api_routes.errors import error_response
from mediabatch import container
from mediabatch.errors import TooManyRequests

MAX_PATH_LENGTH = 2048
MAX_QUERY_LENGTH = 4096
MAX_HEADER_COUNT = 64
MAX_HEADER_BYTES = 16 * 1024

# Routes that start batch work (docs/limits.md): each admitted request takes one unit of the
# tenant's creation window. Those that start download jobs also meet the running-jobs limit.
JOB_ROUTES = frozenset(
    {
        ("POST", "/api/v1/batch/download"),
        ("POST", "/api/v1/batch/<batch_id>/retry"),
        ("POST", "/jobs"),
        ("POST", "/batch/<batch_id>/retry"),
    }
)
CREATE_ROUTES = JOB_ROUTES | {
    ("POST", "/api/v1/videos/batch/init"),
    ("POST", "/api/v0/media/batch/delete"),
    ("POST", "/api/v0/media/batch/copy"),
    ("POST", "/api/start-embedding"),
    ("POST", "/api/start-embedding-batch"),
    ("POST", "/api/embedding-uploads"),
}
# The document seed prescribes its own error body for its routes: `{"detail": "..."}`.
DETAIL_BODY_PREFIXES = ("/api/start-embedding", "/api/embedding-uploads", "/api/job-status/", "/api/collections")

Next = Callable[[APIGatewayHttpResolver], Response[str]]


def oversized_answer(event: dict[str, Any]) -> dict[str, Any] | None:
    """The answer to a request over a bound (414 path or query string, 431 headers), as an
    API Gateway payload 2.0 result; None for a request within them. Checked on the raw event
    before the resolver runs: its request validation would answer first otherwise."""
    path = str(event.get("rawPath") or "")
    headers: dict[str, str] = event.get("headers") or {}
    header_bytes = sum(len(name) + len(value) for name, value in headers.items())
    refusal: tuple[int, str, str] | None = None
    if len(path) > MAX_PATH_LENGTH:
        refusal = (414, "uri_too_long", f"the path is longer than {MAX_PATH_LENGTH} characters")
    elif len(str(event.get("rawQueryString") or "")) > MAX_QUERY_LENGTH:
        refusal = (414, "query_too_long", f"the query string is longer than {MAX_QUERY_LENGTH} characters")
    elif len(headers) > MAX_HEADER_COUNT:
        refusal = (431, "headers_too_large", f"more than {MAX_HEADER_COUNT} headers")
    elif header_bytes > MAX_HEADER_BYTES:
        refusal = (431, "headers_too_large", f"the headers hold more than {MAX_HEADER_BYTES} bytes")
    if refusal is None:
        return None
    response = refused(path, *refusal)
    return {
        "statusCode": response.status_code,
        "headers": {"Content-Type": content_types.APPLICATION_JSON},
        "body": response.body,
        "isBase64Encoded": False,
    }


def enforce_quotas(app: APIGatewayHttpResolver, next_middleware: Next) -> Response[str]:
    """429 when the tenant is over a limit; a request that creates nothing (any answer but
    2xx) gives its unit of the creation window back."""
    route = app.context.get("_route")
    key = (route.method, route.path) if route is not None else None
    if key not in CREATE_ROUTES:
        return next_middleware(app)
    tenant_id = current_tenant(app).tenant_id
    quotas = container.quota_service()
    try:
        if key in JOB_ROUTES:
            quotas.check_running_jobs(tenant_id)
        admission = quotas.admit_creation(tenant_id)
    except TooManyRequests as exc:
        return refused(
            app.current_event.path,
            429,
            exc.code,
            exc.message,
            details=exc.details,
            headers={"Retry-After": str(exc.retry_after_seconds)},
        )
    try:
        response = next_middleware(app)
    except Exception:
        quotas.release(admission)
        raise
    if not 200 <= response.status_code < 300:
        quotas.release(admission)
    return response


def refused(
    path: str,
    status: int,
    code: str,
    message: str,
    *,
    details: object = None,
    headers: dict[str, str] | None = None,
) -> Response[str]:
    """The error envelope, or the document seed's `{"detail": ...}` on its routes."""
    if path.startswith(DETAIL_BODY_PREFIXES):
        return Response(
            status_code=status,
            content_type=content_types.APPLICATION_JSON,
            body=json.dumps({"detail": message}),
            headers=headers,
        )
    return error_response(status, code, message, details, headers=headers)
