"""The tenant's webhook signing secret (Standard Webhooks `whsec_...`)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from api_routes.auth import current_tenant
from mediabatch import container
from schemas.webhooks import WebhookSecretOut

router = Router()


@router.get("/api/v1/webhooks/secret", summary="The secret webhooks are signed with", tags=["webhooks"])
def get_secret() -> WebhookSecretOut:
    return WebhookSecretOut.of(container.tenant_service().webhook_secret(current_tenant(router).tenant_id))


@router.post(
    "/api/v1/webhooks/secret/rotate",
    summary="Replace the signing secret; webhooks are signed with the new one from now on",
    tags=["webhooks"],
)
def rotate_secret() -> WebhookSecretOut:
    return WebhookSecretOut.of(container.tenant_service().rotate_webhook_secret(current_tenant(router).tenant_id))
