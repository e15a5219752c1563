"""Fakes of mediabatch.webhooks.ports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from mediabatch.errors import UnsafeUrl, ValidationFailed
from mediabatch.webhooks.models import (
    Delivery,
    DeliveryAttempt,
    DeliveryPage,
    DeliveryTask,
    PostResult,
    WebhookSubscription,
)


@dataclass(frozen=True)
class Posted:
    url: str
    body: bytes
    headers: dict[str, str]


@dataclass
class RecordingPoster:
    """Answers every POST with `result` (or, for a URL in `answers`, its next answer; or raises
    `refuse`) and keeps what was posted."""

    result: PostResult = field(default_factory=lambda: PostResult(200))
    refuse: UnsafeUrl | None = None
    posted: list[Posted] = field(default_factory=list)
    answers: dict[str, list[PostResult]] = field(default_factory=dict)

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> PostResult:
        if self.refuse is not None:
            raise self.refuse
        self.posted.append(Posted(url, body, headers))
        queued = self.answers.get(url)
        return queued.pop(0) if queued else self.result

    def to(self, url: str) -> list[Posted]:
        return [p for p in self.posted if p.url == url]


class FixedSecrets:
    def __init__(self, secrets: dict[str, str]) -> None:
        self.secrets = secrets

    def webhook_secret(self, tenant_id: str) -> str:
        return self.secrets[tenant_id]


class WebhookUrls:
    """Batches' webhook URLs by (tenant, batch); an unknown batch has none."""

    def __init__(self, urls: dict[tuple[str, str], str]) -> None:
        self.urls = urls

    def __call__(self, tenant_id: str, batch_id: str) -> str | None:
        return self.urls.get((tenant_id, batch_id))


class InMemorySubscriptions:
    """The SubscriptionRepository port, in a dict keyed by (tenant, id)."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], WebhookSubscription] = {}

    def add(self, subscription: WebhookSubscription) -> None:
        self.items[(subscription.tenant_id, subscription.id)] = subscription

    def get(self, tenant_id: str, subscription_id: str) -> WebhookSubscription | None:
        return self.items.get((tenant_id, subscription_id))

    def list(self, tenant_id: str) -> list[WebhookSubscription]:
        return sorted((s for (t, _), s in self.items.items() if t == tenant_id), key=lambda s: (s.created_at, s.id))

    def remove(self, tenant_id: str, subscription_id: str) -> bool:
        return self.items.pop((tenant_id, subscription_id), None) is not None


class InMemoryDeliveryLog:
    """The DeliveryLog port: deliveries by (tenant, id), attempts appended; pages by offset."""

    def __init__(self) -> None:
        self.deliveries: dict[tuple[str, str], Delivery] = {}
        self._order: list[tuple[str, str]] = []

    def record_attempt(self, task: DeliveryTask, attempt: DeliveryAttempt) -> int:
        key = (task.tenant_id, task.delivery_id)
        old = self.deliveries.get(key)
        if old is None:
            self._order.append(key)
            old = Delivery(
                task.delivery_id, task.tenant_id, task.endpoint, task.event, attempt.state, attempt.at, attempt.at
            )
        number = len(old.attempts) + 1
        self.deliveries[key] = replace(
            old, state=attempt.state, updated_at=attempt.at, attempts=[*old.attempts, replace(attempt, number=number)]
        )
        return number

    def get(self, tenant_id: str, delivery_id: str) -> Delivery | None:
        return self.deliveries.get((tenant_id, delivery_id))

    def list_for_endpoint(self, tenant_id: str, endpoint: str, *, limit: int, cursor: str | None) -> DeliveryPage:
        mine = [
            self.deliveries[k]
            for k in reversed(self._order)
            if k[0] == tenant_id and self.deliveries[k].endpoint == endpoint
        ]
        start = 0
        if cursor is not None:
            owner, _, offset = cursor.partition(":")
            if owner != f"{tenant_id}/{endpoint}":
                raise ValidationFailed("cursor is not valid", code="invalid_cursor")
            start = int(offset)
        more = start + limit < len(mine)
        return DeliveryPage(mine[start : start + limit], f"{tenant_id}/{endpoint}:{start + limit}" if more else None)


@dataclass
class RecordingQueue:
    """The DeliveryEnqueuer port: keeps what was queued (or raises `fail`)."""

    queued: list[DeliveryTask] = field(default_factory=list)
    fail: Exception | None = None

    def enqueue(self, tasks: Sequence[DeliveryTask]) -> None:
        if self.fail is not None:
            raise self.fail
        self.queued += tasks


class FailingDeliveryLog(InMemoryDeliveryLog):
    def record_attempt(self, task: DeliveryTask, attempt: DeliveryAttempt) -> int:
        raise RuntimeError("table unavailable")
