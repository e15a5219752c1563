"""A webhook message, what one attempt to post it got, and when to try again; the product
events it carries, tenants' subscriptions and the log of deliveries."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from mediabatch.webhooks.signing import sign

RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
BATCH_ENDPOINT = "batch"  # the endpoint name of a batch's own `webhook_url` in the delivery log
_PRIVATE_FIELDS = ("tenant_id",)
# The field naming the thing an event is about, per family: its webhook-id is stable per
# (thing, event type), so a re-published event reaches receivers with the same id.
_SUBJECT_FIELDS = {"batch": "batch_id", "job": "job_id", "file": "media_id"}


@dataclass(frozen=True)
class WebhookMessage:
    """One delivery: its id is stable per (batch, event) so receivers can de-duplicate retries."""

    msg_id: str
    event_type: str
    timestamp: int
    data: dict[str, Any]
    # The show seed's body: `type` beside the fields, no envelope (podcast-show-batches.md).
    flat: bool = False

    def body(self) -> bytes:
        payload = (
            {"type": self.event_type, **self.data}
            if self.flat
            else {"type": self.event_type, "timestamp": self.timestamp, "data": self.data}
        )
        return json.dumps(payload, separators=(",", ":"), sort_keys=True, default=str).encode()

    def headers(self, secret: str) -> dict[str, str]:
        return {
            "content-type": "application/json",
            "user-agent": "mediabatch-webhooks/1",
            "webhook-id": self.msg_id,
            "webhook-timestamp": str(self.timestamp),
            "webhook-signature": sign(secret, self.msg_id, self.timestamp, self.body()),
        }


@dataclass(frozen=True)
class WebhookEvent:
    """A product event as EventBridge carries it (`id`, `detail-type`, `time`, `detail`)."""

    id: str
    type: str
    time: str | None
    detail: dict[str, Any]

    @classmethod
    def from_eventbridge(cls, event: dict[str, Any]) -> WebhookEvent:
        detail = event.get("detail")
        return cls(
            id=str(event.get("id") or ""),
            type=str(event.get("detail-type") or ""),
            time=event.get("time"),
            detail=dict(detail) if isinstance(detail, dict) else {},
        )

    def to_eventbridge(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": "mediabatch",
            "detail-type": self.type,
            "time": self.time,
            "detail": self.detail,
        }

    @property
    def tenant_id(self) -> str | None:
        tenant = self.detail.get("tenant_id")
        return str(tenant) if tenant else None

    @property
    def batch_id(self) -> str | None:
        batch = self.detail.get("batch_id")
        return str(batch) if batch else None

    @property
    def is_show_batch(self) -> bool:
        return self.type.startswith("batch.") and self.detail.get("show_url") is not None

    def message_id(self) -> str:
        """Standard Webhooks `webhook-id`: `msg_<subject>_<type>` (a batch event keeps the id it
        always had), the EventBridge event id when the event names no subject. A retry round of a
        batch is news: it gets its own id (`_r2`, …; the first round keeps the old one)."""
        subject = self.detail.get(_SUBJECT_FIELDS.get(self.type.split(".", 1)[0], ""))
        if not subject:
            return f"msg_{self.id}"
        event_type = "batch_completed" if self.is_show_batch else self.type
        return f"msg_{subject}_{event_type}{self._round_suffix()}"

    def message(self, timestamp: int) -> WebhookMessage:
        if self.is_show_batch:
            return self._show_message(timestamp)
        return WebhookMessage(
            msg_id=self.message_id(),
            event_type=self.type,
            # Standard Webhooks: the timestamp of this attempt (receivers reject stale ones).
            timestamp=timestamp,
            data={**{k: v for k, v in self.detail.items() if k not in _PRIVATE_FIELDS}, "occurred_at": self.time},
        )

    def _round_suffix(self) -> str:
        round_no = int(self.detail.get("round") or 1) if self.type.startswith("batch.") else 1
        return f"_r{round_no}" if round_no > 1 else ""

    def _show_message(self, timestamp: int) -> WebhookMessage:
        """`batch_completed` of a show batch, with the seed's flat body, once every episode is done."""
        d = self.detail
        return WebhookMessage(
            msg_id=self.message_id(),
            event_type="batch_completed",
            timestamp=timestamp,
            data={
                "batch_id": d.get("batch_id"),
                "show_url": d.get("show_url"),
                "folder": d.get("folder"),
                "completed": int(d.get("completed_jobs") or 0),
                "failed": int(d.get("failed_jobs") or 0) + int(d.get("cancelled_jobs") or 0),
                "total": int(d.get("total_jobs") or 0),
            },
            flat=True,
        )


@dataclass(frozen=True)
class DeliveryTask:
    """One event for one endpoint: the unit that is queued, retried and logged on its own."""

    delivery_id: str
    tenant_id: str
    endpoint: str  # a subscription id, or BATCH_ENDPOINT
    event: WebhookEvent

    @classmethod
    def of(cls, tenant_id: str, endpoint: str, event: WebhookEvent) -> DeliveryTask:
        """The same (event, endpoint) always gets the same delivery id: a re-published event or
        a repeated fan-out adds attempts to the delivery already logged."""
        digest = hashlib.sha256(f"{tenant_id}|{event.message_id()}|{endpoint}".encode()).hexdigest()
        return cls(f"dlv_{digest[:24]}", tenant_id, endpoint, event)

    def to_message(self) -> dict[str, Any]:
        """The queue message: the EventBridge event (as the dead-letter queue has always shown
        it) plus which delivery it is."""
        return {
            **self.event.to_eventbridge(),
            "delivery": {"id": self.delivery_id, "tenant_id": self.tenant_id, "endpoint": self.endpoint},
        }


def parse_queue_message(body: dict[str, Any]) -> WebhookEvent | DeliveryTask:
    """The webhook queue carries EventBridge events (to fan out) and delivery tasks."""
    event = WebhookEvent.from_eventbridge(body)
    delivery = body.get("delivery")
    if not isinstance(delivery, dict):
        return event
    return DeliveryTask(str(delivery["id"]), str(delivery["tenant_id"]), str(delivery["endpoint"]), event)


@dataclass(frozen=True)
class PostResult:
    """The receiver's answer to one POST."""

    status: int | None  # None: no HTTP answer (timeout, refused, TLS failure)
    error: str | None = None


def is_retryable(status: int | None) -> bool:
    """None means no HTTP answer (timeout, connection refused): worth retrying."""
    return status is None or status in RETRYABLE_STATUSES


class DeliveryState(StrEnum):
    DELIVERED = "delivered"
    RETRYING = "retrying"  # this attempt failed; the queue brings it back after the backoff
    DEAD_LETTERED = "dead_lettered"  # the last allowed attempt failed: it went to the dead-letter queue
    FAILED = "failed"  # not retryable (a 4xx answer, or a URL the SSRF policy refuses)


@dataclass(frozen=True)
class DeliveryOutcome:
    delivered: bool
    retry: bool
    status: int | None = None
    reason: str | None = None
    state: DeliveryState | None = None  # None: nothing was attempted (no endpoint any more)


@dataclass(frozen=True)
class RetryBackoff:
    """Exponential backoff between attempts: base, 2 x base, 4 x base ... capped."""

    base_seconds: int
    max_seconds: int = 900

    def delay_for(self, receive_count: int) -> int:
        """The wait before the next attempt, after the `receive_count`-th one failed."""
        return int(min(self.max_seconds, self.base_seconds * 2 ** max(0, receive_count - 1)))


@dataclass(frozen=True)
class WebhookSubscription:
    """A tenant's endpoint for the events its filters match (signed with the tenant's secret)."""

    id: str
    tenant_id: str
    url: str
    events: list[str]
    created_at: str


@dataclass(frozen=True)
class DeliveryAttempt:
    """One POST of a delivery; `number` counts every attempt of it, redeliveries included."""

    number: int
    status_code: int | None
    latency_ms: int
    error: str | None
    at: str
    state: DeliveryState


@dataclass(frozen=True)
class Delivery:
    """A logged delivery: the event, its endpoint and every attempt so far (oldest first)."""

    id: str
    tenant_id: str
    endpoint: str
    event: WebhookEvent
    state: DeliveryState
    created_at: str
    updated_at: str
    attempts: list[DeliveryAttempt] = field(default_factory=list)

    @property
    def webhook_id(self) -> str:
        return self.event.message_id()

    def task(self) -> DeliveryTask:
        return DeliveryTask(self.id, self.tenant_id, self.endpoint, self.event)


@dataclass(frozen=True)
class DeliveryPage:
    items: list[Delivery]
    next_cursor: str | None
