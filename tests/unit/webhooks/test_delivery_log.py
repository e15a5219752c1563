"""Every attempt of a delivery is logged (number, status, latency, error, state), a
subscription's log is listed newest first, and a redelivery carries the same webhook-id."""

from __future__ import annotations

import itertools

import pytest

from mediabatch.errors import NotFound, UnsafeUrl, ValidationFailed
from mediabatch.webhooks.delivery import WebhookDeliveryService
from mediabatch.webhooks.delivery_log import DeliveryLogService
from mediabatch.webhooks.models import (
    DeliveryState,
    DeliveryTask,
    PostResult,
    WebhookEvent,
    WebhookSubscription,
)
from mediabatch.webhooks.signing import new_secret
from tests.fakes.webhooks import (
    FailingDeliveryLog,
    FixedSecrets,
    InMemoryDeliveryLog,
    InMemorySubscriptions,
    RecordingPoster,
    RecordingQueue,
    WebhookUrls,
)

URL = "https://93.184.216.34/hook"
MAX_ATTEMPTS = 3


def upload_event(media_id: str = "med_1", tenant_id: str = "tenant-a") -> WebhookEvent:
    return WebhookEvent.from_eventbridge(
        {
            "id": f"evt-{media_id}",
            "detail-type": "file.uploaded",
            "time": "2026-11-30T10:00:00Z",
            "detail": {"tenant_id": tenant_id, "media_id": media_id, "filename": "a.mp4"},
        }
    )


@pytest.fixture
def subscriptions() -> InMemorySubscriptions:
    repo = InMemorySubscriptions()
    repo.add(WebhookSubscription("whs_1", "tenant-a", URL, ["file.*"], "2026-11-30T09:00:00Z"))
    return repo


@pytest.fixture
def log() -> InMemoryDeliveryLog:
    return InMemoryDeliveryLog()


@pytest.fixture
def poster() -> RecordingPoster:
    return RecordingPoster()


@pytest.fixture
def queue() -> RecordingQueue:
    return RecordingQueue()


def sender(
    poster: RecordingPoster, subscriptions: InMemorySubscriptions, log: InMemoryDeliveryLog
) -> WebhookDeliveryService:
    ticks = itertools.count()
    return WebhookDeliveryService(
        FixedSecrets({"tenant-a": new_secret()}),
        poster,
        WebhookUrls({}),
        subscriptions,
        log,
        max_attempts=MAX_ATTEMPTS,
        clock=lambda: 1_795_975_200.0,
        timer=lambda: next(ticks) * 0.125,  # each POST takes 125 ms
    )


@pytest.fixture
def service(
    poster: RecordingPoster, subscriptions: InMemorySubscriptions, log: InMemoryDeliveryLog
) -> WebhookDeliveryService:
    return sender(poster, subscriptions, log)


@pytest.fixture
def log_service(
    subscriptions: InMemorySubscriptions, log: InMemoryDeliveryLog, queue: RecordingQueue
) -> DeliveryLogService:
    return DeliveryLogService(subscriptions, log, queue)


def test_failing_twice_then_succeeding_is_three_attempts_of_one_delivery(
    service: WebhookDeliveryService, poster: RecordingPoster, log: InMemoryDeliveryLog
) -> None:
    poster.answers[URL] = [PostResult(500), PostResult(None, "ReadTimeoutError: timed out"), PostResult(200)]
    task = DeliveryTask.of("tenant-a", "whs_1", upload_event())

    outcomes = [service.deliver(task, receive_count=n) for n in (1, 2, 3)]

    assert [o.state for o in outcomes] == [DeliveryState.RETRYING, DeliveryState.RETRYING, DeliveryState.DELIVERED]
    delivery = log.get("tenant-a", task.delivery_id)
    assert delivery is not None and delivery.state is DeliveryState.DELIVERED
    assert [(a.number, a.status_code, a.error, a.state) for a in delivery.attempts] == [
        (1, 500, "HTTP 500", DeliveryState.RETRYING),
        (2, None, "ReadTimeoutError: timed out", DeliveryState.RETRYING),
        (3, 200, None, DeliveryState.DELIVERED),
    ]
    assert {a.latency_ms for a in delivery.attempts} == {125}
    assert delivery.attempts[0].at == "2026-11-29T18:00:00Z"
    assert {p.headers["webhook-id"] for p in poster.to(URL)} == {"msg_med_1_file.uploaded"} == {delivery.webhook_id}


def test_the_last_allowed_attempt_failing_is_dead_lettered(
    service: WebhookDeliveryService, poster: RecordingPoster, log: InMemoryDeliveryLog
) -> None:
    poster.result = PostResult(503)
    task = DeliveryTask.of("tenant-a", "whs_1", upload_event())

    outcomes = [service.deliver(task, receive_count=n) for n in range(1, MAX_ATTEMPTS + 1)]

    assert all(o.retry for o in outcomes)  # the queue, not the sender, moves it to the dead-letter queue
    delivery = log.get("tenant-a", task.delivery_id)
    assert delivery is not None and delivery.state is DeliveryState.DEAD_LETTERED
    assert [a.state for a in delivery.attempts] == [
        DeliveryState.RETRYING,
        DeliveryState.RETRYING,
        DeliveryState.DEAD_LETTERED,
    ]


@pytest.mark.parametrize("answer", [PostResult(404), PostResult(410)])
def test_a_client_error_is_failed_for_good(
    service: WebhookDeliveryService, poster: RecordingPoster, log: InMemoryDeliveryLog, answer: PostResult
) -> None:
    poster.result = answer
    task = DeliveryTask.of("tenant-a", "whs_1", upload_event())

    outcome = service.deliver(task)

    assert (outcome.retry, outcome.state) == (False, DeliveryState.FAILED)
    delivery = log.get("tenant-a", task.delivery_id)
    assert delivery is not None and delivery.attempts[0].status_code == answer.status


def test_a_url_refused_at_delivery_is_logged_as_failed(
    service: WebhookDeliveryService, poster: RecordingPoster, log: InMemoryDeliveryLog
) -> None:
    poster.refuse = UnsafeUrl("refusing to connect to hooks.example: not a public address")
    task = DeliveryTask.of("tenant-a", "whs_1", upload_event())

    outcome = service.deliver(task)

    assert (outcome.retry, outcome.state) == (False, DeliveryState.FAILED)
    delivery = log.get("tenant-a", task.delivery_id)
    assert delivery is not None
    assert delivery.attempts[0].error == "refusing to connect to hooks.example: not a public address"


def test_a_deleted_subscription_gets_nothing_more(
    service: WebhookDeliveryService,
    poster: RecordingPoster,
    subscriptions: InMemorySubscriptions,
    log: InMemoryDeliveryLog,
) -> None:
    task = DeliveryTask.of("tenant-a", "whs_1", upload_event())
    subscriptions.remove("tenant-a", "whs_1")

    outcome = service.deliver(task, receive_count=2)

    assert (outcome.delivered, outcome.retry, outcome.state) == (False, False, None)
    assert poster.posted == [] and log.get("tenant-a", task.delivery_id) is None


def test_a_log_that_cannot_be_written_does_not_resend_a_delivered_webhook(
    poster: RecordingPoster, subscriptions: InMemorySubscriptions
) -> None:
    service = sender(poster, subscriptions, FailingDeliveryLog())

    outcome = service.deliver(DeliveryTask.of("tenant-a", "whs_1", upload_event()))

    assert (outcome.delivered, outcome.retry) == (True, False)


def test_a_redelivery_is_queued_with_the_same_webhook_id_and_continues_the_count(
    service: WebhookDeliveryService,
    log_service: DeliveryLogService,
    queue: RecordingQueue,
    poster: RecordingPoster,
    log: InMemoryDeliveryLog,
) -> None:
    task = DeliveryTask.of("tenant-a", "whs_1", upload_event())
    service.deliver(task)

    redelivered = log_service.redeliver("tenant-a", task.delivery_id)
    [queued] = queue.queued
    service.deliver(queued, receive_count=1)

    assert queued == task and redelivered.webhook_id == "msg_med_1_file.uploaded"
    delivery = log.get("tenant-a", task.delivery_id)
    assert delivery is not None and [a.number for a in delivery.attempts] == [1, 2]
    assert [p.headers["webhook-id"] for p in poster.posted] == ["msg_med_1_file.uploaded"] * 2


def test_another_tenants_delivery_cannot_be_redelivered_or_listed(
    service: WebhookDeliveryService, log_service: DeliveryLogService, queue: RecordingQueue
) -> None:
    task = DeliveryTask.of("tenant-a", "whs_1", upload_event())
    service.deliver(task)

    with pytest.raises(NotFound) as raised:
        log_service.redeliver("tenant-b", task.delivery_id)
    assert raised.value.code == "delivery_not_found"
    with pytest.raises(NotFound) as listed:
        log_service.deliveries("tenant-b", "whs_1", limit=10, cursor=None)
    assert listed.value.code == "webhook_not_found"
    assert queue.queued == []


def test_a_delivery_of_a_deleted_subscription_is_not_redelivered(
    service: WebhookDeliveryService,
    log_service: DeliveryLogService,
    subscriptions: InMemorySubscriptions,
    queue: RecordingQueue,
) -> None:
    task = DeliveryTask.of("tenant-a", "whs_1", upload_event())
    service.deliver(task)
    subscriptions.remove("tenant-a", "whs_1")

    with pytest.raises(NotFound) as raised:
        log_service.redeliver("tenant-a", task.delivery_id)

    assert raised.value.code == "webhook_not_found" and queue.queued == []


def test_a_subscriptions_log_is_paged_newest_first(
    service: WebhookDeliveryService, log_service: DeliveryLogService
) -> None:
    tasks = [DeliveryTask.of("tenant-a", "whs_1", upload_event(f"med_{i}")) for i in range(5)]
    for task in tasks:
        service.deliver(task)

    first = log_service.deliveries("tenant-a", "whs_1", limit=3, cursor=None)
    second = log_service.deliveries("tenant-a", "whs_1", limit=3, cursor=first.next_cursor)

    assert [d.id for d in first.items + second.items] == [t.delivery_id for t in reversed(tasks)]
    assert second.next_cursor is None
    with pytest.raises(ValidationFailed):
        log_service.deliveries("tenant-a", "whs_1", limit=3, cursor="tenant-b/whs_1:3")
