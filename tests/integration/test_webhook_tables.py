"""Webhook subscriptions and the delivery log against DynamoDB (moto): tenant-scoped lookups,
attempts appended to one item, newest-first pages whose cursors never cross tenants or
subscriptions, and a retention deadline on every item."""

from __future__ import annotations

import time

import pytest

from localcloud import LocalCloud
from mediabatch import container
from mediabatch.adapters.dynamodb.codec import from_item, value
from mediabatch.adapters.dynamodb.webhook_deliveries import WebhookDeliveryTable
from mediabatch.adapters.dynamodb.webhook_subscriptions import WebhookSubscriptionTable
from mediabatch.errors import ValidationFailed
from mediabatch.webhooks.delivery_log import RETENTION_DAYS
from mediabatch.webhooks.models import (
    DeliveryAttempt,
    DeliveryState,
    DeliveryTask,
    WebhookEvent,
    WebhookSubscription,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def subscriptions(cloud: LocalCloud) -> WebhookSubscriptionTable:
    return container.webhook_subscription_table()


@pytest.fixture
def log(cloud: LocalCloud) -> WebhookDeliveryTable:
    return container.webhook_delivery_table()


def event(tenant_id: str, media_id: str) -> WebhookEvent:
    return WebhookEvent.from_eventbridge(
        {
            "id": f"evt-{media_id}",
            "detail-type": "file.uploaded",
            "time": "2026-11-30T10:00:00Z",
            "detail": {"tenant_id": tenant_id, "media_id": media_id, "size": 1.5},
        }
    )


def attempt(at: str, status: int | None, state: DeliveryState) -> DeliveryAttempt:
    return DeliveryAttempt(0, status, 7, None if status == 200 else f"HTTP {status}", at, state)


def test_subscriptions_are_scoped_by_tenant(subscriptions: WebhookSubscriptionTable, tenant_id: str) -> None:
    mine = WebhookSubscription("whs_a", tenant_id, "https://93.184.216.34/a", ["file.*"], "2026-11-30T10:00:00Z")
    later = WebhookSubscription("whs_b", tenant_id, "https://93.184.216.34/b", ["*"], "2026-11-30T10:00:01Z")
    subscriptions.add(later)
    subscriptions.add(mine)

    assert subscriptions.list(tenant_id) == [mine, later]
    assert subscriptions.get(tenant_id, "whs_a") == mine
    assert subscriptions.get(tenant_id + "-b", "whs_a") is None
    assert subscriptions.remove(tenant_id + "-b", "whs_a") is False
    assert subscriptions.remove(tenant_id, "whs_a") is True
    assert subscriptions.list(tenant_id) == [later]


def test_attempts_are_appended_to_one_delivery(log: WebhookDeliveryTable, tenant_id: str) -> None:
    task = DeliveryTask.of(tenant_id, "whs_a", event(tenant_id, "med_1"))

    numbers = [
        log.record_attempt(task, attempt("2026-11-30T10:00:00Z", 500, DeliveryState.RETRYING)),
        log.record_attempt(task, attempt("2026-11-30T10:00:02Z", 200, DeliveryState.DELIVERED)),
    ]

    assert numbers == [1, 2]
    delivery = log.get(tenant_id, task.delivery_id)
    assert delivery is not None and delivery.task() == task
    assert (delivery.state, delivery.created_at, delivery.updated_at) == (
        DeliveryState.DELIVERED,
        "2026-11-30T10:00:00Z",
        "2026-11-30T10:00:02Z",
    )
    assert [(a.number, a.status_code, a.error, a.state) for a in delivery.attempts] == [
        (1, 500, "HTTP 500", DeliveryState.RETRYING),
        (2, 200, None, DeliveryState.DELIVERED),
    ]
    assert log.get(tenant_id + "-b", task.delivery_id) is None


def test_the_log_keeps_a_retention_deadline(log: WebhookDeliveryTable, tenant_id: str) -> None:
    task = DeliveryTask.of(tenant_id, "whs_a", event(tenant_id, "med_ttl"))
    log.record_attempt(task, attempt("2026-11-30T10:00:00Z", 200, DeliveryState.DELIVERED))

    raw = container.aws("dynamodb").get_item(
        TableName=log.table,
        Key={"pk": value(f"TENANT#{tenant_id}#WHDELIVERY#{task.delivery_id}"), "sk": value("DELIVERY")},
    )["Item"]

    expires = from_item(raw)["expires_at_epoch"]
    assert abs(expires - (time.time() + RETENTION_DAYS * 86400)) < 60


def test_a_subscriptions_log_is_paged_newest_first(log: WebhookDeliveryTable, tenant_id: str) -> None:
    tasks = [DeliveryTask.of(tenant_id, "whs_a", event(tenant_id, f"med_{i}")) for i in range(5)]
    for i, task in enumerate(tasks):
        log.record_attempt(task, attempt(f"2026-11-30T10:00:0{i}Z", 200, DeliveryState.DELIVERED))
    log.record_attempt(
        DeliveryTask.of(tenant_id, "whs_other", event(tenant_id, "med_x")),
        attempt("2026-11-30T10:00:09Z", 200, DeliveryState.DELIVERED),
    )

    first = log.list_for_endpoint(tenant_id, "whs_a", limit=3, cursor=None)
    second = log.list_for_endpoint(tenant_id, "whs_a", limit=3, cursor=first.next_cursor)

    assert [d.id for d in first.items + second.items] == [t.delivery_id for t in reversed(tasks)]
    assert first.next_cursor is not None
    for other_tenant, endpoint in ((tenant_id + "-b", "whs_a"), (tenant_id, "whs_other")):
        with pytest.raises(ValidationFailed) as raised:
            log.list_for_endpoint(other_tenant, endpoint, limit=3, cursor=first.next_cursor)
        assert raised.value.code == "invalid_cursor"
    with pytest.raises(ValidationFailed):
        log.list_for_endpoint(tenant_id, "whs_a", limit=3, cursor="not a cursor")
