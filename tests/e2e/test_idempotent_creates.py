"""`Idempotency-Key` on create routes that lacked it: batch copy (v0 media) and the presigned
document job. Same key and body: the first answer again, nothing created twice; same key and
another body: 409 `idempotency_key_reused` (documents: the seed's `{"detail": ...}` body)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests

from tests.conftest import Api
from tests.e2e.test_media_catalog import upload
from tests.support.media import MediaSet

pytestmark = pytest.mark.e2e


def post(api: Api, path: str, body: dict[str, Any], key: str) -> requests.Response:
    return api.request("POST", path, json=body, headers={"Idempotency-Key": key})


def test_a_retried_batch_copy_with_the_same_key_copies_once(api: Api, media: MediaSet) -> None:
    source = upload(api, media.clip2.read_bytes(), "idem.mp4", channel="idem-copies")
    key = "copy-" + uuid.uuid4().hex

    first = post(api, "/api/v0/media/batch/copy", {"ids": [source["id"]]}, key)
    again = post(api, "/api/v0/media/batch/copy", {"ids": [source["id"]]}, key)

    assert first.status_code == again.status_code == 200, first.text
    assert first.json() == again.json()
    (created,) = first.json()["results"]
    assert created["status"] == 201
    listed = api.request("GET", "/api/v0/media", params={"folder": source["folder"]}).json()["items"]
    assert sorted(i["id"] for i in listed) == sorted([source["id"], created["new_id"]])

    reused = post(api, "/api/v0/media/batch/copy", {"ids": [source["id"], str(uuid.uuid4())]}, key)
    assert reused.status_code == 409, reused.text
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    without_key = api.request("POST", "/api/v0/media/batch/copy", json={"ids": [source["id"]]})
    assert without_key.json()["results"][0]["new_id"] not in (source["id"], created["new_id"])


def test_a_retried_presigned_document_job_with_the_same_key_opens_one_job(api: Api) -> None:
    key = "presign-" + uuid.uuid4().hex
    body = {"collection_name": "idem_" + uuid.uuid4().hex[:8], "files": [{"name": "a.pdf", "size": 1000}]}

    first = post(api, "/api/embedding-uploads", body, key)
    again = post(api, "/api/embedding-uploads", body, key)

    assert first.status_code == again.status_code == 201, first.text
    assert first.json()["job_id"] == again.json()["job_id"]
    other = post(api, "/api/embedding-uploads", {**body, "files": [{"name": "b.pdf", "size": 1000}]}, key)
    assert other.status_code == 409, other.text
    assert set(other.json()) == {"detail"} and "Idempotency-Key" in other.json()["detail"]
