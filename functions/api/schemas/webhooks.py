"""Webhook wire shapes: the signing secret, subscriptions and their delivery log."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from mediabatch.webhooks.events import EVENT_TYPES, FILTERS, WILDCARDS
from mediabatch.webhooks.models import Delivery, DeliveryAttempt, DeliveryPage, WebhookSubscription

MAX_FILTERS = len(FILTERS)


class WebhookSecretOut(BaseModel):
    secret: str = Field(description="Standard Webhooks signing secret (`whsec_` + base64 of 32 random bytes)")

    @classmethod
    def of(cls, secret: str) -> WebhookSecretOut:
        return cls(secret=secret)


class WebhookSubscriptionIn(BaseModel):
    """POST /api/v0/webhooks body."""

    model_config = ConfigDict(extra="forbid", strict=True)

    url: str = Field(description="http(s) endpoint; must pass the SSRF policy (public addresses only)")
    events: list[str] = Field(
        min_length=1,
        max_length=MAX_FILTERS,
        description=f"event types ({', '.join(EVENT_TYPES)}) or wildcards ({', '.join(WILDCARDS)})",
    )


class WebhookSubscriptionOut(BaseModel):
    id: str
    url: str
    events: list[str]
    created_at: str

    @classmethod
    def of(cls, subscription: WebhookSubscription) -> WebhookSubscriptionOut:
        return cls(
            id=subscription.id, url=subscription.url, events=subscription.events, created_at=subscription.created_at
        )


class WebhookSubscriptionListOut(BaseModel):
    items: list[WebhookSubscriptionOut]

    @classmethod
    def of(cls, subscriptions: list[WebhookSubscription]) -> WebhookSubscriptionListOut:
        return cls(items=[WebhookSubscriptionOut.of(s) for s in subscriptions])


class DeliveryAttemptOut(BaseModel):
    attempt: int = Field(description="1 for the first attempt; redeliveries continue the count")
    status_code: int | None = Field(description="the receiver's HTTP status; null when it gave no answer")
    latency_ms: int
    error: str | None
    at: str
    state: str = Field(description="delivered, retrying, dead_lettered or failed (not retryable)")

    @classmethod
    def of(cls, attempt: DeliveryAttempt) -> DeliveryAttemptOut:
        return cls(
            attempt=attempt.number,
            status_code=attempt.status_code,
            latency_ms=attempt.latency_ms,
            error=attempt.error,
            at=attempt.at,
            state=attempt.state.value,
        )


class DeliveryOut(BaseModel):
    id: str
    webhook_id: str = Field(description="the `webhook-id` header: the same on every attempt and redelivery")
    event_id: str = Field(description="the product event's id")
    event_type: str
    endpoint: str = Field(description='the subscription id, or "batch" for a batch\'s own webhook_url')
    state: str = Field(description="the last attempt's state: delivered, retrying, dead_lettered or failed")
    created_at: str
    updated_at: str
    attempts: list[DeliveryAttemptOut] = Field(description="oldest first")

    @classmethod
    def of(cls, delivery: Delivery) -> DeliveryOut:
        return cls(
            id=delivery.id,
            webhook_id=delivery.webhook_id,
            event_id=delivery.event.id,
            event_type=delivery.event.type,
            endpoint=delivery.endpoint,
            state=delivery.state.value,
            created_at=delivery.created_at,
            updated_at=delivery.updated_at,
            attempts=[DeliveryAttemptOut.of(a) for a in delivery.attempts],
        )


class DeliveryListOut(BaseModel):
    items: list[DeliveryOut] = Field(description="newest first")
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last page")

    @classmethod
    def of(cls, page: DeliveryPage) -> DeliveryListOut:
        return cls(items=[DeliveryOut.of(d) for d in page.items], next_cursor=page.next_cursor)


class RedeliveryOut(BaseModel):
    delivery_id: str
    webhook_id: str
    status: str = Field(description='"queued": the attempt will appear in the delivery log')

    @classmethod
    def of(cls, delivery: Delivery) -> RedeliveryOut:
        return cls(delivery_id=delivery.id, webhook_id=delivery.webhook_id, status="queued")
