"""Batch delete and copy, single DELETE and the audit log, over HTTP against the local cloud,
on media made by the upload flow (seed: media-batch-operations.md)."""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from localcloud import LocalCloud
from tests.conftest import KEY_A, Api
from tests.e2e.test_media_catalog import upload
from tests.integration.conftest import EventTap
from tests.support.media import MediaSet

pytestmark = pytest.mark.e2e


class MediaEventTap(EventTap):
    def about(self, media_id: str, detail_type: str, timeout: float = 20) -> list[dict[str, Any]]:
        """Events of `detail_type` about `media_id`, waiting until at least one has come."""
        deadline = time.monotonic() + timeout
        while True:
            self.events("")  # drains the queue into what has been seen
            found = [
                e
                for e in self._seen
                if e.get("detail-type") == detail_type and e.get("detail", {}).get("media_id") == media_id
            ]
            if found or time.monotonic() > deadline:
                return found


@pytest.fixture
def tap(cloud: LocalCloud) -> Iterator[MediaEventTap]:
    t = MediaEventTap(cloud)
    yield t
    t.close()


def stored_keys(cloud: LocalCloud, prefix: str) -> list[str]:
    listing = cloud.client("s3").list_objects_v2(Bucket=os.environ["MEDIA_BUCKET"], Prefix=prefix)
    return [o["Key"] for o in listing.get("Contents", [])]


def processed(api: Api, media_id: str, timeout: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        item = api.request("GET", f"/api/v0/media/{media_id}").json()
        if item["processing"]["state"] in ("ready", "failed"):
            return dict(item)
        assert time.monotonic() < deadline, item
        time.sleep(0.3)


def batch(api: Api, action: str, ids: list[Any]) -> requests.Response:
    return api.request("POST", f"/api/v0/media/batch/{action}", json={"ids": ids})


def error_of(response: requests.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False and set(body) == {"success", "error"}, body
    return dict(body["error"])


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_batch_delete_of_found_and_missing_ids_removes_bytes_thumbnail_and_hls(
    api: Api, cloud: LocalCloud, media: MediaSet, tap: MediaEventTap
) -> None:
    clip = media.clip.read_bytes()
    first, second = (processed(api, upload(api, clip, f"del{i}.mp4", channel="ops")["id"]) for i in range(2))
    assert first["processing"]["state"] == "ready" and first["processing"]["hls"], first["processing"]
    assert first["processing"]["thumbnail_url"]
    prefixes = [f"tenants/tenant-a/media/{item['id']}/" for item in (first, second)]
    assert all(f"{p}hls/" in " ".join(stored_keys(cloud, p)) for p in prefixes), "HLS was written"
    absent = str(uuid.uuid4())

    response = batch(api, "delete", [second["id"], absent, first["id"]])

    assert response.status_code == 200, response.text
    assert response.json() == {
        "results": [
            {"id": second["id"], "status": 204},
            {"id": absent, "status": 404, "error": "Media not found"},
            {"id": first["id"], "status": 204},
        ]
    }
    for item, prefix in zip((first, second), prefixes, strict=True):
        assert stored_keys(cloud, prefix) == [], "file, thumbnail and HLS are gone"
        # A signed link to a missing object: 404, or 403 where the signer may not list the bucket (as on S3).
        assert requests.get(item["download_url"], timeout=30).status_code in (403, 404)
        gone = api.request("GET", f"/api/v0/media/{item['id']}")
        assert error_of(gone, 404)["code"] == "media_not_found"
    listed = api.request("GET", "/api/v0/media", params={"folder": "channels/ops"}).json()["items"]
    assert not {first["id"], second["id"]} & {i["id"] for i in listed}
    (event,) = tap.about(first["id"], "file.deleted")
    assert event["detail"]["filename"] == "del0.mp4" and event["detail"]["size"] == len(clip)


def test_batch_copy_duplicates_the_file_and_the_record(api: Api, media: MediaSet, tap: MediaEventTap) -> None:
    clip2 = media.clip2.read_bytes()
    source = upload(api, clip2, "original.mp4", channel="copies")
    absent = str(uuid.uuid4())

    response = batch(api, "copy", [source["id"], absent])

    assert response.status_code == 200, response.text
    created, missing = response.json()["results"]
    assert missing == {"source_id": absent, "new_id": None, "status": 404, "error": "Media not found"}
    assert set(created) == {"source_id", "new_id", "status"} and created["status"] == 201
    assert created["source_id"] == source["id"] and created["new_id"] != source["id"]
    copy = api.request("GET", f"/api/v0/media/{created['new_id']}").json()
    same = ("type", "filename", "title", "folder", "size", "content_type", "metadata")
    assert {f: copy[f] for f in same} == {f: source[f] for f in same}
    assert copy["store_permanently"] is True and copy["expires_at"] is None
    assert copy["processing"]["state"] == "not_requested" and copy["processing"]["hls"] is None
    assert copy["storage_key"] != source["storage_key"] and created["new_id"] in copy["storage_key"]
    copied_bytes = requests.get(copy["download_url"], timeout=30).content
    assert sha256(copied_bytes) == sha256(clip2)
    original = api.request("GET", f"/api/v0/media/{source['id']}").json()
    assert sha256(requests.get(original["download_url"], timeout=30).content) == sha256(clip2)
    (event,) = tap.about(created["new_id"], "file.uploaded")
    assert event["detail"]["initiator"] == {"type": "copy", "source_media_id": source["id"]}


def test_51_ids_is_batch_size_exceeded(api: Api) -> None:
    ids = [str(uuid.uuid4()) for _ in range(51)]
    for action in ("delete", "copy"):
        error = error_of(batch(api, action, ids), 400)
        assert error["code"] == "BATCH_SIZE_EXCEEDED" and "50" in error["message"]
    fifty = batch(api, "delete", ids[:50])
    assert fifty.status_code == 200 and [r["status"] for r in fifty.json()["results"]] == [404] * 50


@pytest.mark.parametrize(
    "body, fields",
    [
        ({"ids": []}, ["ids"]),
        ({"ids": ["550e8400-e29b-41d4-a716-446655440000", "nope", 12]}, ["ids[1]", "ids[2]"]),
        ({"ids": ["550e8400-e29b-41d4-a716-446655440000"] * 2}, ["ids[1]"]),
        ({"id": "550e8400-e29b-41d4-a716-446655440000"}, ["ids"]),
    ],
)
def test_bad_ids_are_400_naming_them(api: Api, body: dict[str, Any], fields: list[str]) -> None:
    for action in ("delete", "copy"):
        error = error_of(api.request("POST", f"/api/v0/media/batch/{action}", json=body), 400)
        assert error["code"] == "validation_error" and error["message"]
        assert [d["field"] for d in error["details"]] == fields


def test_another_tenant_can_neither_delete_nor_copy(api: Api, api_b: Api, media: MediaSet) -> None:
    clip = media.clip.read_bytes()
    item = processed(api, upload(api, clip, "mine.mp4", channel="guarded")["id"])

    deleted = batch(api_b, "delete", [item["id"]]).json()["results"]
    copied = batch(api_b, "copy", [item["id"]]).json()["results"]
    single = api_b.request("DELETE", f"/api/v0/media/{item['id']}")

    assert deleted == [{"id": item["id"], "status": 404, "error": "Media not found"}]
    assert copied == [{"source_id": item["id"], "new_id": None, "status": 404, "error": "Media not found"}]
    assert error_of(single, 404)["code"] == "media_not_found"
    still = api.request("GET", f"/api/v0/media/{item['id']}")
    assert still.status_code == 200

    def unsigned(processing: dict[str, Any]) -> dict[str, Any]:  # links are signed afresh on every read
        return {k: v for k, v in processing.items() if k != "thumbnail_url"}

    assert unsigned(still.json()["processing"]) == unsigned(item["processing"])
    assert sha256(requests.get(still.json()["download_url"], timeout=30).content) == sha256(clip)
    assert api_b.request("GET", "/api/v0/media", params={"folder": "channels/guarded"}).json()["items"] == []


def test_single_delete_answers_204_then_404_like_a_read(api: Api, cloud: LocalCloud, media: MediaSet) -> None:
    item = processed(api, upload(api, media.clip.read_bytes(), "single.mp4")["id"])

    first = api.request("DELETE", f"/api/v0/media/{item['id']}")
    assert first.status_code == 204 and first.content == b""
    again = api.request("DELETE", f"/api/v0/media/{item['id']}")
    read = api.request("GET", f"/api/v0/media/{item['id']}")
    assert error_of(again, 404) == error_of(read, 404)
    assert stored_keys(cloud, f"tenants/tenant-a/media/{item['id']}/") == []
    assert error_of(api.request("DELETE", "/api/v0/media/not-a-uuid"), 404)["code"] == "media_not_found"


def test_audit_log_lists_filters_and_pages_per_tenant(api: Api, api_b: Api, media: MediaSet) -> None:
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 1))
    clip = media.clip.read_bytes()
    source = upload(api, clip, "audited.mp4", channel="audit")
    copies = [r["new_id"] for r in batch(api, "copy", [source["id"]] * 1).json()["results"]]
    copies += [r["new_id"] for r in batch(api, "copy", [source["id"]]).json()["results"]]
    deleted = batch(api, "delete", copies).json()["results"]
    assert [r["status"] for r in deleted] == [204, 204]

    everything = api.request("GET", "/api/v0/audit", params={"since": since, "limit": "100"}).json()
    mine = [e for e in everything["entries"] if e["target"] in {source["id"], *copies}]
    assert [(e["action"], e["result"]) for e in mine] == [("media.delete", "success")] * 2 + [
        ("media.copy", "success")
    ] * 2, "newest first"
    assert {e["details"]["new_id"] for e in mine if e["action"] == "media.copy"} == set(copies)
    key_id = hashlib.sha256(KEY_A.encode()).hexdigest()[:12]
    assert all(e["actor_key_id"] == key_id and e["time"] >= since for e in mine)

    pages, seen, cursor = 0, [], None
    while True:
        params = {"action": "media.copy", "since": since, "limit": "1", **({"cursor": cursor} if cursor else {})}
        page = api.request("GET", "/api/v0/audit", params=params).json()
        assert len(page["entries"]) <= 1 and all(e["action"] == "media.copy" for e in page["entries"])
        seen += [e["id"] for e in page["entries"]]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    copy_entries = [e["id"] for e in everything["entries"] if e["action"] == "media.copy"]
    assert seen == copy_entries and pages == len(copy_entries) >= 2

    first_page = api.request("GET", "/api/v0/audit", params={"limit": "1"}).json()
    stolen = api_b.request("GET", "/api/v0/audit", params={"cursor": first_page["next_cursor"]})
    assert error_of(stolen, 400)["code"] == "invalid_cursor"
    theirs = api_b.request("GET", "/api/v0/audit", params={"limit": "100"}).json()["entries"]
    assert not {source["id"], *copies} & {e["target"] for e in theirs}
    outside = api.request(
        "GET", "/api/v0/audit", params={"cursor": first_page["next_cursor"], "until": "2000-01-01T00:00:00Z"}
    )
    assert error_of(outside, 400)["code"] == "invalid_cursor", "a cursor outside the new time range"
    past = api.request("GET", "/api/v0/audit", params={"until": "2000-01-01T00:00:00Z"}).json()
    assert past == {"entries": [], "next_cursor": None}


@pytest.mark.parametrize(
    "query, field",
    [("limit=0", "limit"), ("limit=101", "limit"), ("action=media.rename", "action"), ("since=yesterday", "since")],
)
def test_bad_audit_queries_are_400(api: Api, query: str, field: str) -> None:
    error = error_of(api.request("GET", f"/api/v0/audit?{query}"), 400)
    assert error["code"] == "validation_error" and [d["field"] for d in error["details"]] == [field]
