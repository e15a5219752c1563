"""Tenant-level webhook subscriptions (v0) and their delivery log."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from api_routes.auth import current_tenant
from api_routes.idempotency import run_idempotent
from mediabatch import container
from mediabatch.webhooks.delivery_log import MAX_DELIVERY_PAGE
from schemas.webhooks import (
    DeliveryListOut,
    RedeliveryOut,
    WebhookSubscriptionIn,
    WebhookSubscriptionListOut,
    WebhookSubscriptionOut,
)

router = Router()


@router.post(
    "/api/v0/webhooks",
    summary="Subscribe an endpoint to file, job and batch events",
    tags=["webhooks"],
    responses={
        201: {
            "description": "Created",
            "content": {"application/json": {"model": WebhookSubscriptionOut}},
        }
    },
)
def create_subscription(request: Annotated[WebhookSubscriptionIn, Body()]) -> Response[WebhookSubscriptionOut]:
    tenant_id = current_tenant(router).tenant_id
    created = run_idempotent(
        "webhook.subscribe",
        tenant_id,
        router.current_event.headers.get("idempotency-key"),
        request.model_dump(mode="json"),
        lambda: WebhookSubscriptionOut.of(
            container.webhook_subscription_service().create(tenant_id, request.url, request.events)
        ).model_dump(mode="json"),
        lambda_context=router.lambda_context,
    )
    return Response(
        status_code=201,
        content_type=content_types.APPLICATION_JSON,
        body=WebhookSubscriptionOut.model_validate(created),
        headers={"Location": f"/api/v0/webhooks/{created['id']}"},
    )


@router.get("/api/v0/webhooks", summary="The tenant's webhook subscriptions", tags=["webhooks"])
def list_subscriptions() -> WebhookSubscriptionListOut:
    return WebhookSubscriptionListOut.of(
        container.webhook_subscription_service().list(current_tenant(router).tenant_id)
    )


@router.get("/api/v0/webhooks/<webhook_id>", summary="One webhook subscription", tags=["webhooks"])
def get_subscription(webhook_id: str) -> WebhookSubscriptionOut:
    tenant_id = current_tenant(router).tenant_id
    return WebhookSubscriptionOut.of(container.webhook_subscription_service().get(tenant_id, webhook_id))


@router.delete(
    "/api/v0/webhooks/<webhook_id>",
    summary="Unsubscribe: the endpoint receives nothing more",
    tags=["webhooks"],
    responses={204: {"description": "Deleted"}},
)
def delete_subscription(webhook_id: str) -> Response[None]:
    container.webhook_subscription_service().delete(current_tenant(router).tenant_id, webhook_id)
    return Response(status_code=204, body=None)


@router.get(
    "/api/v0/webhooks/<webhook_id>/deliveries",
    summary="A subscription's deliveries with every attempt, newest first",
    tags=["webhooks"],
)
def list_deliveries(
    webhook_id: str,
    limit: Annotated[int, Query(ge=1, le=MAX_DELIVERY_PAGE, description="deliveries per page")] = 20,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page")] = None,
) -> DeliveryListOut:
    page = container.webhook_delivery_log().deliveries(
        current_tenant(router).tenant_id, webhook_id, limit=limit, cursor=cursor
    )
    return DeliveryListOut.of(page)


@router.post(
    "/api/v0/webhooks/deliveries/<delivery_id>/redeliver",
    summary="Send a delivery again, with the same webhook-id",
    tags=["webhooks"],
    responses={
        202: {
            "description": "Accepted: queued; the attempt appears in the delivery log",
            "content": {"application/json": {"model": RedeliveryOut}},
        }
    },
)
def redeliver(delivery_id: str) -> Response[RedeliveryOut]:
    delivery = container.webhook_delivery_log().redeliver(current_tenant(router).tenant_id, delivery_id)
    return Response(status_code=202, content_type=content_types.APPLICATION_JSON, body=RedeliveryOut.of(delivery))
