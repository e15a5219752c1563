"""Batch uploads end to end with mediabatch_client.UploadClient: the seed's frontend flow
(batch-upload-frontend.md) over real HTTP against the local cloud, bytes straight to moto's S3
through presigned URLs, and the stored bytes checked against the source.

Faults (a part that never gets through, an expired URL, a 503) come from a requests.Session
handed to the client (`session=`): it records every request (and every POST /retry page it
got) and can answer some itself, or hold one back."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import requests

from localcloud import LocalCloud
from localcloud.cloud import REPO_ROOT
from mediabatch.uploads.plan import MAX_FILE_BYTES
from mediabatch_client import PartUploadError, UploadClient, UploadError, UploadProgress
from tests.conftest import KEY_A
from tests.support.media import MediaSet, make_sized_file

pytestmark = pytest.mark.e2e

MiB = 2**20
BIG_SIZE = 150 * MiB + 3 * MiB + 123  # over the 150 MiB single-PUT limit: 10 parts, the last one short
# The documented part size (docs/limits.md), written here rather than asked of the server's own
# planner, so a planner that drifted from the documentation fails these tests.
PART = 16 * MiB
PARTS = -(-BIG_SIZE // PART)  # 10


def part_length(index: int) -> int:
    return min(PART, BIG_SIZE - index * PART)


SMALL_PAGE = 5  # URLs per answer where a test lowers the server's limit of 1000
Fault = Callable[[str, str], "requests.Response | Exception | None"]


class HookedSession(requests.Session):
    """Records every request, and each POST /retry page as (its query, the chunk indexes it
    listed); `fault(method, url)` may answer one instead of the network (a Response) or fail it
    (an Exception), or hold it back (by blocking); `on_page()` is called after a page is recorded."""

    def __init__(self, fault: Fault | None = None, on_page: Callable[[], None] | None = None) -> None:
        super().__init__()
        self.fault = fault
        self.on_page = on_page
        self.calls: list[tuple[str, str, dict[str, str]]] = []
        self.pages: list[tuple[dict[str, list[str]], list[int]]] = []
        self._lock = threading.Lock()

    def request(self, method, url, *args, **kwargs):
        with self._lock:
            self.calls.append((method, url, dict(kwargs.get("headers") or {})))
        outcome = self.fault(method, url) if self.fault else None
        if isinstance(outcome, Exception):
            raise outcome
        if isinstance(outcome, requests.Response):
            return outcome
        response = super().request(method, url, *args, **kwargs)
        if method == "POST" and "/retry/" in url and response.status_code == 200:
            with self._lock:
                self.pages.append(
                    (parse_qs(urlsplit(response.url).query), [item["chunkIndex"] for item in response.json()["data"]])
                )
            if self.on_page:
                self.on_page()
        return response

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

    ((url, headers),) = session.puts()  # one PUT, straight to S3, with the type the URL was signed for
    assert url.startswith(cloud.s3_endpoint_url) and "partNumber" not in url
    assert headers == {"Content-Type": "video/mp4"}
    assert all("X-API-Key" not in h for _, h in session.puts())  # the API key goes to the API only
    assert seen[0].bytes_done == 0 and seen[-1].completed and seen[-1].bytes_done == seen[-1].total_bytes == size
    assert [p.bytes_done for p in seen] == sorted(p.bytes_done for p in seen)

    progress = client_for(cloud).progress(result.upload_id)
    assert (progress.status, progress.progress, progress.total_chunks, progress.media_id) == (
        "completed",
        100,
        1,
        result.media_id,
    )


def test_a_large_file_goes_in_parallel_parts_and_a_lost_part_is_sent_again(cloud: LocalCloud, big_file: Path) -> None:
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
    assert set(session.part_numbers()) == set(range(1, PARTS + 1))
    assert not any(url.endswith(f"/complete/{error.upload_id}") for _, url, _ in session.calls)
    assert seen[-1].chunks_done == PARTS - 1 and not seen[-1].completed
    assert seen[-1].bytes_done == BIG_SIZE - part_length(lost)

    # The seed's frontend flow from here, with a plain client: progress, complete, retry, PUT, complete.
    api = client_for(cloud)
    progress = api.progress(error.upload_id)
    assert (progress.status, progress.total_chunks, progress.completed_count) == ("uploading", 10, 9)
    assert progress.uploaded_bytes == BIG_SIZE - part_length(lost) and progress.progress < 100

    with pytest.raises(UploadError) as refused:
        api.complete(error.upload_id)
    assert (refused.value.status, refused.value.code) == (409, "missing_parts")
    assert refused.value.details["missingChunks"] == [lost] and refused.value.details["missingPartNumbers"] == [4]
    assert refused.value.missing_chunks == [lost] and "3" in refused.value.message

    urls = api.retry_urls(error.upload_id)
    assert list(urls) == [lost]
    with open(big_file, "rb") as fh:
        fh.seek(lost * PART)
        chunk = fh.read(part_length(lost))
    assert requests.put(urls[lost], data=chunk, timeout=60).status_code == 200

    assert api.progress(error.upload_id).status == "uploaded"
    item = api.complete(error.upload_id)
    assert item["size"] == BIG_SIZE and item["filename"] == "big.mp4"
    assert sha256_url(item["download_url"]) == (sha256_file(big_file), BIG_SIZE)


ApiPatch = Callable[[str, str, object], None]


@pytest.fixture
def api_patch(cloud: LocalCloud) -> Iterator[ApiPatch]:
    """Sets `module.attribute` where the API function runs (its workers, or this process in
    the inline mode) for one test; undone after it."""
    undo: list[Callable[[], None]] = []
    yield lambda module, attr, value: undo.append(cloud.function("ApiFunction").patch(module, attr, value))
    for step in reversed(undo):
        step()


def lower_url_page_size(api_patch: ApiPatch, size: int = SMALL_PAGE) -> None:
    """Answers carry at most `size` URLs from now on (the server's limit is 1000: paging past
    it would take a file of over 16 GB). The limit is lowered where the API runs."""
    api_patch("mediabatch.uploads.plan", "URLS_PER_RESPONSE", size)


def test_url_pages_come_with_after_while_earlier_parts_are_still_being_sent(
    cloud: LocalCloud, big_file: Path, api_patch: ApiPatch
) -> None:
    """Init signs chunks 0-2, pages of 3 bring the rest. Chunk 0 is held back until every page
    has come: the pages start after the chunks the client already has, so chunks still being
    sent (more of them than a page holds) never take a page's room."""
    page = 3
    lower_url_page_size(api_patch, page)
    all_listed = threading.Event()
    held: list[bool] = []

    def on_page() -> None:
        if any(9 in chunks for _, chunks in session.pages):
            all_listed.set()

    def fault(method: str, url: str) -> None:
        if method == "PUT" and part_number(url) == 1:
            held.append(all_listed.wait(30))
            held.append(len(session.pages))
        return None

    session = HookedSession(fault, on_page)
    client = client_for(cloud, session=session, max_workers=4, urls_per_page=page)
    result = client.upload_file(big_file)

    assert held == [True, len(session.pages)]  # chunk 0 went only after the last page
    assert len(session.pages) == 3  # chunks 3-9, 3 URLs a page: no page asked twice, none wasted
    listed = [i for _, chunks in session.pages for i in chunks]
    assert sorted(listed) == list(range(3, 10))  # each chunk listed once; never chunk 0, missing all along
    for query, chunks in session.pages:
        after = int(query["after"][0])
        assert query["limit"] == [str(page)] and chunks and min(chunks) > after
    assert session.part_numbers() == list(range(1, 11))  # every part once, none twice
    assert sha256_url(result.media["download_url"]) == (sha256_file(big_file), BIG_SIZE)


def test_an_interrupted_upload_is_resumed_by_a_fresh_client_from_its_upload_id(
    cloud: LocalCloud, big_file: Path, api_patch: ApiPatch
) -> None:
    first = client_for(cloud)
    (session,) = first.init([big_file])
    assert session.is_chunked and session.total_chunks == 10 and session.presigned_urls_complete
    assert session.chunk_size == PART and session.required_headers == {}
    sent_before = [0, 2, 5, 9]  # then the process "dies": only these parts are in S3
    for index in sent_before:
        first.upload_chunk(session, big_file, index, session.presigned_urls[index])
    upload_id = session.upload_id
    first.close()
    del first, session

    # The fresh client learns what is missing from POST /retry pages; with pages of 5 URLs the
    # 6 missing chunks take two, the second after the last chunk the first listed.
    lower_url_page_size(api_patch)
    hooked = HookedSession()
    seen: list[UploadProgress] = []
    with client_for(cloud, session=hooked, max_workers=4, urls_per_page=SMALL_PAGE) as fresh:
        before = fresh.progress(upload_id)
        assert (before.status, before.completed_count) == ("uploading", 4)
        result = fresh.resume(upload_id, big_file, on_progress=seen.append)

    assert hooked.part_numbers() == [i + 1 for i in range(10) if i not in sent_before]  # only what was missing
    assert hooked.pages == [({"limit": ["5"]}, [1, 3, 4, 6, 7]), ({"limit": ["5"], "after": ["7"]}, [8])]
    assert result.resumed and result.chunks_sent == 6 and result.upload_id == upload_id
    assert result.bytes_sent == BIG_SIZE - before.uploaded_bytes
    assert seen[0].bytes_done == before.uploaded_bytes and seen[-1].completed
    assert sha256_url(result.media["download_url"]) == (sha256_file(big_file), BIG_SIZE)


def put_part_unsigned_for_size(cloud: LocalCloud, presigned_url: str, body: bytes) -> None:
    """Store a part of any size under the upload and part number of `presigned_url`, with the
    local cloud's own credentials (a presigned URL binds its Content-Length)."""
    parts = urlsplit(presigned_url)
    bucket, key = parts.path.lstrip("/").split("/", 1)
    query = parse_qs(parts.query)
    cloud.client("s3").upload_part(
        Bucket=bucket,
        Key=unquote(key),
        UploadId=query["uploadId"][0],
        PartNumber=int(query["partNumber"][0]),
        Body=body,
    )


def test_resume_pages_through_missing_and_wrong_sized_chunks_in_index_order(
    cloud: LocalCloud, big_file: Path, api_patch: ApiPatch
) -> None:
    """/retry lists failed (wrong-size) and missing chunks together in index order, so a cursor
    never passes over one: every chunk the upload lacks is sent exactly once."""
    with client_for(cloud) as first:
        (session,) = first.init([big_file])
        first.upload_chunk(session, big_file, 0, session.presigned_urls[0])
        for index in (5, 6, 7):  # 1 MiB instead of 16: S3 refuses it on the signed URL ...
            assert requests.put(session.presigned_urls[index], data=b"x" * MiB, timeout=60).status_code == 403
            put_part_unsigned_for_size(cloud, session.presigned_urls[index], b"x" * MiB)  # ... stored another way
        assert first.progress(session.upload_id).failed_chunks == (5, 6, 7)

    lower_url_page_size(api_patch, 2)
    hooked = HookedSession()
    with client_for(cloud, session=hooked, max_workers=4, urls_per_page=2) as fresh:
        result = fresh.resume(session.upload_id, big_file)

    listed = [chunk for _, chunks in hooked.pages for chunk in chunks]
    assert sorted(listed) == list(range(1, 10)) and len(listed) == len(set(listed))
    assert all(q.get("after") is None or min(chunks) > int(q["after"][0]) for q, chunks in hooked.pages if chunks)
    assert hooked.part_numbers() == list(range(2, 11)) and result.chunks_sent == 9
    assert sha256_url(result.media["download_url"]) == (sha256_file(big_file), BIG_SIZE)


def test_resume_needs_only_the_upload_id_and_the_file_even_with_a_part_size_of_the_servers_choosing(
    cloud: LocalCloud, big_file: Path, api_patch: ApiPatch
) -> None:
    """The client knows no part-size rule: it takes `chunkSize` from GET /progress. Here the
    server cuts the file into 24 MiB parts, which no rule of 16 MiB parts would give."""
    api_patch("mediabatch.uploads.plan", "DEFAULT_PART_BYTES", 24 * MiB)
    with client_for(cloud) as first:
        (session,) = first.init([big_file])
        assert session.is_chunked and (session.chunk_size, session.total_chunks) == (24 * MiB, 7)
        for index in (0, 3, 6):  # the last, short part too
            first.upload_chunk(session, big_file, index, session.presigned_urls[index])
    upload_id = session.upload_id
    del session

    hooked = HookedSession()
    with UploadClient(cloud.base_url, KEY_A, session=hooked) as fresh:  # defaults only
        progress = fresh.progress(upload_id)
        assert (progress.is_chunked, progress.chunk_size, progress.required_headers) == (True, 24 * MiB, {})
        assert progress.urls_expire_in_seconds > 0 and progress.completed_count == 3
        result = fresh.resume(upload_id, big_file)

    assert hooked.part_numbers() == [2, 3, 5, 6]
    assert result.resumed and result.chunks_sent == 4 and result.bytes_sent == 4 * 24 * MiB
    assert sha256_url(result.media["download_url"]) == (sha256_file(big_file), BIG_SIZE)


def test_resuming_a_single_put_sends_the_content_type_the_upload_was_opened_with(
    cloud: LocalCloud, media: MediaSet
) -> None:
    """The declared type is one that neither file name suggests: only GET /progress tells it."""
    size = media.clip.stat().st_size
    opened = requests.post(
        f"{cloud.base_url}/api/v1/videos/batch/init",
        headers={"X-API-Key": KEY_A},
        timeout=30,
        json={"files": [{"filename": "recording.bin", "size": size, "type": "video/quicktime"}]},
    )
    assert opened.status_code == 200, opened.text
    upload_id = opened.json()["data"][0]["uploadId"]

    hooked = HookedSession()
    with UploadClient(cloud.base_url, KEY_A, session=hooked) as fresh:
        result = fresh.resume(upload_id, media.clip)

    ((_, headers),) = hooked.puts()
    assert headers == {"Content-Type": "video/quicktime"}
    assert (result.media["content_type"], result.media["filename"], result.chunks_sent) == (
        "video/quicktime",
        "recording.bin",
        1,
    )
    assert sha256_url(result.media["download_url"]) == (sha256_file(media.clip), size)


def test_completing_twice_gives_the_same_media_item(cloud: LocalCloud, media: MediaSet) -> None:
    client = client_for(cloud)
    result = client.upload_file(media.clip2)
    again = client.complete(result.upload_id)
    assert again["id"] == result.media_id and again["size"] == result.media["size"]
    resumed = client_for(cloud).resume(result.upload_id, media.clip2)  # nothing left to send
    assert resumed.media_id == result.media_id and resumed.chunks_sent == 0
    listed = client.http.get(
        f"{cloud.base_url}/api/v0/media/{result.media_id}", headers={"X-API-Key": KEY_A}, timeout=30
    )
    assert listed.status_code == 200 and listed.json()["id"] == result.media_id


def test_an_expired_url_and_a_503_are_retried_without_the_caller_noticing(cloud: LocalCloud, media: MediaSet) -> None:
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
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mediabatch_client",
            "upload",
            str(media.clip2),
            "--api",
            cloud.base_url,
            "--channel",
            "cli",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
        cwd=REPO_ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    name, media_id, upload_id, _ = proc.stdout.strip().split("\t")
    assert name == "clip2.mp4" and media_id.startswith("media ") and upload_id.startswith("upload ")
    assert "100.0%" in proc.stderr and "1/1 files" in proc.stderr
    item = client_for(cloud).complete(upload_id.removeprefix("upload "))
    assert item["id"] == media_id.removeprefix("media ") and item["folder"] == "channels/cli"
