"""The pool over every file of a call, with stand-in `send` and `complete`: no network, real threads."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from mediabatch_client.errors import ChunkFailed, PartUploadError, UploadError
from mediabatch_client.scheduler import Scheduler
from mediabatch_client.transfer import FileTransfer
from tests.unit.client.fakes import FakeRetryApi, session_for, tracker_for

MiB = 2**20


def transfer(name: str, chunks: int) -> FileTransfer:
    session = session_for(chunks * MiB, MiB, urls=[f"{name}/{i}" for i in range(chunks)], upload_id=name)
    return FileTransfer.opened(FakeRetryApi(), Path(f"{name}.mp4"), session, tracker_for(session))


class Workers:
    """Records what the pool ran, how many at once, and fails the chunks it is told to."""

    def __init__(self, failing: dict[str, BaseException] | None = None) -> None:
        self.failing = failing or {}
        self.sent: list[str] = []
        self.completed: list[str] = []
        self.busy = 0
        self.most_busy = 0
        self.lock = threading.Lock()

    def send(self, transfer: FileTransfer, index: int, url: str, abort: threading.Event) -> None:
        with self.lock:
            self.busy += 1
            self.most_busy = max(self.most_busy, self.busy)
            self.sent.append(url)
        try:
            if url in self.failing:
                raise self.failing[url]
        finally:
            with self.lock:
                self.busy -= 1

    def complete(self, upload_id: str) -> dict[str, Any]:
        with self.lock:
            self.completed.append(upload_id)
        return {"id": f"media-{upload_id}"}


def test_every_chunk_of_every_file_is_sent_once_then_each_file_completed() -> None:
    workers = Workers()
    files = [transfer("a", 5), transfer("b", 3)]
    Scheduler(2, send=workers.send, complete=workers.complete).run(files)

    assert sorted(workers.sent) == sorted([f"a/{i}" for i in range(5)] + [f"b/{i}" for i in range(3)])
    assert workers.sent[0] == "a/0" and workers.most_busy <= 2
    assert sorted(workers.completed) == ["a", "b"]
    assert [f.result.media_id for f in files if f.result] == ["media-a", "media-b"]


def test_a_file_with_a_failed_chunk_fails_alone_and_is_not_completed() -> None:
    workers = Workers({"a/1": ChunkFailed("storage answered HTTP 400"), "b/0": UploadError("gone", code="upload_gone")})
    files = [transfer("a", 3), transfer("b", 2), transfer("c", 2)]
    Scheduler(3, send=workers.send, complete=workers.complete).run(files)

    a, b, c = files
    assert isinstance(a.error, PartUploadError) and a.error.failed_chunks == [1]
    assert b.error is not None and b.error.code == "upload_gone" and b.error.upload_id == "b"
    assert c.result is not None and workers.completed == ["c"]


def test_an_unexpected_error_stops_the_call() -> None:
    workers = Workers({"a/0": RuntimeError("bug")})
    with pytest.raises(RuntimeError, match="bug"):
        Scheduler(1, send=workers.send, complete=workers.complete).run([transfer("a", 3)])
    assert workers.completed == []
