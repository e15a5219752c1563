"""Batch uploads end to end with mediabatch_client.UploadClient: the seed's frontend flow
(batch-upload-frontend.md) over real HTTP against the local cloud, bytes straight to moto's S3
through presigned URLs, and the stored bytes checked against the source.

Faults (a part that never gets through, an expired URL, a 503) come from a requests.Session
handed to the client (`session=`): it records every request and can answer some itself."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from localcloud import LocalCloud
from localcloud.cloud import REPO_ROOT
from mediabatch.uploads.plan import MAX_FILE_BYTES, plan_upload
from mediabatch_client import PartUploadError, UploadClient, UploadError, UploadProgress
from tests.conftest import KEY_A
from tests.support.media import MediaSet, make_sized_file

pytestmark = pytest.mark.e2e

MiB = 2**20
BIG_SIZE = 150 * MiB + 3 * MiB + 123  # over the 150 MiB single-PUT limit: 10 parts, the last one short
SMALL_PAGE = 5  # URLs per answer where a test lowers the server's limit of 1000
Fault = Callable[[str, str], "requests.Response | Exception | None"]


class HookedSession(requests.Session):
    """Records every request; `fault(method, url)` may answer one instead of the network
    (a Response) or fail it (an Exception)."""

    def __init__(self, fault: Fault | None = None) -> None:
        super().__init__()
        self.fault = fault
        self.calls: list[tuple[str, str, dict[str, str]]] = []
        self._lock = threading.Lock()

    def request(self, method, url, *args, **kwargs):
        with self._lock:
            self.calls.append((method, url, dict(kwargs.get("headers") or {})))
        outcome = self.fault(method, url) if self.fault else None
        if isinstance(outcome, Exception):
            raise outcome
        if isinstance(outcome, requests.Response):
            return outcome
        return super().request(method, url, *args, **kwargs)

    def puts(self) -> list[tuple[str, dict[str, str]]]:
        return [(url, headers) for method, url, headers in self.calls if method == "PUT"]

    def part_numbers(self) -> list[int]:
        return sorted(part_number(url) for url, _ in self.puts())


def part_number(url: str) -> int:
    return int(parse_qs(urlsplit(url).query).get("partNumber", ["1"])[0])


def s3_error(status: int, code: str, message: str) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = f"<?xml version='1.0'?><Error><Code>{code}</Code><Message>{message}</Message></Error>".encode()
    response.encoding = "utf-8"
    return response


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(MiB):
            digest.update(block)
    return digest.hexdigest()


def sha256_url(url: str) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with requests.get(url, stream=True, timeout=60) as response:
        response.raise_for_status()
        for block in response.iter_content(MiB):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_sized_file(tmp_path_factory.mktemp("big") / "big.mp4", BIG_SIZE, seed=7)


def client_for(cloud: LocalCloud, **kwargs) -> UploadClient:
    return UploadClient(cloud.base_url, KEY_A, retry_backoff=0.01, **kwargs)


def test_a_small_file_goes_in_one_presigned_put(cloud: LocalCloud, media: MediaSet) -> None:
    session = HookedSession()
    seen: list[UploadProgress] = []
    with client_for(cloud, session=session) as client:
        result = client.upload_file(media.clip, channel_id="holidays", on_progress=seen.append)

    size = media.clip.stat().st_size
    item = result.media
    assert item["id"] == result.media_id == result.file_id
    assert (item["filename"], item["size"], item["content_type"]) == ("clip.mp4", size, "video/mp4")
    assert item["folder"] == "channels/holidays" and item["metadata"]["upload_id"] == result.upload_id
    assert sha256_url(item["download_url"]) == (sha256_file(media.clip), size)
    assert (result.chunks_sent, result.bytes_sent, result.resumed) == (1, size, False)

    (url, headers), = session.puts()  # one PUT, straight to S3, with the type the URL was signed for
    assert url.startswith(cloud.endpoint_url) and "partNumber" not in url
    assert headers == {"Content-Type": "video/mp4"}
    assert all("X-API-Key" not in h for _, h in session.puts())  # the API key goes to the API only
    assert seen[0].bytes_done == 0 and seen[-1].completed and seen[-1].bytes_done == seen[-1].total_bytes == size
    assert [p.bytes_done for p in seen] == sorted(p.bytes_done for p in seen)

    progress = client_for(cloud).progress(result.upload_id)
    assert (progress.status, progress.progress, progress.total_chunks, progress.media_id) == (
        "completed", 100, 1, result.media_id)


def test_a_large_file_goes_in_parallel_parts_and_a_lost_part_is_sent_again(
        cloud: LocalCloud, big_file: Path) -> None:
    plan = plan_upload(BIG_SIZE)
    lost = 3  # chunk 3 = S3 part 4: the network drops it every time
    together = threading.Barrier(2, timeout=30)  # the first two parts must be in flight at once

    def fault(method: str, url: str) -> Exception | None:
        if method != "PUT":
            return None
        if part_number(url) in (1, 2):
            together.wait()
        return requests.ConnectionError("connection reset by peer") if part_number(url) == lost + 1 else None

    session = HookedSession(fault)
    seen: list[UploadProgress] = []
    client = client_for(cloud, session=session, max_workers=4, part_retries=2)
    with pytest.raises(PartUploadError) as failure:
        client.upload_file(big_file, on_progress=seen.append)
    error = failure.value
    assert error.failed_chunks == [lost] and error.code == "parts_failed" and error.upload_id
    assert "connection reset" in error.causes[lost]
    assert session.part_numbers().count(lost + 1) == 3  # the first attempt and two retries
    assert set(session.part_numbers()) == set(range(1, plan.total_chunks + 1))
    assert not any(url.endswith(f"/complete/{error.upload_id}") for _, url, _ in session.calls)
    assert seen[-1].chunks_done == plan.total_chunks - 1 and not seen[-1].completed
    assert seen[-1].bytes_done == BIG_SIZE - plan.chunk_length(lost)

    # The seed's frontend flow from here, with a plain client: progress, complete, retry, PUT, complete.
    api = client_for(cloud)
    progress = api.progress(error.upload_id)
    assert (progress.status, progress.total_chunks, progress.completed_count) == ("uploading", 10, 9)
    assert progress.uploaded_bytes == BIG_SIZE - plan.chunk_length(lost) and progress.progress < 100

    with pytest.raises(UploadError) as refused:
        api.complete(error.upload_id)
    assert (refused.value.status, refused.value.code) == (409, "missing_parts")
    assert refused.value.details["missingChunks"] == [lost] and refused.value.details["missingPartNumbers"] == [4]
    assert refused.value.missing_chunks == [lost] and "3" in refused.value.message

    urls = api.retry_urls(error.upload_id)
    assert list(urls) == [lost]
    with open(big_file, "rb") as fh:
        fh.seek(lost * plan.chunk_size)
        chunk = fh.read(plan.chunk_length(lost))
    assert requests.put(urls[lost], data=chunk, timeout=60).status_code == 200

    assert api.progress(error.upload_id).status == "uploaded"
    item = api.complete(error.upload_id)
    assert item["size"] == BIG_SIZE and item["filename"] == "big.mp4"
    assert sha256_url(item["download_url"]) == (sha256_file(big_file), BIG_SIZE)


def lower_url_page_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """Answers carry at most SMALL_PAGE URLs from now on (the server's limit is 1000: paging past
    it would take a file of over 16 GB). The API runs in this process, so its limit can be
    lowered here."""
    import mediabatch.uploads.service as service

    monkeypatch.setattr(service, "URLS_PER_RESPONSE", SMALL_PAGE)


def test_urls_beyond_the_first_answer_are_fetched_page_by_page_as_the_upload_goes(
        cloud: LocalCloud, big_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lower_url_page_size(monkeypatch)
    session = HookedSession()
    client = client_for(cloud, session=session, max_workers=2, urls_per_page=SMALL_PAGE)
    result = client.upload_file(big_file)

    init = [url for _, url, _ in session.calls if url.endswith("/init")]
    pages = [url for _, url, _ in session.calls if "/retry/" in url]
    assert len(init) == 1 and len(pages) >= 2  # 10 chunks, 5 URLs an answer
    assert session.part_numbers() == list(range(1, 11))  # every part once, none twice
    assert sha256_url(result.media["download_url"]) == (sha256_file(big_file), BIG_SIZE)


def test_an_interrupted_upload_is_resumed_by_a_fresh_client_from_its_upload_id(
        cloud: LocalCloud, big_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = client_for(cloud)
    session, = first.init([big_file])
    assert session.is_chunked and session.total_chunks == 10 and session.presigned_urls_complete
    assert session.chunk_size == plan_upload(BIG_SIZE).chunk_size and session.required_headers == {}
    sent_before = [0, 2, 5, 9]  # then the process "dies": only these parts are in S3
    for index in sent_before:
        first.upload_chunk(session, big_file, index, session.presigned_urls[index])
    upload_id = session.upload_id
    first.close()
    del first, session

    # The fresh client learns what is missing from POST /retry pages; with pages of 5 URLs the
    # 6 missing chunks take two.
    lower_url_page_size(monkeypatch)
    hooked = HookedSession()
    seen: list[UploadProgress] = []
    with client_for(cloud, session=hooked, max_workers=2, urls_per_page=SMALL_PAGE) as fresh:
        before = fresh.progress(upload_id)
        assert (before.status, before.completed_count) == ("uploading", 4)
        result = fresh.resume(upload_id, big_file, on_progress=seen.append)

    assert hooked.part_numbers() == [i + 1 for i in range(10) if i not in sent_before]  # only what was missing
    assert len([url for _, url, _ in hooked.calls if "/retry/" in url]) >= 2  # 6 missing chunks, 5 URLs a page
    assert result.resumed and result.chunks_sent == 6 and result.upload_id == upload_id
    assert result.bytes_sent == BIG_SIZE - before.uploaded_bytes
    assert seen[0].bytes_done == before.uploaded_bytes and seen[-1].completed
    assert sha256_url(result.media["download_url"]) == (sha256_file(big_file), BIG_SIZE)


def test_completing_twice_gives_the_same_media_item(cloud: LocalCloud, media: MediaSet) -> None:
    client = client_for(cloud)
    result = client.upload_file(media.clip2)
    again = client.complete(result.upload_id)
    assert again["id"] == result.media_id and again["size"] == result.media["size"]
    resumed = client_for(cloud).resume(result.upload_id, media.clip2)  # nothing left to send
    assert resumed.media_id == result.media_id and resumed.chunks_sent == 0
    listed = client.http.get(f"{cloud.base_url}/api/v0/media/{result.media_id}", headers={"X-API-Key": KEY_A},
                             timeout=30)
    assert listed.status_code == 200 and listed.json()["id"] == result.media_id


def test_an_expired_url_and_a_503_are_retried_without_the_caller_noticing(
        cloud: LocalCloud, media: MediaSet) -> None:
    answers = [s3_error(403, "AccessDenied", "Request has expired"), s3_error(503, "SlowDown", "Reduce your rate")]

    def fault(method: str, url: str) -> requests.Response | None:
        return answers.pop(0) if method == "PUT" and answers else None

    session = HookedSession(fault)
    result = client_for(cloud, session=session).upload_file(media.clip)
    assert sha256_url(result.media["download_url"])[0] == sha256_file(media.clip)
    assert len(session.puts()) == 3
    retries = [url for method, url, _ in session.calls if method == "POST" and "/retry/" in url]
    assert len(retries) == 1  # the 403 fetched a freshly signed URL; the 503 just waited


def test_errors_carry_the_servers_code_and_message(cloud: LocalCloud, media: MediaSet, tmp_path: Path) -> None:
    with pytest.raises(UploadError) as bad_key:
        UploadClient(cloud.base_url, "not-a-key-0123456789").upload_file(media.clip)
    assert bad_key.value.status == 401

    huge = tmp_path / "huge.mp4"
    with open(huge, "wb") as fh:  # sparse: no disk used
        fh.truncate(MAX_FILE_BYTES + 1)
    session = HookedSession()
    with pytest.raises(UploadError) as too_large:
        client_for(cloud, session=session).upload_files([media.clip, huge])
    assert (too_large.value.status, too_large.value.code) == (400, "file_too_large")
    assert "files[1].size" in too_large.value.message
    assert session.puts() == []  # refused at init: nothing was sent

    with pytest.raises(UploadError) as unknown:
        client_for(cloud).resume("no-such-upload", media.clip)
    assert (unknown.value.status, unknown.value.code) == (404, "upload_not_found")


def test_the_command_line_uploads_and_prints_the_media_id(cloud: LocalCloud, media: MediaSet) -> None:
    env = {**os.environ, "MEDIABATCH_API_KEY": KEY_A}
    proc = subprocess.run([sys.executable, "-m", "mediabatch_client", "upload", str(media.clip2),
                           "--api", cloud.base_url, "--channel", "cli"],
                          capture_output=True, text=True, timeout=120, env=env, check=False, cwd=REPO_ROOT)
    assert proc.returncode == 0, proc.stderr
    name, media_id, upload_id, _ = proc.stdout.strip().split("\t")
    assert name == "clip2.mp4" and media_id.startswith("media ") and upload_id.startswith("upload ")
    assert "100.0%" in proc.stderr and "1/1 files" in proc.stderr
    item = client_for(cloud).complete(upload_id.removeprefix("upload "))
    assert item["id"] == media_id.removeprefix("media ") and item["folder"] == "channels/cli"
