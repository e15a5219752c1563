"""What webhook delivery needs from the outside world."""

from __future__ import annotations

from typing import Protocol

from mediabatch.webhooks.models import PostResult


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
