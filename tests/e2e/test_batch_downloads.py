"""Batch downloads end to end: the seed's flows over real HTTP against the local cloud, with
media from a real HTTP server on 127.0.0.1 (ffmpeg-made files)."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import time
from pathlib import Path

import pytest
import requests

from localcloud import LocalCloud
from tests.conftest import Api
from tests.support.media import MediaSet
from tests.support.media_server import MediaServer

pytestmark = pytest.mark.e2e


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def probe(data: bytes, tmp_path: Path) -> dict:
    path = tmp_path / "probe.bin"
    path.write_bytes(data)
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    return json.loads(out)


def test_direct_file_page_and_hls_download_and_a_404_fails_alone(
    api: Api, media: MediaSet, media_server: MediaServer, tmp_path: Path
) -> None:
    urls = [
        media_server.url("/clip.mp4"),
        media_server.url("/page.html"),
        media_server.url("/hls/index.m3u8"),
        media_server.url("/missing.mp4"),
    ]
    created = api.create_batch(urls=urls, quality="1080p", concurrent_limit=3)
    assert created.status_code == 202, created.text
    body = created.json()
    assert body["status"] == "queued"
    assert body["total_jobs"] == 4 and body["queued_jobs"] == 4
    assert body["completed_jobs"] == body["failed_jobs"] == body["running_jobs"] == 0
    assert body["batch_id"].startswith("batch_")

    final = api.wait_for(body["batch_id"])
    assert final["status"] == "completed"  # ignore_errors defaults to true
    assert (final["completed_jobs"], final["failed_jobs"], final["running_jobs"], final["queued_jobs"]) == (3, 1, 0, 0)
    assert final["completed_at"] and final["started_at"] and final["duration_sec"] >= 0
    jobs = {job["url"]: job for job in final["jobs"]}
    assert [j["job_id"] for j in final["jobs"]] == [f"job_{body['batch_id']}_{i}" for i in range(4)]

    direct = jobs[urls[0]]
    assert direct["status"] == "completed" and direct["progress"]["percent"] == 100.0
    assert direct["title"] == "clip"
    info = direct["file_info"]
    assert info["filepath"] == f"batch/{body['batch_id']}/clip.mp4" and info["filename"] == "clip.mp4"
    downloaded = requests.get(info["download_url"], timeout=30).content
    assert sha256(downloaded) == sha256(media.clip.read_bytes())
    assert info["size_bytes"] == len(downloaded)

    for url in urls[1:3]:  # the <video> page and the HLS playlist become playable mp4 files
        job = jobs[url]
        assert job["status"] == "completed", job
        data = requests.get(job["file_info"]["download_url"], timeout=30).content
        assert len(data) == job["file_info"]["size_bytes"] > 0
        streams = {s["codec_type"] for s in probe(data, tmp_path)["streams"]}
        assert "video" in streams
        assert job["file_info"]["filename"].endswith(".mp4")

    missing = jobs[urls[3]]
    assert missing["status"] == "failed" and missing["file_info"] is None
    assert "404" in missing["error"]


def test_ignore_errors_false_makes_a_batch_with_a_failed_job_fail(api: Api, media_server: MediaServer) -> None:
    created = api.create_batch(
        urls=[media_server.url("/clip.mp4?x=1"), media_server.url("/nope.mp4")], ignore_errors=False
    ).json()
    final = api.wait_for(created["batch_id"])
    assert final["status"] == "failed"
    assert (final["completed_jobs"], final["failed_jobs"]) == (1, 1)


def test_stop_on_error_cancels_jobs_not_yet_started(api: Api, media_server: MediaServer) -> None:
    urls = [media_server.url("/absent.mp4")] + [media_server.url(f"/clip.mp4?stop={i}") for i in range(4)]
    created = api.create_batch(urls=urls, concurrent_limit=1, stop_on_error=True).json()
    final = api.wait_for(created["batch_id"])
    assert final["status"] == "failed"
    assert final["failed_jobs"] == 1 and final["cancelled_jobs"] == 4 and final["completed_jobs"] == 0
    assert all(job["status"] == "cancelled" for job in final["jobs"][1:])
    assert not any("stop=" in path for _, path in media_server.requests)


def test_cancel_stops_the_running_job_and_queued_ones_never_start(api: Api, media_server: MediaServer) -> None:
    urls = [media_server.url("/slow/clip2.mp4")] + [media_server.url(f"/clip.mp4?cancel={i}") for i in range(3)]
    created = api.create_batch(urls=urls, concurrent_limit=1).json()
    batch_id = created["batch_id"]
    running = api.wait_for(
        batch_id,
        lambda b: b["jobs"][0]["status"] == "running" and b["jobs"][0]["progress"]["downloaded_bytes"] > 0,
        timeout=30,
    )
    assert running["status"] == "running" and running["running_jobs"] == 1
    assert running["jobs"][0]["progress"]["percent"] > 0  # a progress bar has something to show
    assert running["jobs"][0]["title"] == "clip2"

    cancelled = api.request("DELETE", f"/api/v1/batch/{batch_id}")
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"

    final = api.wait_for(batch_id, lambda b: b["running_jobs"] == 0, timeout=30)
    assert final["status"] == "cancelled"
    assert [job["status"] for job in final["jobs"]] == ["cancelled"] * 4
    assert final["cancelled_jobs"] == 4 and final["queued_jobs"] == 0
    assert not any("cancel=" in path for _, path in media_server.requests)
    # Cancelling again is harmless and changes nothing.
    again = api.request("DELETE", f"/api/v1/batch/{batch_id}")
    assert again.status_code == 200 and again.json()["cancelled_jobs"] == 4


def test_path_template_places_files_and_never_overwrites_another_job(
    api: Api, media: MediaSet, media_server: MediaServer
) -> None:
    template = "batch/{batch_id}/by-{uploader}/{safe_title}_{id}.{ext}"
    urls = [media_server.url("/clip.mp4?copy=1"), media_server.url("/clip.mp4?copy=2")]
    created = api.create_batch(urls=urls, path_template=template).json()
    final = api.wait_for(created["batch_id"])
    assert final["status"] == "completed"
    paths = sorted(job["file_info"]["filepath"] for job in final["jobs"])
    base = f"batch/{created['batch_id']}/by-NA/clip_clip"
    assert paths == [f"{base}-2.mp4", f"{base}.mp4"]
    for job in final["jobs"]:
        data = requests.get(job["file_info"]["download_url"], timeout=30).content
        assert data == media.clip.read_bytes()


def test_hostile_titles_cannot_escape_the_batch_folder(
    api: Api, media_server: MediaServer, media: MediaSet, tmp_path: Path
) -> None:
    hostile = media.root / "evil.html"
    hostile.write_text(
        '<html><head><title>../../../etc/passwd\x07</title></head><body><video src="clip.mp4"></video></body></html>'
    )
    created = api.create_batch(urls=[media_server.url("/evil.html")]).json()
    final = api.wait_for(created["batch_id"])
    path = final["jobs"][0]["file_info"]["filepath"]
    assert path.startswith(f"batch/{created['batch_id']}/")
    assert ".." not in path.split("/") and "\x07" not in path


def test_another_tenant_cannot_see_or_cancel_a_batch(api: Api, api_b: Api, media_server: MediaServer) -> None:
    created = api.create_batch(urls=[media_server.url("/clip.mp4?tenant=1")]).json()
    for method in ("GET", "DELETE"):
        response = api_b.request(method, f"/api/v1/batch/{created['batch_id']}")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "batch_not_found"
    assert api.wait_for(created["batch_id"])["status"] == "completed"


def test_many_jobs_at_full_concurrency_keep_exact_counters(api: Api, media_server: MediaServer) -> None:
    urls = [media_server.url(f"/clip.mp4?n={i}") for i in range(12)] + [
        media_server.url(f"/gone{i}.mp4") for i in range(3)
    ]
    created = api.create_batch(urls=urls, concurrent_limit=10).json()
    final = api.wait_for(created["batch_id"], timeout=120)
    assert (final["completed_jobs"], final["failed_jobs"], final["running_jobs"], final["queued_jobs"]) == (12, 3, 0, 0)
    statuses = [job["status"] for job in final["jobs"]]
    assert statuses.count("completed") == 12 and statuses.count("failed") == 3


def test_large_direct_file_is_uploaded_while_it_downloads_and_arrives_intact(
    api: Api, cloud: object, tmp_path: Path
) -> None:
    from tests.support.media import make_sized_file

    source = make_sized_file(tmp_path / "big.mp4", 40 * 2**20 + 12345, seed=7)
    s3 = cloud.client("s3")  # type: ignore[attr-defined]
    bucket = os.environ["MEDIA_BUCKET"]
    with MediaServer(tmp_path, throttle_bps=8 * 2**20) as server:
        created = api.create_batch(urls=[server.url("/big.mp4")]).json()
        seen_parts = 0
        deadline = time.monotonic() + 120  # 40 MiB at 8 MiB/s takes about 5 s
        while (state := api.batch(created["batch_id"]))["status"] not in ("completed", "failed"):
            assert time.monotonic() < deadline, f"batch still {state['status']} after 120 s"
            for upload in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
                if created["batch_id"] in upload["Key"]:
                    try:
                        parts = s3.list_parts(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
                    except s3.exceptions.NoSuchUpload:  # completed between the two calls
                        continue
                    seen_parts = max(seen_parts, len(parts.get("Parts", [])))
            time.sleep(0.2)
    assert state["status"] == "completed", state
    assert seen_parts >= 1, "no part was uploaded before the download finished"
    info = state["jobs"][0]["file_info"]
    assert info["size_bytes"] == source.stat().st_size
    digest = hashlib.sha256()
    with requests.get(info["download_url"], stream=True, timeout=60) as response:
        for chunk in response.iter_content(2**20):
            digest.update(chunk)
    assert digest.hexdigest() == sha256(source.read_bytes())
    assert not [
        u for u in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) if created["batch_id"] in u["Key"]
    ], "a multipart upload was left behind"


def test_subtitles_are_stored_next_to_the_video_and_linked(
    api: Api, media: MediaSet, media_server: MediaServer
) -> None:
    vtt = "WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nHello from the subtitles\n"
    (media.root / "subs.en.vtt").write_text(vtt)
    (media.root / "subtitled.html").write_text(
        '<html><head><title>Subtitled</title></head><body><video src="clip.mp4">'
        '<track kind="subtitles" src="subs.en.vtt" srclang="en" label="English"></video></body></html>'
    )
    created = api.create_batch(urls=[media_server.url("/subtitled.html")], download_subtitles=True).json()
    final = api.wait_for(created["batch_id"])
    info = final["jobs"][0]["file_info"]
    assert final["status"] == "completed", final
    (sub,) = info["subtitles"]
    assert sub["lang"] == "en" and sub["filepath"].startswith(f"batch/{created['batch_id']}/")
    assert sub["filepath"].endswith(".en.vtt")
    assert "Hello from the subtitles" in requests.get(sub["download_url"], timeout=30).text


def test_failed_jobs_say_why_with_a_code_and_in_the_products_words(
    api: Api, media_server: MediaServer, media_root: Path
) -> None:
    (media_root / "no-media.html").write_text("<html><head><title>Nothing</title></head><body>text</body></html>")
    http_only = media_server.url("/clip.mp4?tls").replace("http://", "https://")
    urls = [media_server.url("/gone.mp4"), media_server.url("/no-media.html"), http_only]

    final = api.wait_for(api.create_batch(urls=urls).json()["batch_id"])

    jobs = {job["url"]: job for job in final["jobs"]}
    codes = {url: (jobs[url]["status"], jobs[url]["error_code"]) for url in urls}
    assert codes == {
        urls[0]: ("failed", "not_found"),
        urls[1]: ("failed", "no_media_found"),
        urls[2]: ("failed", "tls"),
    }
    assert "HTTP 404 Not Found" in jobs[urls[0]]["error"]
    assert "use an http:// URL" in jobs[urls[2]]["error"]
    for job in jobs.values():
        assert "yt-dlp" not in job["error"] and "Unsupported URL" not in job["error"]
        assert job["error_detail"] and "please report this issue" not in job["error_detail"]
    assert "WRONG_VERSION_NUMBER" in jobs[urls[2]]["error_detail"]


def test_a_normal_batch_logs_no_warning(
    api: Api, cloud: LocalCloud, media_server: MediaServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A batch without webhook URL, one file downloaded and one URL that is a 404: all normal
    (a user's bad URL is the user's business), so nothing at WARNING or above. The local cloud
    runs every function in this process; the functions' logger does not propagate to the root,
    so the capture listens on it too."""
    for fn in cloud.provisioned.functions.all() if cloud.provisioned else []:
        fn.load()  # each function's Logger sets up the service's handler before the capture joins
    service_logger = logging.getLogger("mediabatch")
    service_logger.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.WARNING):
            created = api.create_batch(urls=[media_server.url("/clip.mp4?quiet"), media_server.url("/quiet-404.mp4")])
            final = api.wait_for(created.json()["batch_id"])
            time.sleep(1.0)  # the batch.* event's fan-out runs after the batch reads finished
    finally:
        service_logger.removeHandler(caplog.handler)

    assert sorted(j["status"] for j in final["jobs"]) == ["completed", "failed"]
    loud = [f"{r.name} {r.levelname}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.WARNING]
    assert loud == []
