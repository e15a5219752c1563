"""In-memory stand-ins for what the upload client talks to: POST /retry (`FakeRetryApi`), S3's
answers to PUTs (`s3_answer`), a requests session that answers from a script (`ScriptedHttp`)."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import requests

from mediabatch_client.models import UploadSession
from mediabatch_client.progress import ProgressTracker
from mediabatch_client.transfer import FileTransfer


class FakeRetryApi:
    """POST /retry as the server answers it: failed chunks first, then missing ones, lowest
    index first, only above `after`, at most `limit` (default `urls_per_page`). Records each
    question as its `after`."""

    def __init__(self, missing: Iterable[int] = (), failed: Iterable[int] = (), urls_per_page: int = 1000) -> None:
        self.missing = sorted(missing)
        self.failed = sorted(failed)
        self.urls_per_page = urls_per_page
        self.asked: list[int | None] = []
        self.signed = 0

    def retry_urls(self, upload_id: str, limit: int | None = None, after: int | None = None) -> dict[int, str]:
        self.asked.append(after)
        lacking = [*self.failed, *self.missing]
        chosen = [i for i in lacking if after is None or i > after][: limit or self.urls_per_page]
        self.signed += 1
        return {i: f"https://s3.test/{upload_id}/{i}?sig={self.signed}" for i in chosen}

    def stored(self, index: int) -> None:
        for pending in (self.missing, self.failed):
            if index in pending:
                pending.remove(index)


def session_for(
    size: int,
    chunk_size: int,
    *,
    urls: Iterable[str] = (),
    expires: int = 3600,
    headers: dict[str, str] | None = None,
    upload_id: str = "up-1",
) -> UploadSession:
    total = max(1, -(-size // chunk_size))
    return UploadSession(
        upload_id=upload_id,
        file_id="file-1",
        filename="movie.mp4",
        size=size,
        is_chunked=total > 1,
        total_chunks=total,
        chunk_size=chunk_size,
        presigned_urls=tuple(urls),
        presigned_urls_complete=len(tuple(urls)) == total,
        required_headers=headers or {},
        urls_expire_in_seconds=expires,
        status="initialized",
    )


def tracker_for(
    session: UploadSession, seen: list[Any] | None = None, path: Path = Path("movie.mp4")
) -> ProgressTracker:
    return ProgressTracker(threading.Lock(), seen.append if seen is not None else None, path, session)


def opened_transfer(api: FakeRetryApi, session: UploadSession, path: Path = Path("movie.mp4")) -> FileTransfer:
    return FileTransfer.opened(api, path, session, tracker_for(session, path=path))


def s3_answer(status: int, code: str = "", body: str | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    if body is None:
        body = f"<?xml version='1.0'?><Error><Code>{code}</Code><Message>no</Message></Error>" if code else ""
    response._content = body.encode()
    response.encoding = "utf-8"
    return response


class ScriptedHttp:
    """A requests session that sends nothing: each PUT reads its whole body (as requests would),
    then takes the next scripted outcome (a Response to answer, an exception to raise); once the
    script runs out, 200. Records (url, headers, bytes read) of every PUT."""

    def __init__(self, *outcomes: requests.Response | BaseException) -> None:
        self.outcomes = list(outcomes)
        self.puts: list[tuple[str, dict[str, str], bytes]] = []
        self.lock = threading.Lock()

    def put(self, url: str, data: Any = None, headers: dict[str, str] | None = None, **_: Any) -> requests.Response:
        body = b""
        try:
            while block := data.read(64 * 1024):
                body += block
        finally:
            with self.lock:
                self.puts.append((url, dict(headers or {}), body))
        with self.lock:
            outcome = self.outcomes.pop(0) if self.outcomes else s3_answer(200)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome
