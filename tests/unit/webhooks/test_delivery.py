"""One webhook delivery attempt through fakes of its ports: what the receiver gets, and which
outcomes are retried."""

from __future__ import annotations

import json
import logging

import pytest

from mediabatch.errors import UnsafeUrl
from mediabatch.webhooks.delivery import WebhookDeliveryService
from mediabatch.webhooks.models import PostResult, RetryBackoff
from mediabatch.webhooks.signing import new_secret, verify
from tests.fakes.webhooks import FixedSecrets, RecordingPoster, WebhookUrls

NOW = 1_700_000_000
URL = "https://hooks.example/batch-done"
SECRET = new_secret()


def batch_event(batch_id: str = "batch_1", tenant_id: str | None = "tenant-a") -> dict[str, object]:
    detail: dict[str, object] = {"batch_id": batch_id, "status": "completed", "completed_jobs": 3, "total_jobs": 3}
    if tenant_id is not None:
        detail["tenant_id"] = tenant_id
    return {
        "source": "mediabatch",
        "detail-type": "batch.completed",
        "time": "2026-11-30T10:00:00Z",
        "detail": detail,
    }


@pytest.fixture
def poster() -> RecordingPoster:
    return RecordingPoster()


@pytest.fixture
def service(poster: RecordingPoster) -> WebhookDeliveryService:
    return WebhookDeliveryService(
        FixedSecrets({"tenant-a": SECRET}),
        poster,
        WebhookUrls({("tenant-a", "batch_1"): URL}),
        clock=lambda: NOW + 0.7,
    )


def test_the_receiver_gets_a_body_signed_with_the_tenants_secret(
    service: WebhookDeliveryService, poster: RecordingPoster
) -> None:
    service.deliver(batch_event())

    [posted] = poster.posted
    headers = posted.headers
    assert posted.url == URL
    assert headers["webhook-id"] == "msg_batch_1_batch.completed"
    assert headers["webhook-timestamp"] == str(NOW)
    assert verify(SECRET, headers["webhook-id"], NOW, posted.body, headers["webhook-signature"])
    assert not verify(new_secret(), headers["webhook-id"], NOW, posted.body, headers["webhook-signature"])
    assert json.loads(posted.body) == {
        "type": "batch.completed",
        "timestamp": NOW,
        "data": {
            "batch_id": "batch_1",
            "status": "completed",
            "completed_jobs": 3,
            "total_jobs": 3,
            "occurred_at": "2026-11-30T10:00:00Z",
        },  # no tenant_id: nothing internal leaks
    }


@pytest.mark.parametrize("status", [200, 202, 204])
def test_a_2xx_answer_is_delivered(service: WebhookDeliveryService, poster: RecordingPoster, status: int) -> None:
    poster.result = PostResult(status)

    outcome = service.deliver(batch_event())

    assert (outcome.delivered, outcome.retry, outcome.status) == (True, False, status)


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429, 408])
def test_server_errors_and_rate_limits_are_retried(
    service: WebhookDeliveryService, poster: RecordingPoster, status: int
) -> None:
    poster.result = PostResult(status)

    outcome = service.deliver(batch_event())

    assert (outcome.delivered, outcome.retry, outcome.status, outcome.reason) == (
        False,
        True,
        status,
        f"HTTP {status}",
    )


def test_no_answer_is_retried_with_the_clients_reason(service: WebhookDeliveryService, poster: RecordingPoster) -> None:
    poster.result = PostResult(None, "ReadTimeoutError: read timed out")

    outcome = service.deliver(batch_event())

    assert (outcome.delivered, outcome.retry, outcome.reason) == (False, True, "ReadTimeoutError: read timed out")


@pytest.mark.parametrize("status", [400, 401, 404, 410, 301])
def test_client_errors_and_redirects_are_final(
    service: WebhookDeliveryService, poster: RecordingPoster, status: int
) -> None:
    poster.result = PostResult(status)

    outcome = service.deliver(batch_event())

    assert (outcome.delivered, outcome.retry, outcome.reason) == (False, False, f"HTTP {status}")


@pytest.mark.parametrize("event", [batch_event("batch_without_url"), batch_event(tenant_id=None)])
def test_a_batch_without_a_webhook_url_is_neither_posted_nor_retried(
    service: WebhookDeliveryService, poster: RecordingPoster, event: dict[str, object]
) -> None:
    outcome = service.deliver(event)

    assert (outcome.delivered, outcome.retry, outcome.reason) == (False, False, "no webhook_url")
    assert poster.posted == []


def test_a_url_the_service_must_not_reach_is_refused_for_good(
    service: WebhookDeliveryService, poster: RecordingPoster, caplog: pytest.LogCaptureFixture
) -> None:
    poster.refuse = UnsafeUrl("address 10.0.0.1 is private")

    with caplog.at_level(logging.WARNING):
        outcome = service.deliver(batch_event())

    assert (outcome.delivered, outcome.retry, outcome.reason) == (False, False, "address 10.0.0.1 is private")
    assert "hooks.example" in caplog.text and "/batch-done" not in caplog.text  # the host, not the whole URL


# --------------------------------------------------------------------------- backoff
def test_retries_back_off_exponentially_up_to_a_cap() -> None:
    backoff = RetryBackoff(base_seconds=30)

    assert [backoff.delay_for(n) for n in (0, 1, 2, 3, 4)] == [30, 30, 60, 120, 240]
    assert backoff.delay_for(10) == 900
