"""Subscribing, listing and unsubscribing through fakes of the ports (the real SSRF policy, on IP
literals so nothing is resolved)."""

from __future__ import annotations

import itertools

import pytest

from mediabatch.errors import Conflict, NotFound, ValidationFailed
from mediabatch.urlguard import UrlPolicy
from mediabatch.webhooks.events import EVENT_TYPES, matches, normalized_filters
from mediabatch.webhooks.subscriptions import MAX_SUBSCRIPTIONS_PER_TENANT, WebhookSubscriptionService
from tests.fakes.webhooks import InMemorySubscriptions

PUBLIC_URL = "https://93.184.216.34/hooks/media"


@pytest.fixture
def repository() -> InMemorySubscriptions:
    return InMemorySubscriptions()


@pytest.fixture
def service(repository: InMemorySubscriptions) -> WebhookSubscriptionService:
    ids = itertools.count(1)
    return WebhookSubscriptionService(
        repository, UrlPolicy(), clock=lambda: "2026-11-30T10:00:00Z", new_id=lambda: f"whs_{next(ids)}"
    )


def test_a_subscription_keeps_its_url_and_events(service: WebhookSubscriptionService) -> None:
    created = service.create("tenant-a", f" {PUBLIC_URL} ", ["file.uploaded", "batch.*", "file.uploaded"])

    assert (created.id, created.url, created.events) == ("whs_1", PUBLIC_URL, ["file.uploaded", "batch.*"])
    assert service.list("tenant-a") == [created]
    assert service.get("tenant-a", "whs_1") == created


@pytest.mark.parametrize(
    "url",
    ["http://10.0.0.1/hook", "http://127.0.0.1:8080/hook", "http://169.254.169.254/latest", "ftp://93.184.216.34/x"],
)
def test_urls_the_ssrf_policy_refuses_are_invalid(service: WebhookSubscriptionService, url: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        service.create("tenant-a", url, ["file.uploaded"])

    assert raised.value.code == "invalid_webhook_url"
    assert raised.value.details[0]["field"] == "url"
    assert service.list("tenant-a") == []


@pytest.mark.parametrize(
    "url", ["", "https://93.184.216.34/a b", "https://93.184.216.34:99999/", "https://x/" + "a" * 2048]
)
def test_malformed_urls_are_invalid(service: WebhookSubscriptionService, url: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        service.create("tenant-a", url, ["file.uploaded"])

    assert raised.value.code == "invalid_webhook_url"


def test_unknown_event_types_are_named(service: WebhookSubscriptionService) -> None:
    with pytest.raises(ValidationFailed) as raised:
        service.create("tenant-a", PUBLIC_URL, ["file.uploaded", "file.renamed", "batch.**"])

    assert raised.value.code == "invalid_event_type"
    assert [d["message"] for d in raised.value.details] == [
        "unknown event type 'file.renamed'",
        "unknown event type 'batch.**'",
    ]


def test_the_tenant_limit_is_enforced_per_tenant(service: WebhookSubscriptionService) -> None:
    for _ in range(MAX_SUBSCRIPTIONS_PER_TENANT):
        service.create("tenant-a", PUBLIC_URL, ["*"])

    with pytest.raises(Conflict) as raised:
        service.create("tenant-a", PUBLIC_URL, ["*"])

    assert raised.value.code == "webhook_limit_reached"
    assert raised.value.details == {"limit": MAX_SUBSCRIPTIONS_PER_TENANT}
    assert service.create("tenant-b", PUBLIC_URL, ["*"]).tenant_id == "tenant-b"
    service.delete("tenant-a", "whs_1")
    assert service.create("tenant-a", PUBLIC_URL, ["*"]).tenant_id == "tenant-a"


def test_another_tenants_subscription_is_not_found(service: WebhookSubscriptionService) -> None:
    created = service.create("tenant-a", PUBLIC_URL, ["*"])

    for call in (service.get, service.delete):
        with pytest.raises(NotFound) as raised:
            call("tenant-b", created.id)
        assert raised.value.code == "webhook_not_found"
    assert service.list("tenant-b") == []
    assert service.get("tenant-a", created.id) == created


def test_a_deleted_subscription_is_gone(service: WebhookSubscriptionService) -> None:
    created = service.create("tenant-a", PUBLIC_URL, ["*"])

    service.delete("tenant-a", created.id)

    with pytest.raises(NotFound):
        service.delete("tenant-a", created.id)
    assert service.list("tenant-a") == []


@pytest.mark.parametrize(
    "filters, event_type, expected",
    [
        (["file.uploaded"], "file.uploaded", True),
        (["file.uploaded"], "file.deleted", False),
        (["file.*"], "file.deleted", True),
        (["batch.*"], "job.completed", False),
        (["*"], "job.failed", True),
        (["batch.completed", "job.*"], "batch.failed", False),
    ],
)
def test_filters_match_types_families_and_everything(filters: list[str], event_type: str, expected: bool) -> None:
    assert matches(filters, event_type) is expected


def test_every_event_type_and_wildcard_is_a_valid_filter() -> None:
    assert normalized_filters([*EVENT_TYPES, "*", "batch.*", "job.*", "file.*"])[-1] == "file.*"
    with pytest.raises(ValidationFailed):
        normalized_filters([])
