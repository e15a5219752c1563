"""Reading a subscription's delivery log, and sending one delivery again."""

from __future__ import annotations

from mediabatch.errors import NotFound
from mediabatch.webhooks.models import BATCH_ENDPOINT, Delivery, DeliveryPage
from mediabatch.webhooks.ports import DeliveryEnqueuer, DeliveryLog, SubscriptionRepository

MAX_DELIVERY_PAGE = 100
RETENTION_DAYS = 30  # docs/limits.md: a delivery is kept 30 days after its last attempt


class DeliveryLogService:
    def __init__(self, subscriptions: SubscriptionRepository, log: DeliveryLog, queue: DeliveryEnqueuer) -> None:
        self._subscriptions = subscriptions
        self._log = log
        self._queue = queue

    def deliveries(self, tenant_id: str, subscription_id: str, *, limit: int, cursor: str | None) -> DeliveryPage:
        """Newest first. NotFound `webhook_not_found` for a subscription the tenant does not have."""
        if self._subscriptions.get(tenant_id, subscription_id) is None:
            raise NotFound(f"webhook subscription {subscription_id} not found", code="webhook_not_found")
        return self._log.list_for_endpoint(tenant_id, subscription_id, limit=limit, cursor=cursor)

    def redeliver(self, tenant_id: str, delivery_id: str) -> Delivery:
        """Queues the delivery again, with the same webhook-id (receivers de-duplicate); its
        attempts are logged on the same delivery. NotFound `delivery_not_found` (also for
        another tenant's delivery), `webhook_not_found` when its subscription was deleted."""
        delivery = self._log.get(tenant_id, delivery_id)
        if delivery is None:
            raise NotFound(f"webhook delivery {delivery_id} not found", code="delivery_not_found")
        if delivery.endpoint != BATCH_ENDPOINT and self._subscriptions.get(tenant_id, delivery.endpoint) is None:
            raise NotFound(
                f"webhook subscription {delivery.endpoint} of delivery {delivery_id} was deleted",
                code="webhook_not_found",
            )
        self._queue.enqueue([delivery.task()])
        return delivery
