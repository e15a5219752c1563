"""Turns a batch event into one signed webhook delivery attempt."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from mediabatch.errors import UnsafeUrl
from mediabatch.webhooks.models import DeliveryOutcome, PostResult, WebhookMessage, is_retryable
from mediabatch.webhooks.ports import WebhookPoster, WebhookSecrets, WebhookUrlLookup

logger = logging.getLogger(__name__)
_PRIVATE_FIELDS = ("tenant_id",)


class WebhookDeliveryService:
    def __init__(
        self,
        secrets: WebhookSecrets,
        http: WebhookPoster,
        webhook_url_of: WebhookUrlLookup,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._secrets = secrets
        self._http = http
        self._webhook_url_of = webhook_url_of
        self._clock = clock

    def deliver(self, event: dict[str, Any]) -> DeliveryOutcome:
        """`event` is an EventBridge event (as SQS carries it). A batch without a webhook URL is
        not delivered and not retried."""
        detail = event.get("detail") or {}
        tenant_id, batch_id = detail.get("tenant_id"), detail.get("batch_id")
        url = self._webhook_url_of(str(tenant_id), str(batch_id)) if tenant_id and batch_id else None
        if not url or not tenant_id:
            return DeliveryOutcome(delivered=False, retry=False, reason="no webhook_url")
        message = self._message(event, detail)
        secret = self._secrets.webhook_secret(tenant_id)
        try:
            result = self._http.post(url, message.body(), message.headers(secret))
        except UnsafeUrl as exc:
            logger.warning("webhook to host %s refused: %s", urlsplit(url).hostname, exc.message)
            return DeliveryOutcome(delivered=False, retry=False, reason=exc.message)
        return _outcome(result)

    def _message(self, event: dict[str, Any], detail: dict[str, Any]) -> WebhookMessage:
        event_type = str(event.get("detail-type"))
        # A retry round of the batch is news: it gets its own id (the first round keeps its old one).
        round_suffix = f"_r{detail['round']}" if int(detail.get("round") or 1) > 1 else ""
        if detail.get("show_url") is not None:
            return show_message(detail, round_suffix, int(self._clock()))
        return WebhookMessage(
            # Stable per batch and event type: a retried delivery carries the same id.
            msg_id=f"msg_{detail.get('batch_id')}_{event_type}{round_suffix}",
            event_type=event_type,
            # Standard Webhooks: the timestamp of this attempt (receivers reject stale ones).
            timestamp=int(self._clock()),
            data={**{k: v for k, v in detail.items() if k not in _PRIVATE_FIELDS}, "occurred_at": event.get("time")},
        )


def show_message(detail: dict[str, Any], round_suffix: str, timestamp: int) -> WebhookMessage:
    """`batch_completed` of a show batch, with the seed's body, once every episode is done."""
    failed = int(detail.get("failed_jobs") or 0) + int(detail.get("cancelled_jobs") or 0)
    return WebhookMessage(
        msg_id=f"msg_{detail.get('batch_id')}_batch_completed{round_suffix}",
        event_type="batch_completed",
        timestamp=timestamp,
        data={
            "batch_id": detail.get("batch_id"),
            "show_url": detail.get("show_url"),
            "folder": detail.get("folder"),
            "completed": int(detail.get("completed_jobs") or 0),
            "failed": failed,
            "total": int(detail.get("total_jobs") or 0),
        },
        flat=True,
    )


def _outcome(result: PostResult) -> DeliveryOutcome:
    if result.status is not None and 200 <= result.status < 300:
        return DeliveryOutcome(delivered=True, retry=False, status=result.status)
    return DeliveryOutcome(
        delivered=False,
        retry=is_retryable(result.status),
        status=result.status,
        reason=result.error or f"HTTP {result.status}",
    )
