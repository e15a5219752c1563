"""One product event becomes one queued delivery per endpoint, so that each endpoint is
retried on its own: a failing receiver never makes a succeeding one get the event again."""

from __future__ import annotations

from mediabatch.webhooks.events import matches
from mediabatch.webhooks.models import BATCH_ENDPOINT, DeliveryTask, WebhookEvent
from mediabatch.webhooks.ports import DeliveryEnqueuer, SubscriptionRepository, WebhookUrlLookup


class WebhookFanOut:
    def __init__(
        self, subscriptions: SubscriptionRepository, queue: DeliveryEnqueuer, webhook_url_of: WebhookUrlLookup
    ) -> None:
        self._subscriptions = subscriptions
        self._queue = queue
        self._webhook_url_of = webhook_url_of

    def endpoints_for(self, event: WebhookEvent) -> list[DeliveryTask]:
        """The batch's own `webhook_url` (batch events only, as always) and every subscription
        of the event's tenant whose filters match."""
        tenant_id = event.tenant_id
        if not tenant_id:
            return []
        tasks: list[DeliveryTask] = []
        batch_id = event.batch_id
        if event.type.startswith("batch.") and batch_id and self._webhook_url_of(tenant_id, batch_id):
            tasks.append(DeliveryTask.of(tenant_id, BATCH_ENDPOINT, event))
        tasks += [
            DeliveryTask.of(tenant_id, s.id, event)
            for s in self._subscriptions.list(tenant_id)
            if matches(s.events, event.type)
        ]
        return tasks

    def fan_out(self, event: WebhookEvent) -> list[DeliveryTask]:
        """Queues the deliveries. Raises when the queue refuses: the event comes back and is
        fanned out again (at least once; the same delivery ids and webhook-ids)."""
        tasks = self.endpoints_for(event)
        if tasks:
            self._queue.enqueue(tasks)
        return tasks
