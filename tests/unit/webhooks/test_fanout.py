"""One event, one queued delivery per endpoint: the batch's own webhook_url (batch events only)
and every matching subscription of the event's tenant."""

from __future__ import annotations

from pathlib import Path

import pytest

from localcloud.template import load_template
from mediabatch.webhooks.events import EVENT_TYPES
from mediabatch.webhooks.fanout import WebhookFanOut
from mediabatch.webhooks.models import (
    BATCH_ENDPOINT,
    DeliveryTask,
    WebhookEvent,
    WebhookSubscription,
    parse_queue_message,
)
from tests.fakes.webhooks import InMemorySubscriptions, RecordingQueue, WebhookUrls

REPO = Path(__file__).resolve().parents[3]


def event(event_type: str, tenant_id: str | None = "tenant-a", **detail: object) -> WebhookEvent:
    body = {"id": "evt-1", "detail-type": event_type, "time": "2026-11-30T10:00:00Z", "detail": dict(detail)}
    if tenant_id:
        body["detail"]["tenant_id"] = tenant_id  # type: ignore[index]
    return WebhookEvent.from_eventbridge(body)


@pytest.fixture
def subscriptions() -> InMemorySubscriptions:
    repo = InMemorySubscriptions()
    for sub_id, tenant, events in [
        ("whs_files", "tenant-a", ["file.uploaded"]),
        ("whs_batches", "tenant-a", ["batch.*"]),
        ("whs_all", "tenant-a", ["*"]),
        ("whs_other_tenant", "tenant-b", ["*"]),
    ]:
        repo.add(WebhookSubscription(sub_id, tenant, f"https://93.184.216.34/{sub_id}", events, "2026-11-30T09:00:00Z"))
    return repo


@pytest.fixture
def queue() -> RecordingQueue:
    return RecordingQueue()


@pytest.fixture
def fan_out(subscriptions: InMemorySubscriptions, queue: RecordingQueue) -> WebhookFanOut:
    return WebhookFanOut(subscriptions, queue, WebhookUrls({("tenant-a", "batch_1"): "https://93.184.216.34/b"}))


def test_a_batch_event_goes_to_the_batch_url_and_every_matching_subscription(
    fan_out: WebhookFanOut, queue: RecordingQueue
) -> None:
    tasks = fan_out.fan_out(event("batch.completed", batch_id="batch_1"))

    assert sorted(t.endpoint for t in queue.queued) == sorted([BATCH_ENDPOINT, "whs_batches", "whs_all"])
    assert queue.queued == tasks
    assert {t.event.message_id() for t in tasks} == {"msg_batch_1_batch.completed"}
    assert len({t.delivery_id for t in tasks}) == 3


def test_a_file_event_goes_to_the_subscriptions_only(fan_out: WebhookFanOut, queue: RecordingQueue) -> None:
    fan_out.fan_out(event("file.uploaded", media_id="med_1", batch_id="batch_1"))

    assert sorted(t.endpoint for t in queue.queued) == ["whs_all", "whs_files"]
    assert {t.event.message_id() for t in queue.queued} == {"msg_med_1_file.uploaded"}


def test_a_job_event_never_reaches_the_batch_url(fan_out: WebhookFanOut, queue: RecordingQueue) -> None:
    fan_out.fan_out(event("job.completed", batch_id="batch_1", job_id="job_batch_1_0"))

    assert [t.endpoint for t in queue.queued] == ["whs_all"]


def test_nothing_is_queued_without_endpoints(fan_out: WebhookFanOut, queue: RecordingQueue) -> None:
    assert fan_out.fan_out(event("batch.completed", tenant_id="tenant-c", batch_id="batch_9")) == []
    assert fan_out.fan_out(event("batch.completed", tenant_id=None, batch_id="batch_1")) == []
    assert queue.queued == []


def test_fanning_out_again_gives_the_same_deliveries(fan_out: WebhookFanOut) -> None:
    first = fan_out.endpoints_for(event("batch.completed", batch_id="batch_1"))
    again = fan_out.endpoints_for(event("batch.completed", batch_id="batch_1"))

    assert [t.delivery_id for t in first] == [t.delivery_id for t in again]


def test_a_queue_failure_is_raised_so_the_event_comes_back(fan_out: WebhookFanOut, queue: RecordingQueue) -> None:
    queue.fail = RuntimeError("SQS refused")

    with pytest.raises(RuntimeError):
        fan_out.fan_out(event("file.uploaded", media_id="med_1"))


def test_a_delivery_message_is_the_event_plus_its_delivery() -> None:
    task = DeliveryTask.of("tenant-a", "whs_all", event("batch.failed", batch_id="batch_1"))

    message = task.to_message()

    assert message["detail-type"] == "batch.failed" and message["detail"]["batch_id"] == "batch_1"
    assert parse_queue_message(message) == task
    assert parse_queue_message(task.event.to_eventbridge()) == task.event


def test_the_event_rule_routes_every_subscribable_event_type() -> None:
    template = load_template(REPO / "template.yaml")
    pattern = template["Resources"]["BatchWebhookRule"]["Properties"]["EventPattern"]

    assert sorted(pattern["detail-type"]) == sorted(EVENT_TYPES)
