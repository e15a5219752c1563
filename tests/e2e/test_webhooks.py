"""Signed webhooks through EventBridge → SQS → sender: exactly once per batch, retried,
dead-lettered, and signed with the tenant's rotatable secret."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.conftest import Api
from tests.support.media_server import MediaServer
from tests.support.webhook_receiver import WebhookReceiver, verify_signature

pytestmark = pytest.mark.e2e


def deliveries_for(receiver: WebhookReceiver, batch_id: str) -> list[Any]:
    return [d for d in receiver.deliveries if (d.json or {}).get("data", {}).get("batch_id") == batch_id]


def wait_until_quiet(cloud: Any, batch_id: str, timeout: float = 30.0) -> None:
    """Positive signals that nothing more is on its way: the batch workflow has ended (its last
    state is the one that may re-announce) and the webhook queue holds no message, visible or
    in flight."""
    sfn, sqs = cloud.client("stepfunctions"), cloud.client("sqs")
    arn = cloud.provisioned.state_machines["BatchDownloadStateMachine"]
    execution = arn.replace(":stateMachine:", ":execution:") + f":{batch_id}"
    queue_url = sqs.get_queue_url(QueueName=f"{cloud.stack_name}-WebhookQueue")["QueueUrl"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ended = sfn.describe_execution(executionArn=execution)["status"] != "RUNNING"
        attrs = sqs.get_queue_attributes(
            QueueUrl=queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        if ended and not any(int(v) for v in attrs.values()):
            return
        time.sleep(0.2)
    raise AssertionError(f"batch {batch_id}: workflow or webhook queue still busy after {timeout} s")


def test_one_signed_batch_completed_webhook_even_when_jobs_finish_together(
    api: Api, cloud: Any, media_server: MediaServer, webhook_receiver: WebhookReceiver
) -> None:
    urls = [media_server.url(f"/clip.mp4?hook={i}") for i in range(10)]
    created = api.create_batch(urls=urls, concurrent_limit=10, webhook_url=webhook_receiver.url).json()
    final = api.wait_for(created["batch_id"])
    assert final["status"] == "completed"
    delivery = webhook_receiver.wait_for(lambda d: d.json["data"]["batch_id"] == created["batch_id"], timeout=20)
    assert delivery.signature_valid and delivery.timestamp_fresh
    assert delivery.event_type == "batch.completed"
    assert delivery.msg_id == f"msg_{created['batch_id']}_batch.completed"
    data = delivery.json["data"]
    assert data["status"] == "completed" and data["completed_jobs"] == 10 and data["total_jobs"] == 10
    assert "tenant_id" not in data and "webhook_url" not in data  # nothing internal leaks
    wait_until_quiet(cloud, created["batch_id"])
    # A retry would come after the backoff (1 s here) plus a poll (1 s): hold a window longer than both.
    time.sleep(3)
    assert len(deliveries_for(webhook_receiver, created["batch_id"])) == 1
    assert webhook_receiver.errors == []


def test_failed_and_cancelled_batches_are_announced_too(
    api: Api, media_server: MediaServer, webhook_receiver: WebhookReceiver
) -> None:
    failed = api.create_batch(urls=[media_server.url("/nothing.mp4")], webhook_url=webhook_receiver.url).json()
    slow = api.create_batch(
        urls=[media_server.url("/slow/clip2.mp4?hook=cancel")], webhook_url=webhook_receiver.url
    ).json()
    api.wait_for(slow["batch_id"], lambda b: b["running_jobs"] == 1, timeout=30)
    api.request("DELETE", f"/api/v1/batch/{slow['batch_id']}")
    got_failed = webhook_receiver.wait_for(lambda d: d.json["data"]["batch_id"] == failed["batch_id"], timeout=20)
    got_cancelled = webhook_receiver.wait_for(lambda d: d.json["data"]["batch_id"] == slow["batch_id"], timeout=20)
    assert got_failed.event_type == "batch.failed" and got_failed.signature_valid
    assert got_cancelled.event_type == "batch.cancelled" and got_cancelled.signature_valid


def test_delivery_is_retried_with_the_same_id_after_server_errors(
    api: Api, media_server: MediaServer, webhook_receiver: WebhookReceiver
) -> None:
    webhook_receiver.set_status_sequence([500, 503])
    created = api.create_batch(urls=[media_server.url("/clip.mp4?hook=retry")], webhook_url=webhook_receiver.url).json()
    ok = webhook_receiver.wait_for(
        lambda d: d.status == 200 and d.json["data"]["batch_id"] == created["batch_id"], timeout=30
    )
    attempts = deliveries_for(webhook_receiver, created["batch_id"])
    assert [d.status for d in attempts] == [500, 503, 200]
    assert {d.msg_id for d in attempts} == {ok.msg_id}
    assert all(d.signature_valid for d in attempts)


def test_undeliverable_webhooks_end_in_the_dead_letter_queue(
    api: Api, cloud: Any, media_server: MediaServer, webhook_receiver: WebhookReceiver
) -> None:
    webhook_receiver.set_status_sequence([], default_status=500)
    created = api.create_batch(urls=[media_server.url("/clip.mp4?hook=dlq")], webhook_url=webhook_receiver.url).json()
    sqs = cloud.client("sqs")
    dlq_url = sqs.get_queue_url(QueueName=f"{cloud.stack_name}-WebhookDeadLetterQueue")["QueueUrl"]
    deadline = time.monotonic() + 40
    found: dict[str, Any] | None = None
    while found is None and time.monotonic() < deadline:
        for message in sqs.receive_message(
            QueueUrl=dlq_url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=0
        ).get("Messages", []):
            event = json.loads(message["Body"])
            if event["detail"].get("batch_id") == created["batch_id"]:  # file.* events carry none
                found = event
    assert found is not None, "the webhook never reached the dead-letter queue"
    assert found["detail-type"] == "batch.completed"
    assert len(deliveries_for(webhook_receiver, created["batch_id"])) == 3  # WebhookMaxAttempts in conftest


def test_rotating_the_secret_changes_the_signature_key(
    api: Api, media_server: MediaServer, webhook_receiver: WebhookReceiver
) -> None:
    old = api.request("GET", "/api/v1/webhooks/secret").json()["secret"]
    rotated = api.request("POST", "/api/v1/webhooks/secret/rotate")
    assert rotated.status_code == 200 and set(rotated.json()) == {"secret"}
    new = rotated.json()["secret"]
    assert new != old and new.startswith("whsec_")
    assert api.request("GET", "/api/v1/webhooks/secret").json()["secret"] == new
    created = api.create_batch(
        urls=[media_server.url("/clip.mp4?hook=rotate")], webhook_url=webhook_receiver.url
    ).json()
    delivery = webhook_receiver.wait_for(lambda d: d.json["data"]["batch_id"] == created["batch_id"], timeout=20)
    args = (delivery.msg_id, delivery.timestamp, delivery.body, delivery.headers["webhook-signature"])
    assert verify_signature(new, *args)
    assert not verify_signature(old, *args)


def test_tenants_have_different_secrets(api: Api, api_b: Api) -> None:
    a = api.request("GET", "/api/v1/webhooks/secret").json()["secret"]
    b = api_b.request("GET", "/api/v1/webhooks/secret").json()["secret"]
    assert a != b
