"""One file's transfer: which chunk goes next, on which URL, when POST /retry is asked, and
what the file comes to. POST /retry is the in-memory `FakeRetryApi`; nothing is sent."""

from __future__ import annotations

import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

from mediabatch_client.errors import Aborted, ChunkFailed, PartUploadError, UploadError
from mediabatch_client.models import ServerProgress
from mediabatch_client.transfer import FileTransfer, Job, chunks_to_resume
from tests.unit.client.fakes import FakeRetryApi, opened_transfer, session_for, tracker_for

MiB = 2**20


def ended(value: Any = None, error: BaseException | None = None) -> Future[Any]:
    future: Future[Any] = Future()
    if error is None:
        future.set_result(value)
    else:
        future.set_exception(error)
    return future


def drive(transfer: FileTransfer, api: FakeRetryApi, window: int) -> list[int]:
    """Run the transfer as the scheduler would, `window` chunks in flight, each chunk stored
    when it ends (oldest first); returns the chunks sent, in order, up to the completion job."""
    sent: list[int] = []
    inflight: list[Job] = []
    while True:
        while len(inflight) < window and (job := transfer.next_job(window)) is not None:
            if job.index is None:
                assert not inflight
                return sent
            inflight.append(job)
        assert inflight, "nothing in flight and nothing to do"
        job = inflight.pop(0)
        assert job.index is not None
        sent.append(job.index)
        api.stored(job.index)
        transfer.job_ended(job, ended())


def test_an_opened_file_sends_every_chunk_on_the_urls_init_signed_then_completes() -> None:
    api = FakeRetryApi()
    session = session_for(5 * MiB, 2 * MiB, urls=["u0", "u1", "u2"])
    transfer = opened_transfer(api, session)

    jobs = [transfer.next_job(8) for _ in range(3)]
    assert [(j.index, j.url) for j in jobs if j] == [(0, "u0"), (1, "u1"), (2, "u2")]
    assert transfer.next_job(8) is None  # waiting for the chunks in flight
    for job in jobs:
        assert job is not None
        transfer.job_ended(job, ended())
    completion = transfer.next_job(8)
    assert completion is not None and completion.index is None
    assert api.asked == []  # init's URLs were enough

    transfer.job_ended(completion, ended({"id": "media-1"}))
    assert transfer.result is not None and transfer.result.media_id == "media-1"
    assert (transfer.result.chunks_sent, transfer.result.resumed) == (3, False)


def test_resume_discovers_missing_chunks_page_by_page_after_the_last_one_listed() -> None:
    """As the e2e test sees it: 6 of 10 chunks missing, pages of 5, 4 chunks in flight."""
    api = FakeRetryApi(missing=[1, 3, 4, 6, 7, 8], urls_per_page=5)
    session = session_for(10 * 16 * MiB, 16 * MiB)
    transfer = FileTransfer.resuming(api, Path("big.mp4"), session, tracker_for(session), needed=6)

    assert drive(transfer, api, window=4) == [1, 3, 4, 6, 7, 8]
    assert api.asked == [None, 7]  # the second page starts after chunk 7, the first page's last


def test_resume_sweeps_once_for_missing_chunks_hidden_behind_a_page_of_failed_ones() -> None:
    """Failed chunks come first in a page, so a cursor past them can skip missing ones below."""
    api = FakeRetryApi(missing=[1, 2], failed=[8, 9], urls_per_page=2)
    session = session_for(10 * MiB, MiB)
    transfer = FileTransfer.resuming(api, Path("big.mp4"), session, tracker_for(session), needed=4)

    assert drive(transfer, api, window=2) == [8, 9, 1, 2]
    assert api.asked == [None, 9, None]  # the page after 9 is empty; the unpaged sweep finds 1 and 2


def test_a_url_about_to_expire_is_signed_again_before_the_chunk_goes() -> None:
    api = FakeRetryApi(missing=[0, 1])
    session = session_for(2 * MiB, MiB, urls=["old-0", "old-1"], expires=3600)
    transfer = opened_transfer(api, session)
    transfer.urls[0] = ("old-0", time.monotonic() - 3400)  # within 5 minutes of its hour

    job = transfer.next_job(4)
    assert job is not None and job.index == 0 and job.url.startswith("https://s3.test/up-1/0")
    assert api.asked == [None]


def test_a_chunk_the_server_gives_no_url_for_fails_the_file_with_no_urls() -> None:
    api = FakeRetryApi(missing=[])  # the server does not list chunk 0 as missing
    transfer = opened_transfer(api, session_for(MiB, MiB))
    with pytest.raises(UploadError) as failure:
        transfer.next_job(4)
    assert failure.value.code == "no_urls" and "chunk 0" in failure.value.message


def test_fresh_url_refreshes_the_queued_chunks_after_it_too() -> None:
    api = FakeRetryApi(missing=[0, 1, 2])
    transfer = opened_transfer(api, session_for(3 * MiB, MiB, urls=["u0", "u1", "u2"]))
    first = transfer.next_job(4)
    assert first is not None and first.index == 0

    fresh = transfer.fresh_url(0)
    assert fresh.startswith("https://s3.test/up-1/0") and api.asked == [None]
    assert transfer.urls[1][0].startswith("https://s3.test/up-1/1")  # queued: refreshed as well
    api.missing = [1]
    with pytest.raises(UploadError) as failure:
        transfer.fresh_url(0)
    assert failure.value.code == "no_urls" and api.asked[-1] is None


def test_failed_chunks_fail_the_file_once_the_others_are_through() -> None:
    api = FakeRetryApi()
    transfer = opened_transfer(api, session_for(3 * MiB, MiB, urls=["u0", "u1", "u2"]))
    jobs = [transfer.next_job(4) for _ in range(3)]
    assert all(jobs)
    transfer.job_ended(jobs[0], ended(error=ChunkFailed("storage answered HTTP 400")))  # type: ignore[arg-type]
    transfer.job_ended(jobs[1], ended())  # type: ignore[arg-type]
    assert transfer.next_job(4) is None  # chunk 2 still in flight
    transfer.job_ended(jobs[2], ended())  # type: ignore[arg-type]

    with pytest.raises(PartUploadError) as failure:
        transfer.next_job(4)
    assert failure.value.failed_chunks == [0] and failure.value.upload_id == "up-1"
    assert "chunk 0: storage answered HTTP 400" in failure.value.message


def test_an_error_of_the_whole_file_stops_it_and_keeps_the_upload_id_to_resume() -> None:
    api = FakeRetryApi()
    transfer = opened_transfer(api, session_for(3 * MiB, MiB, urls=["u0", "u1", "u2"]))
    job = transfer.next_job(4)
    assert job is not None
    transfer.job_ended(job, ended(error=UploadError("gone", code="upload_gone")))

    assert transfer.error is not None and transfer.error.upload_id == "up-1"
    assert transfer.error.path == Path("movie.mp4") and transfer.next_job(4) is None


def test_an_aborted_chunk_is_forgotten_and_anything_unexpected_is_raised() -> None:
    transfer = opened_transfer(FakeRetryApi(), session_for(2 * MiB, MiB, urls=["u0", "u1"]))
    first, second = transfer.next_job(4), transfer.next_job(4)
    assert first is not None and second is not None
    transfer.job_ended(first, ended(error=Aborted()))
    assert transfer.inflight == {1} and not transfer.failed and transfer.error is None
    with pytest.raises(RuntimeError):
        transfer.job_ended(second, ended(error=RuntimeError("bug")))


def progress(status: str, completed: int) -> ServerProgress:
    return ServerProgress(
        upload_id="up-1",
        file_id="f",
        filename="movie.mp4",
        progress=0,
        status=status,
        failed_chunks=(),
        total_chunks=10,
        completed_count=completed,
        uploaded_bytes=0,
        size=10,
        media_id=None,
        is_chunked=True,
        chunk_size=1,
        required_headers={},
        urls_expire_in_seconds=3600,
    )


@pytest.mark.parametrize(
    ("status", "completed", "needed"),
    [("uploading", 4, 6), ("initialized", 0, 10), ("completed", 10, 0), ("failed", 3, 0)],
)
def test_a_resume_sends_what_progress_says_is_lacking_unless_the_upload_is_over(
    status: str, completed: int, needed: int
) -> None:
    assert chunks_to_resume(progress(status, completed)) == needed
