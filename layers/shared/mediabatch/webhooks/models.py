"""A webhook message, what one attempt to post it got, and when to try again."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from mediabatch.webhooks.signing import sign

RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


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
class PostResult:
    """The receiver's answer to one POST."""

    status: int | None  # None: no HTTP answer (timeout, refused, TLS failure)
    error: str | None = None


def is_retryable(status: int | None) -> bool:
    """None means no HTTP answer (timeout, connection refused): worth retrying."""
    return status is None or status in RETRYABLE_STATUSES


@dataclass(frozen=True)
class DeliveryOutcome:
    delivered: bool
    retry: bool
    status: int | None = None
    reason: str | None = None


@dataclass(frozen=True)
class RetryBackoff:
    """Exponential backoff between attempts: base, 2 x base, 4 x base ... capped."""

    base_seconds: int
    max_seconds: int = 900

    def delay_for(self, receive_count: int) -> int:
        """The wait before the next attempt, after the `receive_count`-th one failed."""
        return int(min(self.max_seconds, self.base_seconds * 2 ** max(0, receive_count - 1)))
