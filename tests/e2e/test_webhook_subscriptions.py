"""Tenant-level webhook subscriptions over HTTP against the local cloud: file and batch events
reach every matching endpoint, signed with the tenant's secret; each endpoint is retried on its
own; every attempt is in the delivery log; redeliveries keep the webhook-id; tenants never see
each other's subscriptions or deliveries."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.conftest import Api
from tests.e2e.test_media_catalog import upload
from tests.support.media import MediaSet
from tests.support.media_server import MediaServer
from tests.support.webhook_receiver import Delivery, WebhookReceiver, verify_signature

pytestmark = pytest.mark.e2e


def subscribe(api: Api, url: str, events: list[str], **headers: str) -> dict[str, Any]:
    response = api.request("POST", "/api/v0/webhooks", json={"url": url, "events": events}, headers=headers)
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"/api/v0/webhooks/{response.json()['id']}"
    return dict(response.json())


def deliveries(api: Api, subscription_id: str) -> list[dict[str, Any]]:
    response = api.request("GET", f"/api/v0/webhooks/{subscription_id}/deliveries")
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def wait_for_log(
    api: Api, subscription_id: str, predicate: Callable[[dict[str, Any]], bool], timeout: float = 30.0
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        found = [d for d in deliveries(api, subscription_id) if predicate(d)]
        if found:
            return found[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"no such delivery of {subscription_id}: {deliveries(api, subscription_id)}")
        time.sleep(0.3)


def for_media(media_id: str) -> Callable[[Delivery], bool]:
    return lambda d: (d.json or {}).get("data", {}).get("media_id") == media_id


def for_batch(batch_id: str) -> Callable[[Delivery], bool]:
    return lambda d: (d.json or {}).get("data", {}).get("batch_id") == batch_id


@pytest.fixture(autouse=True)
def unsubscribe_everything(api: Api, api_b: Api) -> Iterator[None]:
    """Subscriptions outlive a test (one cloud per session): remove them so later tests (and
    tests/e2e/test_webhooks.py) see only their own deliveries."""
    yield
    for client in (api, api_b):
        for item in client.request("GET", "/api/v0/webhooks").json()["items"]:
            client.request("DELETE", f"/api/v0/webhooks/{item['id']}")


@pytest.fixture
def second_receiver(api: Api) -> Iterator[WebhookReceiver]:
    with WebhookReceiver(lambda: api.request("GET", "/api/v1/webhooks/secret").json()["secret"]) as receiver:
        yield receiver


def test_an_upload_reaches_a_file_uploaded_subscription_signed_and_logged(
    api: Api, media: MediaSet, webhook_receiver: WebhookReceiver
) -> None:
    subscription = subscribe(api, webhook_receiver.url, ["file.uploaded"])
    assert set(subscription) == {"id", "url", "events", "created_at"}
    assert (subscription["url"], subscription["events"]) == (webhook_receiver.url, ["file.uploaded"])
    listed = api.request("GET", "/api/v0/webhooks").json()["items"]
    assert listed == [subscription]
    assert api.request("GET", f"/api/v0/webhooks/{subscription['id']}").json() == subscription

    item = upload(api, media.clip.read_bytes(), "hooked.mp4")

    got = webhook_receiver.wait_for(for_media(item["id"]), timeout=20)
    secret = api.request("GET", "/api/v1/webhooks/secret").json()["secret"]
    assert verify_signature(secret, got.msg_id, got.timestamp, got.body, got.headers["webhook-signature"])
    assert got.signature_valid and got.timestamp_fresh
    assert got.event_type == "file.uploaded" and got.msg_id == f"msg_{item['id']}_file.uploaded"
    assert got.json["data"]["filename"] == "hooked.mp4" and "tenant_id" not in got.json["data"]
    logged = wait_for_log(api, subscription["id"], lambda d: d["state"] == "delivered")
    assert logged["webhook_id"] == got.msg_id and logged["event_type"] == "file.uploaded"
    assert logged["endpoint"] == subscription["id"] and logged["event_id"]
    [attempt] = logged["attempts"]
    assert (attempt["attempt"], attempt["status_code"], attempt["state"], attempt["error"]) == (
        1,
        200,
        "delivered",
        None,
    )
    assert attempt["latency_ms"] >= 0 and attempt["at"].endswith("Z")


def test_a_batch_reaches_its_own_webhook_url_and_a_subscription_each_retried_on_its_own(
    api: Api, media_server: MediaServer, webhook_receiver: WebhookReceiver, second_receiver: WebhookReceiver
) -> None:
    subscription = subscribe(api, second_receiver.url, ["batch.completed"])
    webhook_receiver.set_status_sequence([500, 500])  # the batch's own webhook_url fails twice
    created = api.create_batch(
        urls=[media_server.url("/clip.mp4?hook=subscribed")], webhook_url=webhook_receiver.url
    ).json()

    ok = webhook_receiver.wait_for(lambda d: d.status == 200 and for_batch(created["batch_id"])(d), timeout=30)
    sub_got = second_receiver.wait_for(for_batch(created["batch_id"]), timeout=20)
    assert sub_got.signature_valid and sub_got.event_type == "batch.completed"
    assert sub_got.msg_id == ok.msg_id == f"msg_{created['batch_id']}_batch.completed"
    assert [d.status for d in webhook_receiver.deliveries if for_batch(created["batch_id"])(d)] == [500, 500, 200]
    time.sleep(2)  # longer than a retry of the subscription's delivery would take
    assert len([d for d in second_receiver.deliveries if for_batch(created["batch_id"])(d)]) == 1
    logged = wait_for_log(api, subscription["id"], lambda d: d["webhook_id"] == ok.msg_id)
    assert logged["state"] == "delivered" and [a["status_code"] for a in logged["attempts"]] == [200]


def test_a_receiver_failing_twice_then_succeeding_then_a_redelivery(
    api: Api, media: MediaSet, webhook_receiver: WebhookReceiver
) -> None:
    subscription = subscribe(api, webhook_receiver.url, ["file.*"])
    webhook_receiver.set_status_sequence([500, 500])

    item = upload(api, media.clip.read_bytes(), "flaky.mp4")

    webhook_receiver.wait_for(lambda d: d.status == 200 and for_media(item["id"])(d), timeout=30)
    got = [d for d in webhook_receiver.deliveries if for_media(item["id"])(d)]
    assert [d.status for d in got] == [500, 500, 200]
    assert {d.msg_id for d in got} == {f"msg_{item['id']}_file.uploaded"}
    assert all(d.signature_valid for d in got)
    logged = wait_for_log(api, subscription["id"], lambda d: d["state"] == "delivered")
    assert [(a["attempt"], a["status_code"], a["state"]) for a in logged["attempts"]] == [
        (1, 500, "retrying"),
        (2, 500, "retrying"),
        (3, 200, "delivered"),
    ]
    assert logged["attempts"][0]["error"] == "HTTP 500"

    again = api.request("POST", f"/api/v0/webhooks/deliveries/{logged['id']}/redeliver")
    assert again.status_code == 202, again.text
    assert again.json() == {"delivery_id": logged["id"], "webhook_id": logged["webhook_id"], "status": "queued"}
    webhook_receiver.wait_for(lambda d: len([x for x in webhook_receiver.deliveries if for_media(item["id"])(x)]) == 4)
    fourth = [d for d in webhook_receiver.deliveries if for_media(item["id"])(d)][3]
    assert fourth.msg_id == logged["webhook_id"] and fourth.status == 200 and fourth.signature_valid
    relogged = wait_for_log(api, subscription["id"], lambda d: len(d["attempts"]) == 4)
    assert relogged["id"] == logged["id"] and relogged["attempts"][3]["attempt"] == 4
    assert relogged["state"] == "delivered"


def test_an_endpoint_that_always_fails_is_dead_lettered_and_visible_in_the_log(
    api: Api, cloud: Any, media_server: MediaServer, webhook_receiver: WebhookReceiver
) -> None:
    # A batch event: tests/e2e/test_webhooks.py reads every dead-lettered message as a batch event.
    webhook_receiver.set_status_sequence([], default_status=500)
    subscription = subscribe(api, webhook_receiver.url, ["batch.completed"])

    created = api.create_batch(urls=[media_server.url("/clip.mp4?hook=sub-dlq")]).json()

    logged = wait_for_log(api, subscription["id"], lambda d: d["state"] == "dead_lettered", timeout=40)
    assert [(a["status_code"], a["state"]) for a in logged["attempts"]] == [
        (500, "retrying"),
        (500, "retrying"),
        (500, "dead_lettered"),  # WebhookMaxAttempts is 3 in conftest
    ]
    assert logged["webhook_id"] == f"msg_{created['batch_id']}_batch.completed"
    assert len([d for d in webhook_receiver.deliveries if for_batch(created["batch_id"])(d)]) == 3
    assert dead_lettered(cloud, logged["id"])["detail"]["batch_id"] == created["batch_id"]


def dead_lettered(cloud: Any, delivery_id: str, timeout: float = 20.0) -> dict[str, Any]:
    """The delivery's message in the dead-letter queue (left there: read with visibility 0)."""
    sqs = cloud.client("sqs")
    dlq_url = sqs.get_queue_url(QueueName=f"{cloud.stack_name}-WebhookDeadLetterQueue")["QueueUrl"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in sqs.receive_message(
            QueueUrl=dlq_url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=0
        ).get("Messages", []):
            body = json.loads(message["Body"])
            if (body.get("delivery") or {}).get("id") == delivery_id:
                return dict(body)
    raise AssertionError(f"delivery {delivery_id} never reached the dead-letter queue")


@pytest.mark.parametrize(
    "url", ["http://10.0.0.1/hook", "http://169.254.169.254/latest/meta-data", "http://[::1]/hook", "ftp://x.test/"]
)
def test_urls_refused_by_the_ssrf_policy(api: Api, url: str) -> None:
    response = api.request("POST", "/api/v0/webhooks", json={"url": url, "events": ["file.uploaded"]})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_webhook_url"
    assert api.request("GET", "/api/v0/webhooks").json()["items"] == []


@pytest.mark.parametrize(
    "body, code",
    [
        ({"url": "https://93.184.216.34/x", "events": ["file.renamed"]}, "invalid_event_type"),
        ({"url": "https://93.184.216.34/x", "events": []}, "validation_error"),
        ({"url": "https://93.184.216.34/x", "events": "file.uploaded"}, "validation_error"),
        ({"url": "https://93.184.216.34/x"}, "validation_error"),
    ],
)
def test_invalid_event_lists_are_refused(api: Api, body: dict[str, Any], code: str) -> None:
    response = api.request("POST", "/api/v0/webhooks", json=body)

    assert response.status_code == 400 and response.json()["error"]["code"] == code


def test_the_subscription_limit_per_tenant(api: Api, api_b: Api) -> None:
    for _ in range(20):
        subscribe(api, "https://93.184.216.34/limit", ["job.cancelled"])

    refused = api.request("POST", "/api/v0/webhooks", json={"url": "https://93.184.216.34/x", "events": ["*"]})

    assert refused.status_code == 409 and refused.json()["error"]["code"] == "webhook_limit_reached"
    assert len(api.request("GET", "/api/v0/webhooks").json()["items"]) == 20
    subscribe(api_b, "https://93.184.216.34/limit", ["job.cancelled"])  # another tenant's count


def test_an_idempotency_key_creates_one_subscription(api: Api) -> None:
    key = uuid.uuid4().hex
    first = subscribe(api, "https://93.184.216.34/once", ["job.cancelled"], **{"Idempotency-Key": key})
    second = subscribe(api, "https://93.184.216.34/once", ["job.cancelled"], **{"Idempotency-Key": key})

    assert first == second
    assert [s["id"] for s in api.request("GET", "/api/v0/webhooks").json()["items"]] == [first["id"]]


def test_another_tenant_sees_nothing_of_a_subscription(
    api: Api, api_b: Api, media: MediaSet, webhook_receiver: WebhookReceiver
) -> None:
    subscription = subscribe(api, webhook_receiver.url, ["file.uploaded"])
    upload(api, media.clip.read_bytes(), "private.mp4")
    delivery = wait_for_log(api, subscription["id"], lambda d: d["state"] == "delivered")
    missing_sub, missing_delivery = "whs_0000000000000000", "dlv_000000000000000000000000"

    def same_as_missing(method: str, path: str, real: str, fake: str) -> None:
        theirs = api_b.request(method, path.format(real))
        none = api_b.request(method, path.format(fake))
        assert theirs.status_code == none.status_code == 404
        assert theirs.json()["error"]["code"] == none.json()["error"]["code"]
        assert theirs.json()["error"]["message"].replace(real, fake) == none.json()["error"]["message"]

    same_as_missing("GET", "/api/v0/webhooks/{}", subscription["id"], missing_sub)
    same_as_missing("GET", "/api/v0/webhooks/{}/deliveries", subscription["id"], missing_sub)
    same_as_missing("DELETE", "/api/v0/webhooks/{}", subscription["id"], missing_sub)
    same_as_missing("POST", "/api/v0/webhooks/deliveries/{}/redeliver", delivery["id"], missing_delivery)
    assert api_b.request("GET", "/api/v0/webhooks").json()["items"] == []
    assert api.request("GET", f"/api/v0/webhooks/{subscription['id']}").status_code == 200
    assert len(deliveries(api, subscription["id"])[0]["attempts"]) == 1  # nothing was redelivered


def test_an_unsubscribed_endpoint_receives_nothing_more(
    api: Api, media: MediaSet, webhook_receiver: WebhookReceiver, second_receiver: WebhookReceiver
) -> None:
    gone = subscribe(api, webhook_receiver.url, ["file.uploaded"])
    stays = subscribe(api, second_receiver.url, ["file.uploaded"])
    first = upload(api, media.clip.read_bytes(), "before.mp4")
    webhook_receiver.wait_for(for_media(first["id"]), timeout=20)

    deleted = api.request("DELETE", f"/api/v0/webhooks/{gone['id']}")
    assert deleted.status_code == 204 and deleted.content == b""
    assert api.request("GET", f"/api/v0/webhooks/{gone['id']}").status_code == 404
    assert [s["id"] for s in api.request("GET", "/api/v0/webhooks").json()["items"]] == [stays["id"]]
    second = upload(api, media.clip.read_bytes(), "after.mp4")

    second_receiver.wait_for(for_media(second["id"]), timeout=20)  # the event went out
    time.sleep(1.5)
    assert [d for d in webhook_receiver.deliveries if for_media(second["id"])(d)] == []
    assert api.request("DELETE", f"/api/v0/webhooks/{gone['id']}").status_code == 404
