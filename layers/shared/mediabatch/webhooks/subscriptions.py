"""Tenants' webhook subscriptions: an URL (checked by the SSRF policy) and the events it gets."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from urllib.parse import urlsplit

from mediabatch.clock import now_iso
from mediabatch.errors import Conflict, NotFound, UnsafeUrl, ValidationFailed
from mediabatch.webhooks.events import normalized_filters
from mediabatch.webhooks.models import WebhookSubscription
from mediabatch.webhooks.ports import SubscriptionRepository, UrlChecker

MAX_SUBSCRIPTIONS_PER_TENANT = 20  # docs/limits.md
MAX_URL_LENGTH = 2048


def new_subscription_id() -> str:
    return "whs_" + uuid.uuid4().hex[:16]


class WebhookSubscriptionService:
    def __init__(
        self,
        repository: SubscriptionRepository,
        url_policy: UrlChecker,
        *,
        clock: Callable[[], str] = now_iso,
        new_id: Callable[[], str] = new_subscription_id,
    ) -> None:
        self._repository = repository
        self._policy = url_policy
        self._clock = clock
        self._new_id = new_id

    def create(self, tenant_id: str, url: str, events: list[str]) -> WebhookSubscription:
        """ValidationFailed `invalid_webhook_url` / `invalid_event_type`; Conflict
        `webhook_limit_reached` beyond MAX_SUBSCRIPTIONS_PER_TENANT."""
        url = url.strip()
        self._check_url(url)
        filters = normalized_filters(events)
        if len(self._repository.list(tenant_id)) >= MAX_SUBSCRIPTIONS_PER_TENANT:
            raise Conflict(
                f"a tenant can have at most {MAX_SUBSCRIPTIONS_PER_TENANT} webhook subscriptions; delete one first",
                details={"limit": MAX_SUBSCRIPTIONS_PER_TENANT},
                code="webhook_limit_reached",
            )
        subscription = WebhookSubscription(self._new_id(), tenant_id, url, filters, self._clock())
        self._repository.add(subscription)
        return subscription

    def list(self, tenant_id: str) -> list[WebhookSubscription]:
        return self._repository.list(tenant_id)

    def get(self, tenant_id: str, subscription_id: str) -> WebhookSubscription:
        """NotFound `webhook_not_found`, also for another tenant's subscription."""
        subscription = self._repository.get(tenant_id, subscription_id)
        if subscription is None:
            raise _not_found(subscription_id)
        return subscription

    def delete(self, tenant_id: str, subscription_id: str) -> None:
        """The endpoint gets nothing more, retries of earlier events included."""
        if not self._repository.remove(tenant_id, subscription_id):
            raise _not_found(subscription_id)

    def _check_url(self, url: str) -> None:
        """Resolved now: an endpoint that could never be reached is refused up front (the sender
        checks every address again when it connects)."""
        reason = _url_problem(url)
        if reason is None:
            try:
                self._policy.check_url(url, resolve=True)
            except UnsafeUrl as exc:
                reason = exc.message
        if reason is not None:
            raise ValidationFailed(
                f"url is invalid: {reason}",
                details=[{"field": "url", "message": reason}],
                code="invalid_webhook_url",
            )


def _not_found(subscription_id: str) -> NotFound:
    return NotFound(f"webhook subscription {subscription_id} not found", code="webhook_not_found")


def _url_problem(url: str) -> str | None:
    if not url:
        return "empty URL"
    if len(url) > MAX_URL_LENGTH:
        return f"URL is longer than {MAX_URL_LENGTH} characters"
    if any(c.isspace() or ord(c) < 32 for c in url):
        return "URL contains whitespace or control characters"
    try:
        urlsplit(url).port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        return f"malformed URL: {exc}"
    return None
