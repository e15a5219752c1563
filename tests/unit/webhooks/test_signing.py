"""Standard Webhooks signing as a receiver checks it: the official test vector, round trips, and
every kind of tampering refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from mediabatch.webhooks.models import WebhookMessage, is_retryable
from mediabatch.webhooks.signing import new_secret, sign, verify

# From the Standard Webhooks specification's reference libraries.
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TS = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_official_standard_webhooks_test_vector() -> None:
    assert sign(VECTOR_SECRET, VECTOR_ID, VECTOR_TS, VECTOR_BODY) == VECTOR_SIGNATURE
    assert verify(VECTOR_SECRET, VECTOR_ID, VECTOR_TS, VECTOR_BODY, VECTOR_SIGNATURE)


def test_sign_is_hmac_sha256_of_id_timestamp_body_with_the_decoded_secret() -> None:
    secret = new_secret()
    key = base64.b64decode(secret.removeprefix("whsec_"))
    body = b'{"type":"batch.completed"}'
    expected = base64.b64encode(hmac.new(key, b"msg_1.1700000000." + body, hashlib.sha256).digest()).decode()

    assert sign(secret, "msg_1", 1700000000, body) == "v1," + expected


def test_new_secrets_are_prefixed_random_32_byte_keys() -> None:
    secrets = {new_secret() for _ in range(20)}

    assert len(secrets) == 20
    for secret in secrets:
        assert secret.startswith("whsec_")
        assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32


def test_sign_verify_round_trip() -> None:
    secret = new_secret()
    body = json.dumps({"data": {"batch_id": "batch_1"}}).encode()
    signature = sign(secret, "msg_a", 1700000000, body)

    assert verify(secret, "msg_a", 1700000000, body, signature)


@pytest.mark.parametrize("change", ["body", "id", "timestamp", "secret", "signature"])
def test_verify_refuses_anything_tampered(change: str) -> None:
    secret = new_secret()
    msg_id, ts, body = "msg_a", 1700000000, b'{"status":"completed"}'
    signature = sign(secret, msg_id, ts, body)
    if change == "body":
        body = b'{"status":"failed"}'
    elif change == "id":
        msg_id = "msg_b"
    elif change == "timestamp":
        ts += 1
    elif change == "secret":
        secret = new_secret()
    else:
        raw = bytearray(base64.b64decode(signature.removeprefix("v1,")))
        raw[0] ^= 1
        signature = "v1," + base64.b64encode(bytes(raw)).decode()

    assert not verify(secret, msg_id, ts, body, signature)


def test_verify_accepts_a_header_listing_several_signatures() -> None:
    # Senders list one signature per active secret during a rotation, space separated.
    old, current = new_secret(), new_secret()
    body = b"{}"
    header = " ".join([sign(old, "msg_a", 1, body), sign(current, "msg_a", 1, body)])

    assert verify(current, "msg_a", 1, body, header)
    assert verify(old, "msg_a", 1, body, header)
    assert not verify(new_secret(), "msg_a", 1, body, header)


@pytest.mark.parametrize(
    "header", ["", " ", "v1,", "v1", "garbage", "v2,{sig}", "V1,{sig}", "v1a,{sig}", "v1,{sig}x", "{sig}", "v1, {sig}"]
)
def test_verify_refuses_malformed_headers(header: str) -> None:
    secret = new_secret()
    good = sign(secret, "msg_a", 1, b"{}").removeprefix("v1,")

    assert not verify(secret, "msg_a", 1, b"{}", header.format(sig=good))


def test_verify_refuses_a_non_ascii_header_instead_of_crashing() -> None:
    secret = new_secret()

    assert not verify(secret, "msg_a", 1, b"{}", "v1,é")


# --------------------------------------------------------------------------- messages
def test_a_message_has_the_standard_headers_and_a_verifiable_signature() -> None:
    secret = new_secret()
    message = WebhookMessage(
        msg_id="msg_batch_1_batch.completed",
        event_type="batch.completed",
        timestamp=1700000000,
        data={"batch_id": "batch_1", "completed_jobs": 3},
    )

    headers = message.headers(secret)

    assert headers["content-type"] == "application/json"
    assert headers["webhook-id"] == "msg_batch_1_batch.completed"
    assert headers["webhook-timestamp"] == "1700000000"
    assert verify(
        secret, headers["webhook-id"], int(headers["webhook-timestamp"]), message.body(), headers["webhook-signature"]
    )


def test_a_message_body_carries_type_timestamp_and_data() -> None:
    message = WebhookMessage(
        msg_id="m",
        event_type="batch.failed",
        timestamp=1700000000,
        data={"batch_id": "batch_1", "title": "é ✓", "failed_jobs": 2},
    )

    body = message.body()

    assert json.loads(body) == {
        "type": "batch.failed",
        "timestamp": 1700000000,
        "data": {"batch_id": "batch_1", "title": "é ✓", "failed_jobs": 2},
    }
    assert body == message.body()  # byte-stable, so retries carry the same signature


def test_the_same_message_signs_the_same_way_every_time() -> None:
    secret = new_secret()
    message = WebhookMessage(msg_id="m", event_type="batch.completed", timestamp=5, data={"b": 1, "a": 2})

    assert message.headers(secret) == message.headers(secret)


# --------------------------------------------------------------------------- retries
@pytest.mark.parametrize("status", [None, 408, 425, 429, 500, 502, 503, 504])
def test_no_answer_timeouts_rate_limits_and_server_errors_are_retried(status: int | None) -> None:
    assert is_retryable(status)


@pytest.mark.parametrize("status", [200, 201, 204, 301, 302, 400, 401, 403, 404, 405, 410, 413, 422, 501])
def test_other_answers_are_final(status: int) -> None:
    assert not is_retryable(status)
