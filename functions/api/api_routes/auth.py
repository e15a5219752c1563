"""Tenant authentication middleware: X-API-Key or Authorization: Bearer."""

from __future__ import annotations

from collections.abc import Callable

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from mediabatch import container
from mediabatch.tenants.models import Tenant

# No key needed: the liveness probe, the API's own description (OpenAPI, Swagger UI) and the
# browser page (`/` and its files under `/app/`; it asks for the key itself).
PUBLIC_PATHS = frozenset({"/health", "/openapi.json", "/docs", "/"})
PUBLIC_PREFIXES = ("/app/",)


# Operator routes take the admin token instead of a tenant key (api_routes.admin checks it).
ADMIN_PREFIX = "/admin/"


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def needs_tenant_key(path: str) -> bool:
    return not is_public(path) and not path.startswith(ADMIN_PREFIX)


def api_key_from(headers: dict[str, str]) -> str | None:
    key = headers.get("x-api-key")
    if key:
        return key.strip()
    authorization = headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def authenticate(app: APIGatewayHttpResolver, next_middleware: Callable[..., Response[str]]) -> Response[str]:
    if needs_tenant_key(app.current_event.path) and app.current_event.http_method != "OPTIONS":
        headers = {k.lower(): v for k, v in (app.current_event.headers or {}).items()}
        tenant = container.tenant_service().authenticate(api_key_from(headers))
        app.append_context(tenant=tenant)
    return next_middleware(app)


def current_tenant(router: Router | APIGatewayHttpResolver) -> Tenant:
    tenant = router.context.get("tenant")
    assert isinstance(tenant, Tenant), "route is not behind the auth middleware"
    return tenant
