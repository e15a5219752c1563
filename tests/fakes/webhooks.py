"""Fakes of mediabatch.webhooks.ports."""

from __future__ import annotations

from dataclasses import dataclass, field

from mediabatch.errors import UnsafeUrl
from mediabatch.webhooks.models import PostResult


@dataclass(frozen=True)
class Posted:
    url: str
    body: bytes
    headers: dict[str, str]


@dataclass
class RecordingPoster:
    """Answers every POST with `result` (or raises `refuse`) and keeps what was posted."""

    result: PostResult = field(default_factory=lambda: PostResult(200))
    refuse: UnsafeUrl | None = None
    posted: list[Posted] = field(default_factory=list)

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> PostResult:
        if self.refuse is not None:
            raise self.refuse
        self.posted.append(Posted(url, body, headers))
        return self.result


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
