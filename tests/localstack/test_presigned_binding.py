"""What a presigned upload URL made by MediaBucket binds, proven against an S3 that checks
signatures (LocalStack; moto accepts anything): the declared size and type, the expiry, the key and
every signed query parameter. Each refusal is checked the way a user would: the status code, and
that nothing was stored."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from xml.etree import ElementTree

import boto3
import pytest
import requests
from botocore.config import Config

from mediabatch.adapters.s3.media_bucket import MediaBucket

BUCKET = "presign-binding"
BODY = b"\x00\x01 not really a video, but exactly this many bytes " * 20
TYPE = "video/mp4"
TTL = 300


@pytest.fixture(scope="module")
def s3(localstack_endpoint: str) -> Any:
    # LocalStack validates presigned URLs with the secret "test" for access keys it does not know.
    client = boto3.session.Session().client(
        "s3",
        endpoint_url=localstack_endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture
def storage(s3: Any) -> MediaBucket:
    return MediaBucket(bucket=BUCKET, s3=s3)


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.trust_env = False  # straight to 127.0.0.1, never through a proxy
        yield session


@pytest.fixture
def key() -> str:
    return f"uploads/{uuid.uuid4().hex}/clip.mp4"


def error_code(response: requests.Response) -> str | None:
    return ElementTree.fromstring(response.content).findtext("Code")


def refused(response: requests.Response, code: str = "SignatureDoesNotMatch") -> None:
    assert response.status_code == 403, (response.status_code, response.text)
    assert error_code(response) == code, response.text


def with_query(url: str, **changes: str | None) -> str:
    """`url` with query parameters replaced (None removes one), keeping their order."""
    parts = urlsplit(url)
    query = [(k, changes.get(k, v)) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit(parts._replace(query=urlencode([(k, v) for k, v in query if v is not None])))


# ---------------------------------------------------------------------------- single PUT
def test_put_with_declared_type_and_size_is_stored(storage: MediaBucket, http: requests.Session, key: str) -> None:
    url = storage.presign_put(key, content_type=TYPE, content_length=len(BODY), ttl_seconds=TTL)

    response = http.put(url, data=BODY, headers={"Content-Type": TYPE}, timeout=30)

    assert response.status_code == 200, response.text
    assert storage.head(key) == (len(BODY), TYPE)
    assert storage.get_bytes(key) == BODY


@pytest.mark.parametrize(
    "size", [len(BODY) + 1, len(BODY) - 1, 0, 2 * len(BODY)], ids=["one-more", "one-less", "empty", "double"]
)
def test_body_of_another_size_is_refused(storage: MediaBucket, http: requests.Session, key: str, size: int) -> None:
    url = storage.presign_put(key, content_type=TYPE, content_length=len(BODY), ttl_seconds=TTL)

    response = http.put(url, data=(BODY * 3)[:size], headers={"Content-Type": TYPE}, timeout=30)

    refused(response)
    assert storage.head(key) is None


@pytest.mark.parametrize(
    "headers",
    [{"Content-Type": "text/html"}, {"Content-Type": "video/mp4; x=1"}, {}],
    ids=["other-type", "type-with-parameter", "no-type"],
)
def test_another_content_type_is_refused(
    storage: MediaBucket, http: requests.Session, key: str, headers: dict[str, str]
) -> None:
    url = storage.presign_put(key, content_type=TYPE, content_length=len(BODY), ttl_seconds=TTL)

    response = http.put(url, data=BODY, headers=headers, timeout=30)

    refused(response)
    assert storage.head(key) is None


def test_expired_url_is_refused(storage: MediaBucket, http: requests.Session, key: str) -> None:
    url = storage.presign_put(key, content_type=TYPE, content_length=len(BODY), ttl_seconds=1)
    time.sleep(2.2)  # X-Amz-Date has whole seconds: the URL is dead at most 1 s after signing

    response = http.put(url, data=BODY, headers={"Content-Type": TYPE}, timeout=30)

    refused(response, "AccessDenied")
    assert "Request has expired" in response.text
    assert storage.head(key) is None


def _other_key(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path.replace("clip.mp4", "other.mp4")))


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(_other_key, id="other-key"),
        pytest.param(lambda u: with_query(u, **{"X-Amz-Expires": "604800"}), id="longer-expiry"),
        pytest.param(lambda u: with_query(u, **{"X-Amz-SignedHeaders": "content-type;host"}), id="length-unsigned"),
        pytest.param(lambda u: with_query(u, **{"X-Amz-SignedHeaders": "host"}), id="nothing-but-host-signed"),
        pytest.param(lambda u: with_query(u, **{"X-Amz-Date": "20300101T000000Z"}), id="later-date"),
        pytest.param(lambda u: with_query(u, **{"X-Amz-Signature": "0" * 64}), id="forged-signature"),
    ],
)
def test_tampered_url_is_refused(storage: MediaBucket, http: requests.Session, key: str, tamper: Any) -> None:
    url = storage.presign_put(key, content_type=TYPE, content_length=len(BODY), ttl_seconds=TTL)
    tampered = tamper(url)
    assert tampered != url

    response = http.put(tampered, data=BODY, headers={"Content-Type": TYPE}, timeout=30)

    refused(response)
    assert storage.head(key) is None
    assert storage.head(key.replace("clip.mp4", "other.mp4")) is None


# ---------------------------------------------------------------------------- multipart
@pytest.fixture
def upload_id(storage: MediaBucket, key: str) -> Iterator[str]:
    upload = storage.create_multipart_upload(key, TYPE)
    yield upload
    storage.abort_multipart_upload(key, upload)


def test_part_of_another_size_is_refused_and_the_declared_one_accepted(
    storage: MediaBucket, http: requests.Session, key: str, upload_id: str
) -> None:
    url = storage.presign_upload_part(key, upload_id, 1, content_length=len(BODY), ttl_seconds=TTL)

    for wrong in (BODY + b"x", BODY[:-1]):
        refused(http.put(url, data=wrong, timeout=30))
    assert storage.list_parts(key, upload_id) == {}

    response = http.put(url, data=BODY, timeout=30)

    assert response.status_code == 200, response.text
    assert storage.list_parts(key, upload_id) == {1: (len(BODY), response.headers["ETag"])}
    storage.complete_multipart_upload(key, upload_id, {1: response.headers["ETag"]})
    assert storage.head(key) == (len(BODY), TYPE)
    assert storage.get_bytes(key) == BODY


def test_part_url_is_bound_to_its_part_number_and_upload(
    storage: MediaBucket, http: requests.Session, key: str, upload_id: str
) -> None:
    url = storage.presign_upload_part(key, upload_id, 1, content_length=len(BODY), ttl_seconds=TTL)
    other_upload = storage.create_multipart_upload(key, TYPE)
    try:
        refused(http.put(with_query(url, partNumber="2"), data=BODY, timeout=30))
        refused(http.put(with_query(url, uploadId=other_upload), data=BODY, timeout=30))

        assert storage.list_parts(key, upload_id) == {}
        assert storage.list_parts(key, other_upload) == {}
    finally:
        storage.abort_multipart_upload(key, other_upload)


def test_expired_part_url_is_refused(storage: MediaBucket, http: requests.Session, key: str, upload_id: str) -> None:
    url = storage.presign_upload_part(key, upload_id, 1, content_length=len(BODY), ttl_seconds=1)
    time.sleep(2.2)

    response = http.put(url, data=BODY, timeout=30)

    refused(response, "AccessDenied")
    assert "Request has expired" in response.text
    assert storage.list_parts(key, upload_id) == {}
