"""The local cloud's S3 (SeaweedFS) binds presigned URLs as AWS does: the very tests that prove it
on LocalStack (tests/localstack/test_presigned_binding.py), run against the local cloud itself;
plus what moto got wrong: any Content-Type on a part, and a multipart completion that takes
milliseconds and no memory, whatever the object's size."""

# ruff: noqa: F811 - the imported fixtures are requested by name, as pytest does

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from typing import Any

import pytest
import requests

from localcloud import LocalCloud
from mediabatch.adapters.s3.media_bucket import MediaBucket
from tests.localstack.test_presigned_binding import (  # noqa: F401 - collected here too
    BODY,
    BUCKET,
    TTL,
    TYPE,
    http,
    key,
    storage,
    test_another_content_type_is_refused,
    test_body_of_another_size_is_refused,
    test_expired_part_url_is_refused,
    test_expired_url_is_refused,
    test_part_of_another_size_is_refused_and_the_declared_one_accepted,
    test_part_url_is_bound_to_its_part_number_and_upload,
    test_put_with_declared_type_and_size_is_stored,
    test_tampered_url_is_refused,
    upload_id,
)

MiB = 2**20


@pytest.fixture(scope="module")
def s3(cloud: LocalCloud) -> Any:
    """The local cloud's S3, with the keys its functions sign with (what the product's URLs carry)."""
    client = cloud.client("s3")
    with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
        client.create_bucket(Bucket=BUCKET)
    return client


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain", None])
def test_a_part_is_accepted_whatever_its_content_type(
    storage: MediaBucket, http: requests.Session, key: str, upload_id: str, content_type: str | None
) -> None:
    """urllib and `curl --data-binary` send a form type by default; S3 takes any type on a part
    (moto hung on a form body)."""
    url = storage.presign_upload_part(key, upload_id, 1, content_length=len(BODY), ttl_seconds=TTL)
    headers = {"Content-Type": content_type} if content_type else {}

    response = http.put(url, data=BODY, headers=headers, timeout=10)

    assert response.status_code == 200, response.text
    assert storage.list_parts(key, upload_id) == {1: (len(BODY), response.headers["ETag"])}


def _rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:"))


def test_completing_a_1_gib_multipart_upload_takes_well_under_2_s_and_no_memory(
    cloud: LocalCloud, storage: MediaBucket, http: requests.Session
) -> None:
    """64 parts of 16 MiB (what the upload plan makes of 1 GiB), sent through presigned URLs."""
    big = f"big/{uuid.uuid4().hex}.bin"
    upload = storage.create_multipart_upload(big, TYPE)
    part = bytes(range(256)) * (16 * MiB // 256)
    etags = {}
    for number in range(1, 65):
        url = storage.presign_upload_part(big, upload, number, content_length=len(part), ttl_seconds=TTL)
        response = http.put(url, data=part, timeout=60)
        assert response.status_code == 200, response.text
        etags[number] = response.headers["ETag"]
    pids = cloud.pids()
    before = sum(_rss_kb(p) for p in pids)
    peak = [before]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], sum(_rss_kb(p) for p in pids))
            done.wait(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    assert storage.complete_multipart_upload(big, upload, etags)
    took = time.monotonic() - started
    done.set()
    sampler.join()

    assert took < 2.0, f"CompleteMultipartUpload of 1 GiB took {took:.2f} s"
    assert (peak[0] - before) * 1024 < 64 * MiB, f"the local cloud grew by {(peak[0] - before) // 1024} MiB"
    assert storage.head(big) == (64 * len(part), TYPE)
    storage.delete([big])
