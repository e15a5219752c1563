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
from pydantic import ValidationError

import openapi_document
from api_routes import auth, batches, documents, health, media, uploads, webhooks
from api_routes.errors import error_response, status_for
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
app.use(middlewares=[auth.authenticate])
app.include_router(health.router)
app.include_router(batches.router)
app.include_router(webhooks.router)
app.include_router(uploads.router)
app.include_router(media.router)
app.include_router(documents.router)
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
    if any(err.get("type") == "json_invalid" for err in errors):
        reason = next(err.get("ctx", {}).get("error", "") for err in errors if err.get("type") == "json_invalid")
        return error_response(400, "invalid_json", f"request body is not valid JSON: {reason}")
    # Powertools prefixes where the value came from (body/query/path); users name the field.
    return validation_response(
        [{**err, "loc": tuple(err["loc"][1:]) if err["loc"][:1] in _SOURCES else err["loc"]} for err in errors]
    )


@app.exception_handler(ResponseValidationError)
def handle_response_validation_error(exc: ResponseValidationError) -> Response[str]:
    logger.error("response does not match its model", extra={"errors": exc.errors()})
    return error_response(500, "internal_error", "internal error; it has been logged")


_SOURCES = {("body",), ("query",), ("path",), ("header",)}


def validation_response(errors: Any) -> Response[str]:
    details = [{"field": ".".join(str(p) for p in err["loc"]) or "body", "message": err["msg"]} for err in errors]
    summary = "; ".join(f"{d['field']}: {d['message']}" for d in details[:5])
    return error_response(400, "validation_error", f"invalid request: {summary}", details)


@app.exception_handler(json.JSONDecodeError)
def handle_bad_json(exc: json.JSONDecodeError) -> Response[str]:
    return error_response(400, "invalid_json", f"request body is not valid JSON: {exc.msg}")


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


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
