"""Turns a batch event into one signed webhook delivery attempt."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from mediabatch.adapters.http.safe_client import SafeHttpClient
from mediabatch.errors import UnsafeUrl
from mediabatch.tenants import TenantService
from mediabatch.webhooks import WebhookMessage, is_retryable

logger = logging.getLogger(__name__)
_PRIVATE_FIELDS = ("tenant_id",)


@dataclass(frozen=True)
class DeliveryOutcome:
    delivered: bool
    retry: bool
    status: int | None = None
    reason: str | None = None


WebhookUrlLookup = Callable[[str, str], str | None]  # (tenant_id, batch_id) -> the batch's webhook_url


class WebhookDeliveryService:
    def __init__(self, tenants: TenantService, http: SafeHttpClient, webhook_url_of: WebhookUrlLookup) -> None:
        self._tenants = tenants
        self._http = http
        self._webhook_url_of = webhook_url_of

    def deliver(self, event: dict[str, Any]) -> DeliveryOutcome:
        """`event` is an EventBridge event (as SQS carries it)."""
        detail = event.get("detail") or {}
        tenant_id, batch_id = detail.get("tenant_id"), detail.get("batch_id")
        url = self._webhook_url_of(str(tenant_id), str(batch_id)) if tenant_id and batch_id else None
        if not url or not tenant_id:
            return DeliveryOutcome(delivered=False, retry=False, reason="no webhook_url")
        event_type = str(event.get("detail-type"))
        message = WebhookMessage(
            # Stable per batch and event type: a retried delivery carries the same id.
            msg_id=f"msg_{detail.get('batch_id')}_{event_type}",
            event_type=event_type,
            # Standard Webhooks: the timestamp of this attempt (receivers reject stale ones).
            timestamp=int(time.time()),
            data={**{k: v for k, v in detail.items() if k not in _PRIVATE_FIELDS}, "occurred_at": event.get("time")},
        )
        secret = self._tenants.webhook_secret(tenant_id)
        try:
            result = self._http.post(url, message.body(), message.headers(secret))
        except UnsafeUrl as exc:
            logger.warning("webhook to host %s refused: %s", urlsplit(url).hostname, exc.message)
            return DeliveryOutcome(delivered=False, retry=False, reason=exc.message)
        if result.status is not None and 200 <= result.status < 300:
            return DeliveryOutcome(delivered=True, retry=False, status=result.status)
        return DeliveryOutcome(
            delivered=False,
            retry=is_retryable(result.status),
            status=result.status,
            reason=result.error or f"HTTP {result.status}",
        )
