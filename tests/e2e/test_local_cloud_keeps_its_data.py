"""`make run` keeps its state: after `kill -9` and a new start on the same data folder, every
acknowledged write is there, and work that was running resumes to its end, once."""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config

from tests.support.localcloud_process import LocalCloudProcess
from tests.support.media import MediaSet
from tests.support.media_server import MediaServer
from tests.support.webhook_receiver import WebhookReceiver

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]
MiB = 2**20
OVERRIDES = "UrlAllowlist=127.0.0.1 WebhookBackoffBaseSeconds=1"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def api(cloud: LocalCloudProcess, method: str, path: str, **kwargs: Any) -> requests.Response:
    headers = {"X-API-Key": cloud.api_key, **kwargs.pop("headers", {})}
    return requests.request(method, cloud.base_url + path, headers=headers, timeout=30, **kwargs)


def data(response: requests.Response) -> Any:
    assert response.status_code < 300, response.text
    body = response.json()
    return body.get("data", body) if isinstance(body, dict) else body


def s3_of(cloud: LocalCloudProcess) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=cloud.s3_url,
        region_name="us-east-1",
        aws_access_key_id="localcloud",
        aws_secret_access_key="localcloud",
        config=Config(s3={"addressing_style": "path"}),
    )


def media_objects(cloud: LocalCloudProcess) -> dict[str, bytes]:
    s3 = s3_of(cloud)
    bucket = next(b["Name"] for b in s3.list_buckets()["Buckets"] if "mediabucket" in b["Name"])
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    return {k: s3.get_object(Bucket=bucket, Key=k)["Body"].read() for k in keys}


def wait(predicate: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {timeout} s")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def test_uploads_media_and_the_local_key_survive_kill_9(data_dir: Path, media: MediaSet) -> None:
    clip = media.clip.read_bytes()
    first = LocalCloudProcess(data_dir, overrides=OVERRIDES).start()
    try:
        (session,) = data(
            api(
                first,
                "POST",
                "/api/v1/videos/batch/init",
                json={"files": [{"filename": "a.mp4", "size": len(clip), "type": "video/mp4"}]},
            )
        )
        put = requests.put(session["presignedUrls"][0], data=clip, headers=session["requiredHeaders"], timeout=30)
        assert put.status_code == 200, put.text
        done = data(api(first, "POST", f"/api/v1/videos/batch/complete/{session['uploadId']}"))
        secret = data(api(first, "GET", "/api/v1/webhooks/secret"))["secret"]
    finally:
        first.kill()

    with LocalCloudProcess(data_dir, overrides=OVERRIDES) as second:
        assert second.api_key == first.api_key  # the key printed at start stays the same
        listing = api(second, "GET", "/api/v0/media").json()
        item = next(i for i in listing["items"] if i["id"] == done["id"])
        assert sha256(requests.get(item["download_url"], timeout=30).content) == sha256(clip)
        progress = data(api(second, "GET", f"/api/v1/videos/batch/progress/{session['uploadId']}"))
        assert progress["status"] == "completed" and progress["progress"] == 100
        assert data(api(second, "GET", "/api/v1/webhooks/secret"))["secret"] == secret


def test_a_multipart_upload_cut_by_kill_9_resumes_from_its_stored_parts(data_dir: Path, tmp_path: Path) -> None:
    size = 150 * MiB + 1  # just past the single-PUT limit: a multipart session
    payload = (hashlib.sha256(b"seed").digest() * (size // 32 + 1))[:size]
    first = LocalCloudProcess(data_dir, overrides=OVERRIDES).start()
    try:
        (session,) = data(
            api(
                first,
                "POST",
                "/api/v1/videos/batch/init",
                json={"files": [{"filename": "big.mp4", "size": size, "type": "video/mp4"}]},
            )
        )
        assert session["isChunked"] is True
        chunk = session["chunkSize"]
        url0 = session["presignedUrls"][0]
        # A body type urllib and `curl --data-binary` send by default: S3 takes any type on a part.
        put = requests.put(
            url0, data=payload[:chunk], headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=60
        )
        assert put.status_code == 200, put.text
    finally:
        first.kill()

    with LocalCloudProcess(data_dir, overrides=OVERRIDES) as second:
        progress = data(api(second, "GET", f"/api/v1/videos/batch/progress/{session['uploadId']}"))
        assert (progress["completedCount"], progress["uploadedBytes"], progress["failedChunks"]) == (1, chunk, [])
        retry = data(api(second, "POST", f"/api/v1/videos/batch/retry/{session['uploadId']}"))
        assert [r["chunkIndex"] for r in retry] == list(range(1, session["totalChunks"]))  # not chunk 0
        for part in retry:
            index = part["chunkIndex"]
            body = payload[index * chunk : (index + 1) * chunk]
            assert requests.put(part["url"], data=body, timeout=120).status_code == 200
        done = data(api(second, "POST", f"/api/v1/videos/batch/complete/{session['uploadId']}"))
        stored = requests.get(data(api(second, "GET", f"/api/v0/media/{done['id']}"))["download_url"], timeout=120)
        assert sha256(stored.content) == sha256(payload)


@pytest.fixture
def slow_media(media: MediaSet, tmp_path: Path) -> Iterator[MediaServer]:
    root = tmp_path / "media"
    root.mkdir()
    for i in range(10):  # ten different files: each must be stored once, byte for byte
        source = media.clip if i % 2 == 0 else media.clip2
        shutil.copy(source, root / f"v{i}.mp4")
    with MediaServer(root, slow_chunk_size=4096, slow_delay_s=0.1) as server:  # ~1.5 s a file
        yield server


def test_a_batch_cut_by_kill_9_completes_after_restart_with_one_file_and_one_webhook_each(
    data_dir: Path, slow_media: MediaServer
) -> None:
    sources = {f"v{i}.mp4": (slow_media.root / f"v{i}.mp4").read_bytes() for i in range(10)}
    first = LocalCloudProcess(data_dir, overrides=OVERRIDES).start()
    secret = data(api(first, "GET", "/api/v1/webhooks/secret"))["secret"]
    with WebhookReceiver(lambda: secret) as receiver:
        try:
            urls = [slow_media.url(f"/slow/v{i}.mp4") for i in range(10)]
            created = data(
                api(
                    first,
                    "POST",
                    "/api/v1/batch/download",
                    json={"urls": urls, "concurrent_limit": 2, "webhook_url": receiver.url},
                )
            )
            batch_id = created["batch_id"]

            def midway() -> bool:
                jobs = data(api(first, "GET", f"/api/v1/batch/{batch_id}"))["jobs"]
                statuses = [j["status"] for j in jobs]
                return "completed" in statuses and "running" in statuses

            wait(midway, 120, "a batch with a completed and a running job")
        finally:
            first.kill()

        with LocalCloudProcess(data_dir, overrides=OVERRIDES) as second:

            def finished() -> dict[str, Any] | None:
                response = api(second, "GET", f"/api/v1/batch/{batch_id}")
                assert response.status_code < 300, f"{response.text}\nthe cloud said:\n{second.recent_output()}"
                batch = data(response)
                return batch if batch["status"] in ("completed", "failed", "cancelled") else None

            final = wait(finished, 240, "the resumed batch to end")
            assert final["status"] == "completed", final
            assert [j["status"] for j in final["jobs"]] == ["completed"] * 10
            stored = media_objects(second)
            assert sorted(sha256(b) for b in stored.values()) == sorted(sha256(b) for b in sources.values())
            receiver.wait_for(lambda d: d.json["data"]["batch_id"] == batch_id, timeout=60)
            time.sleep(3)  # a second delivery, if any, would come now
            deliveries = [d for d in receiver.deliveries if d.json["data"]["batch_id"] == batch_id]
            assert len(deliveries) == 1 and deliveries[0].event_type == "batch.completed"


def test_a_webhook_not_yet_delivered_when_killed_is_delivered_after_restart(
    data_dir: Path, media_server: MediaServer
) -> None:
    first = LocalCloudProcess(data_dir, overrides=OVERRIDES).start()
    secret = data(api(first, "GET", "/api/v1/webhooks/secret"))["secret"]
    with WebhookReceiver(lambda: secret, default_status=503) as receiver:
        try:
            created = data(
                api(
                    first,
                    "POST",
                    "/api/v1/batch/download",
                    json={"urls": [media_server.url("/clip.mp4")], "webhook_url": receiver.url},
                )
            )
            batch_id = created["batch_id"]
            # The batch ended and its webhook was accepted: the receiver refused the first try.
            receiver.wait_for(lambda d: d.json["data"]["batch_id"] == batch_id, timeout=120)
        finally:
            first.kill()
        receiver.set_status_sequence([], default_status=200)

        with LocalCloudProcess(data_dir, overrides=OVERRIDES) as second:
            ok = receiver.wait_for(lambda d: d.json["data"]["batch_id"] == batch_id and d.status == 200, timeout=120)
            time.sleep(3)  # a second successful delivery, if any, would come now
            delivered = [d for d in receiver.deliveries if d.json["data"]["batch_id"] == batch_id and d.status == 200]
            assert len(delivered) == 1 and ok.signature_valid
            assert {d.msg_id for d in receiver.deliveries if d.json["data"]["batch_id"] == batch_id} == {ok.msg_id}
            assert data(api(second, "GET", f"/api/v1/batch/{batch_id}"))["status"] == "completed"
