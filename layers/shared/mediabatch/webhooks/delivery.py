"""Posts one queued delivery (one event, one endpoint) and logs the attempt."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit

from mediabatch.clock import iso
from mediabatch.errors import UnsafeUrl
from mediabatch.webhooks.models import (
    BATCH_ENDPOINT,
    DeliveryAttempt,
    DeliveryOutcome,
    DeliveryState,
    DeliveryTask,
    PostResult,
    is_retryable,
)
from mediabatch.webhooks.ports import (
    DeliveryLog,
    SubscriptionRepository,
    WebhookPoster,
    WebhookSecrets,
    WebhookUrlLookup,
)

logger = logging.getLogger(__name__)


class WebhookDeliveryService:
    def __init__(
        self,
        secrets: WebhookSecrets,
        http: WebhookPoster,
        webhook_url_of: WebhookUrlLookup,
        subscriptions: SubscriptionRepository,
        log: DeliveryLog,
        *,
        max_attempts: int,
        clock: Callable[[], float] = time.time,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._secrets = secrets
        self._http = http
        self._webhook_url_of = webhook_url_of
        self._subscriptions = subscriptions
        self._log = log
        self._max_attempts = max_attempts
        self._clock = clock
        self._timer = timer

    def deliver(self, task: DeliveryTask, receive_count: int = 1) -> DeliveryOutcome:
        """`receive_count`: how often the queue has handed out this message; the attempt that
        reaches `max_attempts` and fails is the last (the queue dead-letters it). An endpoint
        gone since (a batch without webhook URL, a deleted subscription) gets nothing."""
        url = self._url_for(task)
        if not url:
            return DeliveryOutcome(delivered=False, retry=False, reason="no endpoint")
        now = self._clock()
        message = task.event.message(int(now))
        secret = self._secrets.webhook_secret(task.tenant_id)
        started = self._timer()
        try:
            result = self._http.post(url, message.body(), message.headers(secret))
        except UnsafeUrl as exc:
            logger.warning("webhook to host %s refused: %s", urlsplit(url).hostname, exc.message)
            result = PostResult(None, exc.message)
            outcome = DeliveryOutcome(False, False, reason=exc.message, state=DeliveryState.FAILED)
        else:
            outcome = _outcome(result, last=receive_count >= self._max_attempts)
        latency_ms = round((self._timer() - started) * 1000)
        self._record(task, result, outcome, latency_ms, now)
        return outcome

    def _url_for(self, task: DeliveryTask) -> str | None:
        if task.endpoint == BATCH_ENDPOINT:
            batch_id = task.event.batch_id
            return self._webhook_url_of(task.tenant_id, batch_id) if batch_id else None
        subscription = self._subscriptions.get(task.tenant_id, task.endpoint)
        return subscription.url if subscription else None

    def _record(
        self, task: DeliveryTask, result: PostResult, outcome: DeliveryOutcome, latency_ms: int, now: float
    ) -> None:
        state = outcome.state or DeliveryState.FAILED
        error = None if outcome.delivered else outcome.reason
        attempt = DeliveryAttempt(0, result.status, latency_ms, error, iso(datetime.fromtimestamp(now, UTC)), state)
        try:
            self._log.record_attempt(task, attempt)
        except Exception:  # the receiver's answer stands: a lost log line must not re-send the webhook
            logger.exception("could not log webhook delivery %s", task.delivery_id)


def _outcome(result: PostResult, *, last: bool) -> DeliveryOutcome:
    if result.status is not None and 200 <= result.status < 300:
        return DeliveryOutcome(delivered=True, retry=False, status=result.status, state=DeliveryState.DELIVERED)
    retry = is_retryable(result.status)
    state = DeliveryState.RETRYING if retry else DeliveryState.FAILED
    if retry and last:
        state = DeliveryState.DEAD_LETTERED
    return DeliveryOutcome(
        delivered=False,
        retry=retry,
        status=result.status,
        reason=result.error or f"HTTP {result.status}",
        state=state,
    )
