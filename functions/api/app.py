"""HTTP API: routes are thin; errors become responses here, in one place."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError, ResponseValidationError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ValidationError

import openapi_document
from api_routes import (
    admin,
    audit,
    auth,
    batches,
    documents,
    health,
    limits,
    media,
    operations,
    shows,
    static_site,
    uploads,
    webhook_subscriptions,
    webhooks,
)
from api_routes.errors import error_response, status_for
from api_routes.validation import JsonOnlyBodies, details_of, not_json_message
from mediabatch.errors import DomainError

logger = Logger()
tracer = Tracer()
metrics = Metrics()

# Requests are validated from the routes' annotations (Query/Path/Body models) and responses
# serialised through their response models, which also generate the OpenAPI document. A
# response that does not match its model is our bug: 500, never a 400 blamed on the client.
app = APIGatewayHttpResolver(
    enable_validation=True, response_validation_error_http_code=HTTPStatus.INTERNAL_SERVER_ERROR
)
# Powertools builds its validation middleware on first use unless one is there: ours reads only
# JSON bodies (a form-encoded body would be read into the model, any other type answered 500).
app._request_validation_middleware = JsonOnlyBodies()
# Quotas need the tenant (request bounds are checked before the resolver: lambda_handler).
app.use(middlewares=[auth.authenticate, limits.enforce_quotas])
app.include_router(health.router)
app.include_router(batches.router)
app.include_router(webhooks.router)
app.include_router(uploads.router)
app.include_router(media.router)
app.include_router(operations.router)
app.include_router(audit.router)
app.include_router(webhook_subscriptions.router)
app.include_router(shows.router)
app.include_router(static_site.router)
app.include_router(documents.router)
app.include_router(admin.router)
openapi_document.register(app)


@app.exception_handler(DomainError)
def handle_domain_error(exc: DomainError) -> Response[str]:
    status = status_for(exc)
    if status >= 500:
        logger.exception("domain error")
    return error_response(status, exc.code, exc.message, exc.details)


@app.exception_handler(ValidationError)
def handle_validation_error(exc: ValidationError) -> Response[str]:
    return validation_response(exc.errors(include_url=False))


@app.exception_handler(RequestValidationError)
def handle_request_validation_error(exc: RequestValidationError) -> Response[str]:
    errors = list(exc.errors())
    not_json = not_json_message(errors)
    if not_json is not None:
        return error_response(400, "invalid_json", not_json)
    return validation_response(errors)


@app.exception_handler(ResponseValidationError)
def handle_response_validation_error(exc: ResponseValidationError) -> Response[str]:
    logger.error("response does not match its model", extra={"errors": exc.errors()})
    return error_response(500, "internal_error", "internal error; it has been logged")


def validation_response(errors: Any) -> Response[str]:
    """400 validation_error: every problem with its field path (`files[0].filename`), and a
    "did you mean" for an unknown field close to one of the route's body model."""
    details = details_of(list(errors), current_body_model())
    summary = "; ".join(f"{d['field']}: {d['message']}" for d in details[:5])
    return error_response(400, "validation_error", f"invalid request: {summary}", details)


def current_body_model() -> type[BaseModel] | None:
    """The body model of the route being answered (Powertools keeps the route in its context)."""
    route = app.context.get("_route")
    params = route.dependant.body_params if route is not None else []
    annotation = params[0].field_info.annotation if len(params) == 1 else None
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


@app.exception_handler(json.JSONDecodeError)
def handle_bad_json(exc: json.JSONDecodeError) -> Response[str]:
    message = not_json_message([{"type": "json_invalid", "ctx": {"error": exc.msg}}])
    return error_response(400, "invalid_json", message or "request body is not valid JSON")


@app.not_found
def handle_not_found(exc: Exception) -> Response[str]:
    """Every request no route matches lands here (the template's $default route sends them)."""
    method, path = app.current_event.http_method, app.current_event.path
    allowed = allowed_methods(path)
    if allowed:
        return error_response(
            405,
            "method_not_allowed",
            f"{method} is not allowed on {path}; allowed: {', '.join(allowed)}",
            headers={"Allow": ", ".join(allowed)},
        )
    return error_response(404, "route_not_found", f"no route for {method} {path}")


def allowed_methods(path: str) -> list[str]:
    """Methods of the routes whose path pattern matches `path` (Powertools keeps its compiled
    routes in these two lists; it offers no public lookup)."""
    routes = [*app._static_routes, *app._dynamic_routes]
    return sorted({route.method.upper() for route in routes if route.rule.match(path)})


@app.exception_handler(Exception)
def handle_unexpected(exc: Exception) -> Response[str]:
    logger.exception("unhandled error")
    return error_response(500, "internal_error", "internal error; it has been logged")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return limits.oversized_answer(event) or app.resolve(event, context)
