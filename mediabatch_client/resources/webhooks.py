"""Webhooks: the tenant's signing secret (`/api/v1/webhooks/secret`), subscriptions
(`/api/v0/webhooks`), their delivery log and redelivery. Checking a delivery's signature with
the secret: `mediabatch_client.webhooks.verify`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from urllib.parse import quote

from mediabatch_client.resources._base import WireModel, iterate
from mediabatch_client.transport import Transport, new_idempotency_key

__all__ = [
    "Delivery",
    "DeliveryAttempt",
    "DeliveryPage",
    "Redelivery",
    "WebhookSecret",
    "WebhookSubscription",
    "WebhookSubscriptionList",
    "Webhooks",
]


class WebhookSecret(WireModel):
    wire_schema = "WebhookSecretOut"
    secret: str


class WebhookSubscription(WireModel):
    wire_schema = "WebhookSubscriptionOut"
    id: str
    url: str
    events: list[str]
    created_at: str


class WebhookSubscriptionList(WireModel):
    wire_schema = "WebhookSubscriptionListOut"
    items: list[WebhookSubscription]


class DeliveryAttempt(WireModel):
    wire_schema = "DeliveryAttemptOut"
    attempt: int
    status_code: int | None
    latency_ms: int
    error: str | None
    at: str
    state: str


class Delivery(WireModel):
    """One (event, endpoint) of the delivery log, with every attempt."""

    wire_schema = "DeliveryOut"
    id: str
    webhook_id: str
    event_id: str
    event_type: str
    endpoint: str
    state: str
    created_at: str
    updated_at: str
    attempts: list[DeliveryAttempt]


class DeliveryPage(WireModel):
    wire_schema = "DeliveryListOut"
    items: list[Delivery]
    next_cursor: str | None

    def page_items(self) -> list[Delivery]:
        return self.items


class Redelivery(WireModel):
    wire_schema = "RedeliveryOut"
    delivery_id: str
    webhook_id: str
    status: str


def _q(value: str) -> str:
    return quote(value, safe="")


class Webhooks:
    """`client.webhooks`: the signing secret, subscriptions and their deliveries."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def secret(self) -> str:
        """The current `whsec_...` secret."""
        return WebhookSecret.model_validate(self._t.request("GET", "/api/v1/webhooks/secret")).secret

    def rotate_secret(self) -> str:
        """A new secret (the old one stops signing at once)."""
        data = self._t.request("POST", "/api/v1/webhooks/secret/rotate")
        return WebhookSecret.model_validate(data).secret

    def subscribe(self, url: str, events: Sequence[str], *, idempotency_key: str | None = None) -> WebhookSubscription:
        """POST /api/v0/webhooks: `events` are types (`batch.completed`) or wildcards (`job.*`, `*`)."""
        data = self._t.request(
            "POST",
            "/api/v0/webhooks",
            json={"url": url, "events": list(events)},
            idempotency_key=idempotency_key or new_idempotency_key(),
        )
        return WebhookSubscription.model_validate(data)

    def list(self) -> list[WebhookSubscription]:
        """Every subscription (at most 20), oldest first."""
        return WebhookSubscriptionList.model_validate(self._t.request("GET", "/api/v0/webhooks")).items

    def get(self, webhook_id: str) -> WebhookSubscription:
        return WebhookSubscription.model_validate(self._t.request("GET", f"/api/v0/webhooks/{_q(webhook_id)}"))

    def unsubscribe(self, webhook_id: str) -> None:
        """Immediate: the endpoint gets nothing more, not even retries."""
        self._t.request("DELETE", f"/api/v0/webhooks/{_q(webhook_id)}")

    def deliveries(self, webhook_id: str, *, limit: int = 20, cursor: str | None = None) -> DeliveryPage:
        """One page of the subscription's delivery log, newest first."""
        data = self._t.request(
            "GET", f"/api/v0/webhooks/{_q(webhook_id)}/deliveries", params={"limit": limit, "cursor": cursor}
        )
        return DeliveryPage.model_validate(data)

    def iter_deliveries(self, webhook_id: str, *, page_size: int = 100) -> Iterator[Delivery]:
        return iterate(lambda cursor: self.deliveries(webhook_id, limit=page_size, cursor=cursor))

    def redeliver(self, delivery_id: str) -> Redelivery:
        """Send a delivery again (same `webhook-id`, fresh signature)."""
        data = self._t.request("POST", f"/api/v0/webhooks/deliveries/{_q(delivery_id)}/redeliver", safe=False)
        return Redelivery.model_validate(data)
