"""The tenant's webhook signing secret (Standard Webhooks `whsec_...`)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Router

from api_routes.auth import current_tenant
from mediabatch import container

router = Router()


@router.get("/api/v1/webhooks/secret")
def get_secret() -> dict[str, Any]:
    tenant = current_tenant(router)
    return {"secret": container.tenant_service().webhook_secret(tenant.tenant_id)}


@router.post("/api/v1/webhooks/secret/rotate")
def rotate_secret() -> dict[str, Any]:
    tenant = current_tenant(router)
    return {"secret": container.tenant_service().rotate_webhook_secret(tenant.tenant_id)}
