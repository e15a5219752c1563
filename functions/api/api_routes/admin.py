"""Operator routes: create tenants, issue, list and revoke their API keys.

They take the admin token (`X-Admin-Token`), never a tenant key: the tenant auth middleware
skips `/admin/` (api_routes.auth), and every route here checks the token first."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from mediabatch import container
from schemas.admin import ApiKeyListOut, ApiKeyOut, IssuedKeyOut, TenantIn, TenantOut

router = Router()


def require_admin() -> None:
    headers = {k.lower(): v for k, v in (router.current_event.headers or {}).items()}
    container.admin_guard().check(headers.get("x-admin-token"))


@router.post(
    "/admin/v1/tenants",
    summary="Create a tenant (admin)",
    tags=["admin"],
    responses={201: {"description": "Created", "content": {"application/json": {"model": TenantOut}}}},
)
def create_tenant(request: Annotated[TenantIn, Body()]) -> Response[TenantOut]:
    require_admin()
    tenant = container.tenant_admin_service().create_tenant(request.tenant_id)
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=TenantOut.of(tenant))


@router.post(
    "/admin/v1/tenants/<tenant_id>/keys",
    summary="Issue an API key for a tenant; the key is shown once (admin)",
    tags=["admin"],
    responses={201: {"description": "Created", "content": {"application/json": {"model": IssuedKeyOut}}}},
)
def issue_key(tenant_id: str) -> Response[IssuedKeyOut]:
    require_admin()
    issued = container.tenant_admin_service().issue_key(tenant_id)
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=IssuedKeyOut.issued(issued))


@router.get(
    "/admin/v1/tenants/<tenant_id>/keys",
    summary="A tenant's API keys: id, prefix and times only (admin)",
    tags=["admin"],
)
def list_keys(tenant_id: str) -> ApiKeyListOut:
    require_admin()
    return ApiKeyListOut.of(tenant_id, container.tenant_admin_service().list_keys(tenant_id))


@router.delete(
    "/admin/v1/tenants/<tenant_id>/keys/<key_id>",
    summary="Revoke an API key; it fails from the next request on (admin)",
    tags=["admin"],
)
def revoke_key(tenant_id: str, key_id: str) -> ApiKeyOut:
    require_admin()
    return ApiKeyOut.of(container.tenant_admin_service().revoke_key(tenant_id, key_id))
