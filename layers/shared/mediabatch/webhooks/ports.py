"""What webhook delivery, subscriptions and the delivery log need from the outside world."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from mediabatch.webhooks.models import (
    Delivery,
    DeliveryAttempt,
    DeliveryPage,
    DeliveryTask,
    PostResult,
    WebhookSubscription,
)


class WebhookPoster(Protocol):
    """Posts to tenants' URLs without letting them point at internal addresses."""

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> PostResult:
        """An answer or its absence (status None) as a result; raises UnsafeUrl for a URL the
        service must not reach."""
        ...


class WebhookSecrets(Protocol):
    """Each tenant's signing secret (the tenant service)."""

    def webhook_secret(self, tenant_id: str) -> str: ...


class WebhookUrlLookup(Protocol):
    """The webhook URL a batch was created with, if any (None also for an unknown batch)."""

    def __call__(self, tenant_id: str, batch_id: str) -> str | None: ...


class UrlChecker(Protocol):
    """The SSRF policy (mediabatch.urlguard.UrlPolicy): raises UnsafeUrl."""

    def check_url(self, url: str, *, resolve: bool = True) -> None: ...


class SubscriptionRepository(Protocol):
    """Tenants' webhook subscriptions; every lookup is scoped by tenant."""

    def add(self, subscription: WebhookSubscription) -> None: ...

    def get(self, tenant_id: str, subscription_id: str) -> WebhookSubscription | None: ...

    def list(self, tenant_id: str) -> list[WebhookSubscription]:
        """Every subscription of the tenant, oldest first (there are few: see the limit)."""
        ...

    def remove(self, tenant_id: str, subscription_id: str) -> bool:
        """False when there was none."""
        ...


class DeliveryLog(Protocol):
    """Every delivery and its attempts, kept for a retention period."""

    def record_attempt(self, task: DeliveryTask, attempt: DeliveryAttempt) -> int:
        """Appends `attempt` to the delivery (created on its first attempt; `attempt.number` is
        ignored) and sets the delivery's state to the attempt's. Returns the attempt's number."""
        ...

    def get(self, tenant_id: str, delivery_id: str) -> Delivery | None: ...

    def list_for_endpoint(self, tenant_id: str, endpoint: str, *, limit: int, cursor: str | None) -> DeliveryPage:
        """Newest first; raises ValidationFailed `invalid_cursor` for a cursor it did not issue
        for this tenant and endpoint."""
        ...


class DeliveryEnqueuer(Protocol):
    """The webhook queue: each task is delivered, retried and dead-lettered on its own."""

    def enqueue(self, tasks: Sequence[DeliveryTask]) -> None: ...
