"""Hybrid batch uploads at the API level: bad input, tenants, the server-side chunk path,
completion, and what the catalog and background processing make of the result."""

from __future__ import annotations

import hashlib
import os
import time
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import requests

from localcloud import LocalCloud
from tests.conftest import Api
from tests.support.media import MediaSet

pytestmark = pytest.mark.e2e

MiB = 2**20
SINGLE_MAX = 150 * MiB


def init(api: Api, files: list[dict[str, Any]], **extra: Any) -> requests.Response:
    return api.request("POST", "/api/v1/videos/batch/init", json={"files": files, **extra})


def data(response: requests.Response) -> Any:
    body = response.json()
    assert body["success"] is True, body
    return body["data"]


def error(response: requests.Response) -> dict[str, Any]:
    body = response.json()
    assert body["success"] is False, body
    return dict(body["error"])


def wait_processing(api: Api, media_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        item = api.request("GET", f"/api/v0/media/{media_id}").json()
        if item["processing"]["state"] in ("ready", "failed"):
            return dict(item)
        assert time.monotonic() < deadline, item
        time.sleep(0.3)


def test_small_video_single_put_complete_catalog_and_processing(api: Api, media: MediaSet) -> None:
    clip = media.clip.read_bytes()
    sessions = data(init(api, [{"filename": "holiday.mp4", "size": len(clip), "type": "video/mp4"}], channel_id=123))
    (session,) = sessions
    assert session["isChunked"] is False and session["totalChunks"] == 1 and session["status"] == "initialized"
    assert len(session["presignedUrls"]) == 1
    before = data(api.request("GET", f"/api/v1/videos/batch/progress/{session['uploadId']}"))
    assert before["progress"] == 0 and before["status"] == "initialized"

    put = requests.put(session["presignedUrls"][0], data=clip, headers=session["requiredHeaders"], timeout=30)
    assert put.status_code == 200
    after = data(api.request("GET", f"/api/v1/videos/batch/progress/{session['uploadId']}"))
    assert after["progress"] == 100 and after["status"] == "uploaded" and after["completedCount"] == 1

    item = data(api.request("POST", f"/api/v1/videos/batch/complete/{session['uploadId']}"))
    assert item["id"] == session["fileId"] and item["type"] == "video" and item["size"] == len(clip)
    assert item["folder"] == "channels/123" and item["filename"] == "holiday.mp4"
    assert requests.get(item["download_url"], timeout=30).content == clip
    done = data(api.request("GET", f"/api/v1/videos/batch/progress/{session['uploadId']}"))
    assert done["status"] == "completed" and done["mediaId"] == item["id"]

    processed = wait_processing(api, item["id"])
    assert processed["processing"]["state"] == "ready", processed["processing"]
    probe = processed["processing"]["probe"]
    assert probe["width"] == 320 and probe["height"] == 240 and probe["video_codec"] == "h264"
    assert 1.5 < probe["duration_seconds"] < 2.5
    thumb = requests.get(processed["processing"]["thumbnail_url"], timeout=30).content
    assert thumb[:3] == b"\xff\xd8\xff"  # a JPEG
    hls = processed["processing"]["hls"]
    assert hls["playlist_key"].startswith(f"media/{item['id']}/hls/") and hls["segments"] >= 1


def test_a_file_that_is_not_a_video_fails_processing_with_a_clear_error(api: Api) -> None:
    junk = bytes(range(256)) * 1000
    (session,) = data(init(api, [{"filename": "fake.mp4", "size": len(junk), "type": "video/mp4"}]))
    requests.put(session["presignedUrls"][0], data=junk, headers=session["requiredHeaders"], timeout=30)
    item = data(api.request("POST", f"/api/v1/videos/batch/complete/{session['uploadId']}"))
    processed = wait_processing(api, item["id"])
    assert processed["processing"]["state"] == "failed"
    assert "not a playable video" in processed["processing"]["error"]
    assert requests.get(processed["download_url"], timeout=30).content == junk  # the file itself is kept


def test_completing_twice_returns_the_same_item(api: Api, media: MediaSet) -> None:
    clip = media.clip2.read_bytes()
    (session,) = data(init(api, [{"filename": "twice.mp4", "size": len(clip)}]))
    requests.put(session["presignedUrls"][0], data=clip, headers=session["requiredHeaders"], timeout=30)
    first = data(api.request("POST", f"/api/v1/videos/batch/complete/{session['uploadId']}"))
    second = data(api.request("POST", f"/api/v1/videos/batch/complete/{session['uploadId']}"))
    assert first["id"] == second["id"] and first["created_at"] == second["created_at"]
    listing = api.request("GET", "/api/v0/media?folder=uploads&limit=100").json()
    assert [i["id"] for i in listing["items"]].count(first["id"]) == 1


def test_complete_before_upload_names_the_missing_part(api: Api) -> None:
    (session,) = data(init(api, [{"filename": "empty.mp4", "size": 1000, "type": "video/mp4"}]))
    response = api.request("POST", f"/api/v1/videos/batch/complete/{session['uploadId']}")
    assert response.status_code == 409
    err = error(response)
    assert err["code"] == "missing_parts" and err["details"]["missingChunks"] == [0]


def test_wrong_size_single_upload_is_refused_at_complete(api: Api, cloud: LocalCloud) -> None:
    (session,) = data(init(api, [{"filename": "short.mp4", "size": 5000, "type": "video/mp4"}]))
    url = session["presignedUrls"][0]
    # S3 (SeaweedFS locally, as on AWS) refuses a body of another size than the signed one ...
    put = requests.put(url, data=b"x" * 4000, headers=session["requiredHeaders"], timeout=30)
    assert put.status_code == 403
    # ... and the server still checks the stored size against the declared one, whatever wrote it.
    bucket, key = urlsplit(url).path.lstrip("/").split("/", 1)
    cloud.client("s3").put_object(Bucket=bucket, Key=unquote(key), Body=b"x" * 4000, ContentType="video/mp4")
    progress = data(api.request("GET", f"/api/v1/videos/batch/progress/{session['uploadId']}"))
    assert progress["failedChunks"] == [0] and progress["progress"] < 100
    retry = data(api.request("POST", f"/api/v1/videos/batch/retry/{session['uploadId']}"))
    assert [r["chunkIndex"] for r in retry] == [0]
    refused = api.request("POST", f"/api/v1/videos/batch/complete/{session['uploadId']}")
    assert refused.status_code == 409 and error(refused)["code"] == "missing_parts"
    assert error(refused)["details"]["failedChunks"] == [0]


def test_server_side_chunk_path_in_pieces_for_a_large_file(api: Api) -> None:
    size = SINGLE_MAX + 5 * MiB + 17
    (session,) = data(init(api, [{"filename": "viaapi.mov", "size": size, "type": "video/quicktime"}]))
    assert session["isChunked"] is True
    chunk_size, total = session["chunkSize"], session["totalChunks"]
    assert chunk_size >= 5 * MiB and total == -(-size // chunk_size)
    upload_id = session["uploadId"]
    digest = hashlib.sha256()
    piece = 4 * MiB
    for index in range(total):
        length = min(chunk_size, size - index * chunk_size)
        chunk = bytes([index % 251]) * length
        digest.update(chunk)
        for offset in range(0, length, piece):
            response = api.request(
                "POST",
                f"/api/v1/videos/batch/chunk/{upload_id}/{index}?offset={offset}",
                data=chunk[offset : offset + piece],
                headers={"content-type": "application/octet-stream"},
            )
            assert response.status_code == 200, response.text
        assert data(response)["chunkComplete"] is True
    progress = data(api.request("GET", f"/api/v1/videos/batch/progress/{upload_id}"))
    assert progress["completedCount"] == total and progress["progress"] == 100
    item = data(api.request("POST", f"/api/v1/videos/batch/complete/{upload_id}"))
    downloaded = hashlib.sha256()
    with requests.get(item["download_url"], stream=True, timeout=60) as response:
        for block in response.iter_content(MiB):
            downloaded.update(block)
    assert downloaded.hexdigest() == digest.hexdigest() and item["size"] == size


def test_server_side_chunk_as_multipart_form_data_for_a_small_file(api: Api, media: MediaSet) -> None:
    clip = media.clip.read_bytes()
    (session,) = data(init(api, [{"filename": "form.mp4", "size": len(clip), "type": "video/mp4"}]))
    response = api.request(
        "POST",
        f"/api/v1/videos/batch/chunk/{session['uploadId']}/0",
        files={"chunk": ("form.mp4", clip, "application/octet-stream")},
    )
    assert response.status_code == 200, response.text
    item = data(api.request("POST", f"/api/v1/videos/batch/complete/{session['uploadId']}"))
    assert requests.get(item["download_url"], timeout=30).content == clip


def test_a_piece_over_the_lambda_payload_budget_is_413(api: Api) -> None:
    (session,) = data(init(api, [{"filename": "big.mp4", "size": SINGLE_MAX + 1, "type": "video/mp4"}]))
    response = api.request(
        "POST",
        f"/api/v1/videos/batch/chunk/{session['uploadId']}/0",
        data=b"\0" * (4 * MiB + 1),
        headers={"content-type": "application/octet-stream"},
    )
    assert response.status_code == 413
    assert error(response)["code"] == "piece_too_large"


@pytest.mark.parametrize(
    "files, code, field",
    [
        ([], "validation_error", "files"),
        ([{"filename": f"v{i}.mp4", "size": 10} for i in range(6)], "too_many_files", "files"),
        ([{"filename": "../etc/passwd.mp4", "size": 10}], "invalid_filename", "files[0].filename"),
        ([{"filename": "a\nb.mp4", "size": 10}], "invalid_filename", "files[0].filename"),
        ([{"filename": "ok.mp4", "size": 0}], "invalid_size", "files[0].size"),
        ([{"filename": "ok.mp4", "size": 101 * 2**30}], "file_too_large", "files[0].size"),
        ([{"filename": "doc.pdf", "size": 10}], "unsupported_type", "files[0].type"),
        ([{"filename": "ok.mp4", "size": 10, "type": "application/pdf"}], "unsupported_type", "files[0].type"),
        ([{"filename": "ok.mp4", "size": 10, "color": "red"}], "validation_error", "files[0].color"),
    ],
)
def test_bad_init_requests_are_4xx_naming_the_problem(
    api: Api, files: list[dict[str, Any]], code: str, field: str
) -> None:
    response = init(api, files)
    assert 400 <= response.status_code < 500
    err = error(response)
    assert err["code"] == code
    assert any(field in d["field"] for d in err["details"])


def test_unknown_and_foreign_upload_ids_are_404(api: Api, api_b: Api) -> None:
    (session,) = data(init(api, [{"filename": "mine.mp4", "size": 10}]))
    for client, upload_id in ((api, "00000000-0000-0000-0000-000000000000"), (api_b, session["uploadId"])):
        for method, path in (("GET", "progress"), ("POST", "retry"), ("POST", "complete")):
            response = client.request(method, f"/api/v1/videos/batch/{path}/{upload_id}")
            assert response.status_code == 404 and error(response)["code"] == "upload_not_found"
        chunk = client.request(
            "POST",
            f"/api/v1/videos/batch/chunk/{upload_id}/0",
            data=b"0123456789",
            headers={"content-type": "application/octet-stream"},
        )
        assert chunk.status_code == 404 and error(chunk)["code"] == "upload_not_found"


def test_bad_chunk_indexes_are_400(api: Api) -> None:
    (session,) = data(init(api, [{"filename": "idx.mp4", "size": 10}]))
    for index in ("1", "99"):
        response = api.request(
            "POST",
            f"/api/v1/videos/batch/chunk/{session['uploadId']}/{index}",
            data=b"0123456789",
            headers={"content-type": "application/octet-stream"},
        )
        assert response.status_code == 400 and error(response)["code"] == "invalid_chunk_index"
    for bad in ("-1", "abc", "1.5"):
        response = api.request("POST", f"/api/v1/videos/batch/chunk/{session['uploadId']}/{bad}", data=b"x")
        assert response.status_code == 400 and error(response)["code"] == "invalid_chunk_index", bad
    response = api.request("POST", f"/api/v1/videos/batch/chunk/{session['uploadId']}/0?offset=x", data=b"x")
    assert response.status_code == 400 and error(response)["code"] == "invalid_chunk_index"


def test_the_largest_file_gets_a_first_page_of_urls_and_the_rest_through_retry(api: Api) -> None:
    size = 100 * 2**30
    response = init(api, [{"filename": "huge.mp4", "size": size, "type": "video/mp4"}])
    assert len(response.content) < 1_500_000  # far below Lambda's 6 MB response limit
    (session,) = data(response)
    assert session["totalChunks"] <= 10_000 and session["chunkSize"] * session["totalChunks"] >= size
    assert len(session["presignedUrls"]) == 1000 and session["presignedUrlsComplete"] is False
    page = data(api.request("POST", f"/api/v1/videos/batch/retry/{session['uploadId']}?limit=1000"))
    assert [p["chunkIndex"] for p in page] == list(range(1000))
    too_many = api.request("POST", f"/api/v1/videos/batch/retry/{session['uploadId']}?limit=5000")
    assert too_many.status_code == 400 and error(too_many)["code"] == "validation_error"
    assert "limit" in error(too_many)["message"]


def test_a_video_without_audio_is_processed(api: Api, tmp_path) -> None:
    import subprocess

    path = tmp_path / "silent.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=duration=2:size=160x120:rate=25",
            "-pix_fmt",
            "yuv420p",
            "-c:v",
            "libx264",
            "-an",
            str(path),
        ],
        check=True,
    )
    payload = path.read_bytes()
    (session,) = data(init(api, [{"filename": "silent.mp4", "size": len(payload), "type": "video/mp4"}]))
    requests.put(session["presignedUrls"][0], data=payload, headers=session["requiredHeaders"], timeout=30)
    item = data(api.request("POST", f"/api/v1/videos/batch/complete/{session['uploadId']}"))
    processed = wait_processing(api, item["id"])
    assert processed["processing"]["state"] == "ready", processed["processing"]
    assert processed["processing"]["probe"].get("audio_codec") is None


def test_a_type_with_parameters_is_accepted_as_its_bare_type(api: Api, media: MediaSet) -> None:
    clip = media.clip.read_bytes()
    (session,) = data(init(api, [{"filename": "p.mp4", "size": len(clip), "type": "video/MP4; codecs=avc1"}]))
    assert session["requiredHeaders"] == {"Content-Type": "video/mp4"}
    requests.put(session["presignedUrls"][0], data=clip, headers=session["requiredHeaders"], timeout=30)
    completed = api.request("POST", f"/api/v1/videos/batch/complete/{session['uploadId']}")
    assert completed.status_code == 200
    item = data(completed)
    assert item["content_type"] == "video/mp4" and item["size"] == len(clip)
    stored = requests.get(item["download_url"], timeout=30)
    assert stored.content == clip and stored.headers["Content-Type"] == "video/mp4"


def test_a_wrong_content_type_can_be_uploaded_again(api: Api, media: MediaSet, cloud: LocalCloud) -> None:
    clip = media.clip.read_bytes()
    (session,) = data(init(api, [{"filename": "t.mp4", "size": len(clip), "type": "video/mp4"}]))
    url = session["presignedUrls"][0]
    # S3 refuses a type other than the signed one (SeaweedFS locally, as AWS) ...
    assert requests.put(url, data=clip, headers={"Content-Type": "text/plain"}, timeout=30).status_code == 403
    # ... and the server checks the stored type, whatever wrote the object.
    bucket, key = urlsplit(url).path.lstrip("/").split("/", 1)
    cloud.client("s3").put_object(Bucket=bucket, Key=unquote(key), Body=clip, ContentType="text/plain")
    response = api.request("POST", f"/api/v1/videos/batch/complete/{session['uploadId']}")
    assert response.status_code == 400 and error(response)["code"] == "content_type_mismatch"
    (again,) = data(api.request("POST", f"/api/v1/videos/batch/retry/{session['uploadId']}"))
    requests.put(again["url"], data=clip, headers={"Content-Type": "video/mp4"}, timeout=30)
    assert api.request("POST", f"/api/v1/videos/batch/complete/{session['uploadId']}").status_code == 200


def test_overlapping_resent_pieces_do_not_corrupt_the_chunk(api: Api, cloud: Any) -> None:
    size = SINGLE_MAX + 1
    (session,) = data(init(api, [{"filename": "overlap.mp4", "size": size, "type": "video/mp4"}]))
    upload_id, chunk_size = session["uploadId"], session["chunkSize"]
    chunk = bytes(range(256)) * (chunk_size // 256)
    offsets = [0, 3 * MiB, 2 * MiB, 6 * MiB, 9 * MiB, 12 * MiB]  # 2 MiB..4 MiB is sent twice
    for offset in offsets:
        piece = chunk[offset : offset + 4 * MiB]
        response = api.request(
            "POST",
            f"/api/v1/videos/batch/chunk/{upload_id}/0?offset={offset}",
            data=piece,
            headers={"content-type": "application/octet-stream"},
        )
        assert response.status_code == 200, response.text
    assert data(response)["chunkComplete"] is True
    progress = data(api.request("GET", f"/api/v1/videos/batch/progress/{upload_id}"))
    assert 0 not in progress["failedChunks"] and progress["completedCount"] == 1
    url = data(api.request("POST", f"/api/v1/videos/batch/retry/{upload_id}"))
    assert [u["chunkIndex"] for u in url] == list(range(1, session["totalChunks"]))
    s3 = cloud.client("s3")
    bucket = os.environ["MEDIA_BUCKET"]
    (upload,) = [
        u for u in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) if session["fileId"] in u["Key"]
    ]
    (part,) = s3.list_parts(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])["Parts"]
    assert part["ETag"].strip('"') == hashlib.md5(chunk).hexdigest()  # the part holds exactly the chunk


def test_binary_chunk_sent_with_a_text_content_type_arrives_unchanged(api: Api, media: MediaSet) -> None:
    clip = media.clip.read_bytes()
    (session,) = data(init(api, [{"filename": "curl.mp4", "size": len(clip), "type": "video/mp4"}]))
    response = api.request(
        "POST",
        f"/api/v1/videos/batch/chunk/{session['uploadId']}/0",
        data=clip,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200, response.text
    item = data(api.request("POST", f"/api/v1/videos/batch/complete/{session['uploadId']}"))
    assert requests.get(item["download_url"], timeout=30).content == clip


def test_every_bad_file_of_an_init_is_named(api: Api) -> None:
    response = init(
        api,
        [{"filename": "a/b.mp4", "size": 10}, {"filename": "ok.mp4", "size": 10}, {"filename": "c.pdf", "size": 10}],
    )
    err = error(response)
    assert err["code"] == "invalid_files"
    assert [d["field"] for d in err["details"]] == ["files[0].filename", "files[2].type"]
    assert init(api, [{"filename": "s.mp4", "size": "10"}]).status_code == 400


def test_progress_tells_a_fresh_client_how_to_resume_and_retry_pages_with_after(api: Api) -> None:
    size = SINGLE_MAX + 40 * MiB
    (session,) = data(init(api, [{"filename": "resume.mp4", "size": size, "type": "video/mp4"}]))
    progress = data(api.request("GET", f"/api/v1/videos/batch/progress/{session['uploadId']}"))
    assert progress["isChunked"] is True and progress["chunkSize"] == session["chunkSize"]
    assert progress["requiredHeaders"] == {} and progress["urlsExpireInSeconds"] > 0
    first = data(api.request("POST", f"/api/v1/videos/batch/retry/{session['uploadId']}?limit=3"))
    after = first[-1]["chunkIndex"]
    second = data(api.request("POST", f"/api/v1/videos/batch/retry/{session['uploadId']}?limit=3&after={after}"))
    assert [u["chunkIndex"] for u in first] == [0, 1, 2] and [u["chunkIndex"] for u in second] == [3, 4, 5]
    assert api.request("POST", f"/api/v1/videos/batch/retry/{session['uploadId']}?after=x").status_code == 400


def test_the_presigned_put_cannot_overwrite_a_registered_file(api: Api, media: MediaSet) -> None:
    clip = media.clip.read_bytes()
    (session,) = data(init(api, [{"filename": "keep.mp4", "size": len(clip), "type": "video/mp4"}]))
    url, headers = session["presignedUrls"][0], session["requiredHeaders"]
    requests.put(url, data=clip, headers=headers, timeout=30)
    item = data(api.request("POST", f"/api/v1/videos/batch/complete/{session['uploadId']}"))
    forged = bytes(reversed(clip))  # same size and type: what the signature still allows
    assert requests.put(url, data=forged, headers=headers, timeout=30).status_code == 200
    assert requests.get(item["download_url"], timeout=30).content == clip
    again = data(api.request("POST", f"/api/v1/videos/batch/complete/{session['uploadId']}"))
    assert again["id"] == item["id"] and requests.get(again["download_url"], timeout=30).content == clip


def test_init_and_complete_honour_an_idempotency_key(api: Api, media: MediaSet) -> None:
    clip = media.clip.read_bytes()
    files = [{"filename": "idem.mp4", "size": len(clip), "type": "video/mp4"}]
    key = {"Idempotency-Key": "init-idem-1"}
    first = api.request("POST", "/api/v1/videos/batch/init", json={"files": files}, headers=key)
    again = api.request("POST", "/api/v1/videos/batch/init", json={"files": files}, headers=key)
    assert first.status_code == again.status_code == 200
    (session,) = data(first)
    assert [s["uploadId"] for s in data(again)] == [session["uploadId"]]  # one session, not two
    other = api.request("POST", "/api/v1/videos/batch/init", json={"files": files}, headers={"Idempotency-Key": "x2"})
    assert data(other)[0]["uploadId"] != session["uploadId"]
    reused = api.request("POST", "/api/v1/videos/batch/init", json={"files": [{**files[0], "size": 9}]}, headers=key)
    assert reused.status_code == 409 and error(reused)["code"] == "idempotency_key_reused"

    requests.put(session["presignedUrls"][0], data=clip, headers=session["requiredHeaders"], timeout=30)
    done_key = {"Idempotency-Key": "complete-idem-1"}
    done = api.request("POST", f"/api/v1/videos/batch/complete/{session['uploadId']}", headers=done_key)
    repeat = api.request("POST", f"/api/v1/videos/batch/complete/{session['uploadId']}", headers=done_key)
    assert done.status_code == repeat.status_code == 200
    assert data(repeat)["id"] == data(done)["id"] and data(done)["size"] == len(clip)
