"""Finding things again (issue 16): a tenant lists its batches (newest first, by status, page by
page) and its uploads still open, and never sees another tenant's."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.conftest import Api
from tests.support.media import MediaSet
from tests.support.media_server import MediaServer

pytestmark = pytest.mark.e2e


def listing(api: Api, **params: Any) -> dict[str, Any]:
    response = api.request("GET", "/api/v1/batch", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_batches_are_listed_newest_first_with_their_summary(api: Api, media_server: MediaServer) -> None:
    created = [api.create_batch(urls=[media_server.url(f"/history-{n}.mp4")]).json() for n in range(3)]

    newest = listing(api, limit=3)["batches"]

    assert [b["batch_id"] for b in newest] == [c["batch_id"] for c in created[::-1]]
    entry = newest[0]
    assert set(entry) == {
        "batch_id", "status", "total_jobs", "completed_jobs", "failed_jobs", "running_jobs", "queued_jobs",
        "cancelled_jobs", "created_at", "show_url", "folder",
    }  # fmt: skip
    assert entry["total_jobs"] == 1 and entry["created_at"] and entry["show_url"] is None


def test_the_status_filter_and_paging(api: Api, media_server: MediaServer) -> None:
    slow = api.create_batch(urls=[media_server.url("/slow/clip2.mp4?history")]).json()["batch_id"]
    api.request("DELETE", f"/api/v1/batch/{slow}")
    failed = api.wait_for(api.create_batch(urls=[media_server.url("/history-missing.mp4")]).json()["batch_id"])
    assert failed["status"] in ("completed", "failed")

    cancelled = listing(api, status="cancelled")["batches"]
    assert cancelled[0]["batch_id"] == slow and all(b["status"] == "cancelled" for b in cancelled)
    assert failed["batch_id"] not in [b["batch_id"] for b in cancelled]

    first = listing(api, limit=1)
    second = listing(api, limit=1, cursor=first["next_cursor"])
    assert [first["batches"][0]["batch_id"], second["batches"][0]["batch_id"]] == [failed["batch_id"], slow]

    bad = api.request("GET", "/api/v1/batch", params={"status": "sleeping"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "validation_error"


def test_another_tenant_sees_none_and_cannot_reuse_a_cursor(api: Api, api_b: Api, media_server: MediaServer) -> None:
    mine = api.create_batch(urls=[media_server.url("/history-a.mp4")]).json()["batch_id"]
    api.create_batch(urls=[media_server.url("/history-b.mp4")])
    cursor = listing(api, limit=1)["next_cursor"]

    theirs = [b["batch_id"] for b in listing(api_b, limit=100)["batches"]]
    stolen = api_b.request("GET", "/api/v1/batch", params={"cursor": cursor})

    assert mine not in theirs
    assert stolen.status_code == 400 and stolen.json()["error"]["code"] == "invalid_cursor"


def open_uploads(api: Api, **params: Any) -> dict[str, Any]:
    response = api.request("GET", "/api/v1/videos/batch/uploads", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    return dict(body["data"])


def test_open_uploads_can_be_found_again_to_resume(api: Api, api_b: Api, media: MediaSet) -> None:
    clip = media.clip.read_bytes()
    files = [{"filename": "resume-a.mp4", "size": len(clip)}, {"filename": "resume-b.mp4", "size": len(clip)}]
    sessions = api.request("POST", "/api/v1/videos/batch/init", json={"files": files}).json()["data"]
    ids = {s["uploadId"] for s in sessions}

    listed = open_uploads(api, limit=100)["uploads"]
    entry = next(u for u in listed if u["uploadId"] == sessions[0]["uploadId"])
    assert {u["uploadId"] for u in listed[:2]} == ids
    assert entry["filename"] == "resume-a.mp4" and entry["size"] == len(clip)
    assert {"chunkSize", "totalChunks", "status", "createdAt", "expiresAt", "isChunked"} <= set(entry)
    assert not ids & {u["uploadId"] for u in open_uploads(api_b, limit=100)["uploads"]}

    requests.put(sessions[0]["presignedUrls"][0], data=clip, headers=sessions[0]["requiredHeaders"], timeout=30)
    done = api.request("POST", f"/api/v1/videos/batch/complete/{sessions[0]['uploadId']}")
    assert done.status_code == 200, done.text
    assert sessions[0]["uploadId"] not in {u["uploadId"] for u in open_uploads(api, limit=100)["uploads"]}

    api.request("POST", "/api/v1/videos/batch/init", json={"files": [{"filename": "resume-c.mp4", "size": 9}]})
    page = open_uploads(api, limit=1)
    assert page["nextCursor"]
    stolen = api_b.request("GET", "/api/v1/videos/batch/uploads", params={"cursor": page["nextCursor"]})
    assert stolen.status_code == 400 and stolen.json()["error"]["code"] == "invalid_cursor"
