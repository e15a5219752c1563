"""One chunk's PUT and its retries, against a session that answers from a script: what each of
S3's answers leads to, and that progress takes back the bytes of a failed attempt."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import requests

from mediabatch_client.chunk_sender import ChunkSender
from mediabatch_client.errors import Aborted, ChunkFailed, UploadError
from mediabatch_client.models import UploadProgress
from mediabatch_client.transfer import FileTransfer
from tests.unit.client.fakes import FakeRetryApi, ScriptedHttp, s3_answer, session_for, tracker_for

CHUNK = 300 * 1024


@pytest.fixture
def movie(tmp_path: Path) -> Path:
    path = tmp_path / "movie.mp4"
    path.write_bytes(bytes(range(256)) * (3 * CHUNK // 256) + b"tail")  # chunks 0-2 full, chunk 3 four bytes
    return path


def transfer_of(movie: Path, api: FakeRetryApi, seen: list[UploadProgress] | None = None) -> FileTransfer:
    session = session_for(movie.stat().st_size, CHUNK, headers={"Content-Type": "video/mp4"})
    return FileTransfer(api, movie, session, tracker_for(session, seen, movie), needed=session.total_chunks)


def sender(http: ScriptedHttp, retries: int = 3, delays: list[int] | None = None) -> ChunkSender:
    waits = delays if delays is not None else []

    def delay(attempt: int) -> float:
        waits.append(attempt)
        return 0.0

    return ChunkSender(http, 5.0, retries, delay)  # type: ignore[arg-type]


def test_a_stored_chunk_sends_exactly_its_bytes_with_the_required_headers(movie: Path) -> None:
    http = ScriptedHttp()
    seen: list[UploadProgress] = []
    transfer = transfer_of(movie, FakeRetryApi(), seen)
    sender(http).send(transfer, 1, "https://s3.test/u1", threading.Event())

    ((url, headers, body),) = http.puts
    assert (url, headers) == ("https://s3.test/u1", {"Content-Type": "video/mp4"})
    assert body == movie.read_bytes()[CHUNK : 2 * CHUNK]
    assert (seen[-1].bytes_done, seen[-1].chunks_done) == (CHUNK, 1)


def test_a_slow_down_is_retried_after_a_backoff_and_its_bytes_are_counted_once(movie: Path) -> None:
    http = ScriptedHttp(s3_answer(503, "SlowDown"), s3_answer(500, "InternalError"))
    delays: list[int] = []
    seen: list[UploadProgress] = []
    transfer = transfer_of(movie, FakeRetryApi(), seen)
    sender(http, delays=delays).send(transfer, 0, "https://s3.test/u0", threading.Event())

    assert len(http.puts) == 3 and delays == [1, 2]
    assert min(p.bytes_done for p in seen) == 0  # a failed attempt's bytes were taken back
    assert (transfer.tracker.bytes_done, transfer.tracker.chunks_done) == (CHUNK, 1)


def test_an_expired_url_is_signed_again_before_the_retry(movie: Path) -> None:
    api = FakeRetryApi(missing=[2, 3])
    http = ScriptedHttp(s3_answer(403, "AccessDenied"))
    sender(http).send(transfer_of(movie, api), 2, "https://s3.test/expired", threading.Event())

    assert [url for url, _, _ in http.puts] == ["https://s3.test/expired", "https://s3.test/up-1/2?sig=1"]
    assert api.asked == [1]  # POST /retry from the chunk on


def test_a_refusal_that_will_not_change_fails_the_chunk_at_once(movie: Path) -> None:
    http = ScriptedHttp(s3_answer(400, "InvalidArgument"))
    with pytest.raises(ChunkFailed) as failure:
        sender(http).send(transfer_of(movie, FakeRetryApi()), 0, "https://s3.test/u0", threading.Event())
    assert failure.value.cause.startswith("storage answered HTTP 400 InvalidArgument: <?xml")
    assert len(http.puts) == 1


def test_when_retries_are_spent_the_chunk_fails_with_its_last_cause(movie: Path) -> None:
    http = ScriptedHttp(*[requests.ConnectionError("connection reset by peer")] * 3)
    transfer = transfer_of(movie, FakeRetryApi())
    with pytest.raises(ChunkFailed) as failure:
        sender(http, retries=2).send(transfer, 3, "https://s3.test/u3", threading.Event())
    assert failure.value.cause == "ConnectionError: connection reset by peer (after 3 attempts)"
    assert len(http.puts) == 3 and transfer.tracker.bytes_done == 0


def test_an_upload_s3_no_longer_knows_fails_the_whole_file(movie: Path) -> None:
    http = ScriptedHttp(s3_answer(404, "NoSuchUpload"))
    with pytest.raises(UploadError) as failure:
        sender(http).send(transfer_of(movie, FakeRetryApi()), 0, "https://s3.test/u0", threading.Event())
    assert (failure.value.code, failure.value.status, failure.value.upload_id) == ("upload_gone", 404, "up-1")


def test_a_file_that_shrank_is_a_local_error_not_a_retry(movie: Path) -> None:
    transfer = transfer_of(movie, FakeRetryApi())
    movie.write_bytes(b"short")
    http = ScriptedHttp()
    with pytest.raises(UploadError) as failure:
        sender(http).send(transfer, 1, "https://s3.test/u1", threading.Event())
    assert failure.value.code == "local_file_changed" and len(http.puts) == 1


def test_an_abandoned_call_stops_sending(movie: Path) -> None:
    abort = threading.Event()
    abort.set()
    http = ScriptedHttp()
    with pytest.raises(Aborted):
        sender(http).send(transfer_of(movie, FakeRetryApi()), 0, "https://s3.test/u0", abort)
    assert http.puts == [("https://s3.test/u0", {"Content-Type": "video/mp4"}, b"")]
