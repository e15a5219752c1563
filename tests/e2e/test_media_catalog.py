"""The media catalog: every file that lands, uploaded or downloaded, is a media item of its
tenant; read with Bearer keys, listed by folder, paged, never across tenants."""

from __future__ import annotations

import pytest
import requests

from tests.conftest import KEY_A, Api
from tests.support.media import MediaSet
from tests.support.media_server import MediaServer

pytestmark = pytest.mark.e2e


def upload(api: Api, payload: bytes, name: str, channel: str | None = None) -> dict:
    body = {"files": [{"filename": name, "size": len(payload), "type": "video/mp4"}]}
    if channel:
        body["channel_id"] = channel
    (session,) = api.request("POST", "/api/v1/videos/batch/init", json=body).json()["data"]
    requests.put(session["presignedUrls"][0], data=payload, headers=session["requiredHeaders"], timeout=30)
    return dict(api.request("POST", f"/api/v1/videos/batch/complete/{session['uploadId']}").json()["data"])


def test_downloaded_files_become_media_items(api: Api, media: MediaSet, media_server: MediaServer) -> None:
    created = api.create_batch(urls=[media_server.url("/clip.mp4?catalog=1")]).json()
    final = api.wait_for(created["batch_id"])
    info = final["jobs"][0]["file_info"]
    item = api.request("GET", f"/api/v0/media/{info['media_id']}").json()
    assert item["type"] == "video" and item["size"] == info["size_bytes"]
    assert item["storage_key"] == info["filepath"] and item["folder"] == f"batch/{created['batch_id']}"
    assert item["metadata"]["source"] == "download" and item["metadata"]["url"].endswith("catalog=1")
    assert item["processing"]["state"] == "not_requested"
    assert requests.get(item["download_url"], timeout=30).content == media.clip.read_bytes()


def test_list_by_folder_with_pagination_and_bearer_auth(api: Api, media: MediaSet) -> None:
    clip = media.clip.read_bytes()
    ids = {upload(api, clip, f"page{i}.mp4", channel="paging")["id"] for i in range(5)}
    headers = {"Authorization": f"Bearer {KEY_A}"}
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"folder": "channels/paging", "limit": "2", **({"cursor": cursor} if cursor else {})}
        page = requests.get(api.base_url + "/api/v0/media", params=params, headers=headers, timeout=30).json()
        assert len(page["items"]) <= 2
        seen += [i["id"] for i in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert set(seen) == ids and len(seen) == 5 and pages >= 3
    assert all(i["folder"] == "channels/paging" for i in page["items"])


def test_media_of_another_tenant_is_invisible(api: Api, api_b: Api, media: MediaSet) -> None:
    item = upload(api, media.clip.read_bytes(), "private.mp4", channel="secret")
    response = api_b.request("GET", f"/api/v0/media/{item['id']}")
    assert response.status_code == 404 and response.json()["error"]["code"] == "media_not_found"
    listing = api_b.request("GET", "/api/v0/media?folder=channels/secret").json()
    assert listing["items"] == []
    # Two items, pages of one: the first page must carry a cursor, and that cursor is the owner's alone.
    upload(api, media.clip.read_bytes(), "private2.mp4", channel="secret")
    page = api.request("GET", "/api/v0/media?folder=channels/secret&limit=1").json()
    assert page["next_cursor"], "two items in pages of one must give a cursor"
    stolen = api_b.request("GET", "/api/v0/media", params={"cursor": page["next_cursor"]})
    assert stolen.status_code == 400 and stolen.json()["error"]["code"] == "invalid_cursor"
    # The owner can follow it: the refusal above is about the tenant, not a broken cursor.
    follow = api.request(
        "GET", "/api/v0/media", params={"folder": "channels/secret", "limit": "1", "cursor": page["next_cursor"]}
    )
    assert follow.status_code == 200 and len(follow.json()["items"]) == 1


@pytest.mark.parametrize(
    "query, code, field",
    [
        ("limit=0", "validation_error", "limit"),
        ("limit=101", "validation_error", "limit"),
        ("limit=abc", "validation_error", "limit"),
        ("cursor=garbage", "invalid_cursor", None),
    ],
)
def test_bad_listing_parameters_are_400(api: Api, query: str, code: str, field: str | None) -> None:
    response = api.request("GET", f"/api/v0/media?{query}")
    assert response.status_code == 400, query
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    if field:
        assert [d["field"] for d in error["details"]] == [field]
