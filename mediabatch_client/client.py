"""`UploadClient`: uploads local files to mediabatch through its hybrid batch-upload API.

The flow (docs: the seed batch-upload-frontend.md, server: mediabatch.uploads):

1. ``POST /api/v1/videos/batch/init`` opens up to 5 uploads in one call; each answer says how
   to send its file: one presigned PUT (files up to 150 MiB) or S3 multipart parts, one
   presigned URL per chunk (at most 1000 per answer; ``POST /retry`` gives more).
2. The bytes go straight to S3. Parts go in parallel (a ThreadPoolExecutor of `max_workers`
   threads shared by every file of the call), each read lazily from the file while it is sent:
   a worker holds one block of `SEND_BLOCK` bytes, never a whole part, so memory stays about
   ``max_workers x SEND_BLOCK`` whatever the file or part size. A failed part is retried with
   exponential backoff (connection errors, timeouts, 5xx, 429, S3's RequestTimeout/SlowDown);
   on a 403 (an expired URL) it first asks ``POST /retry`` for a fresh one.
3. ``POST /api/v1/videos/batch/complete/{uploadId}`` registers the media item.

`resume(upload_id, path)` finishes an interrupted upload from nothing but its uploadId and
the local file: ``GET /progress`` says how the file was cut (chunk size, headers) and how much
S3 already has; ``POST /retry`` pages give URLs for exactly the chunks still missing (or stored
with the wrong size). Pages are asked with ``?after=`` (a cursor: only chunks above that index),
so a page brings chunks not yet known whatever is still in flight.

This module is the public face only; the work is done by `api` (the wire), `transfer` (one
file's chunks and URLs), `chunk_sender` (one chunk's PUT and its retries) and `scheduler` (the
thread pool over every file).

Thread safety: one `UploadClient` may be used by one call at a time per thread; progress
callbacks are called one at a time (under a lock), from the worker threads.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote

import requests

from mediabatch_client.api import (
    API_PREFIX,
    MAX_FILES_PER_INIT,
    URLS_PER_PAGE,
    Timeout,
    call_api,
    init_body,
    new_session,
    retry_page,
)
from mediabatch_client.chunk_sender import ChunkSender
from mediabatch_client.errors import BatchUploadError, ChunkFailed, PartUploadError, UploadError
from mediabatch_client.local_file import SEND_BLOCK, PathLike, local_file
from mediabatch_client.models import ServerProgress, UploadResult, UploadSession
from mediabatch_client.progress import ProgressCallback, ProgressTracker
from mediabatch_client.retry import backoff_delay
from mediabatch_client.scheduler import Scheduler
from mediabatch_client.transfer import FileTransfer, chunks_to_resume
from mediabatch_client.video_types import guess_video_type

__all__ = [
    "API_PREFIX",
    "MAX_FILES_PER_INIT",
    "SEND_BLOCK",
    "URLS_PER_PAGE",
    "ProgressCallback",
    "UploadClient",
    "guess_video_type",
]


class UploadClient:
    """A client of mediabatch's batch-upload API.

    >>> with UploadClient("https://api.example.com", "my-api-key") as client:
    ...     results = client.upload_files([Path("a.mp4"), Path("b.mov")], channel_id="holidays")
    ...     print([r.media_id for r in results])

    `max_workers`: chunks sent at once (per call, across its files; at least 1). `part_retries`:
    further attempts per chunk after the first. `session`: a requests.Session to use (e.g. with
    proxies or a custom adapter); the client's own has a connection pool of `max_workers`.
    The API key is sent to the API only, never to the storage URLs. `timeout`: requests'
    (connect, read) seconds for every request. `retry_backoff`: the first retry's delay in
    seconds (doubling each time, jittered, at most 30 s). `urls_per_page`: URLs asked per
    POST /retry (default the server's maximum, 1000).
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        max_workers: int = 8,
        part_retries: int = 3,
        session: requests.Session | None = None,
        timeout: Timeout = (10.0, 300.0),
        retry_backoff: float = 0.5,
        api_retries: int = 3,
        urls_per_page: int = URLS_PER_PAGE,
    ) -> None:
        if max_workers < 1 or urls_per_page < 1:
            raise ValueError("max_workers and urls_per_page must be >= 1")
        if part_retries < 0 or api_retries < 0:
            raise ValueError("part_retries and api_retries must be >= 0")
        if not api_key:
            raise ValueError("api_key is required")
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self.max_workers = max_workers
        self.part_retries = part_retries
        self.api_retries = api_retries
        self.timeout = timeout
        self.retry_backoff = retry_backoff
        self.urls_per_page = urls_per_page
        self._own_session = session is None
        self.http = new_session(max_workers) if session is None else session
        self._progress_lock = threading.Lock()

    # ------------------------------------------------------------------ lifecycle
    def close(self) -> None:
        """Close the client's own session (a session passed in is left open)."""
        if self._own_session:
            self.http.close()

    def __enter__(self) -> UploadClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # ------------------------------------------------------------------ high level
    def upload_files(
        self, paths: Sequence[PathLike], channel_id: str | None = None, on_progress: ProgressCallback | None = None
    ) -> list[UploadResult]:
        """Upload files and register them as media items; results in the order of `paths`.

        All files are opened with POST /init first (one call per 5 files), so a file the server
        refuses (size, type, name) fails the call before any byte is sent. Then chunks of every
        file share the `max_workers` threads, first file first. If some files fail, the others
        are still uploaded and completed, and BatchUploadError says which failed and why (each
        error's `upload_id` can be resumed)."""
        files = [local_file(p) for p in paths]
        if not files:
            return []
        sessions: list[UploadSession] = []
        for start in range(0, len(files), MAX_FILES_PER_INIT):
            sessions += self.init([p for p, _ in files[start : start + MAX_FILES_PER_INIT]], channel_id)
        transfers = [
            self._opened(path, size, session, on_progress)
            for (path, size), session in zip(files, sessions, strict=True)
        ]
        self._run(transfers)
        results = [t.result for t in transfers if t.result is not None]
        errors = {t.path: t.error for t in transfers if t.error is not None}
        if errors:
            raise BatchUploadError(results, errors)
        return results

    def upload_file(
        self, path: PathLike, channel_id: str | None = None, on_progress: ProgressCallback | None = None
    ) -> UploadResult:
        """Upload one file (see `upload_files`); raises its UploadError if it fails."""
        try:
            return self.upload_files([path], channel_id, on_progress)[0]
        except BatchUploadError as exc:
            raise next(iter(exc.errors.values())) from None

    def resume(self, upload_id: str, path: PathLike, on_progress: ProgressCallback | None = None) -> UploadResult:
        """Finish an upload begun elsewhere (another process, a browser) from its uploadId and
        the local file: sends only the chunks S3 lacks (or holds with the wrong size), then
        completes. An upload already completed just returns its media item. How the file was
        cut (chunk size, the single PUT's Content-Type) comes from GET /progress."""
        local, size = local_file(path)
        progress = self.progress(upload_id)
        if size != progress.size:
            raise UploadError(
                f"{local} has {size} bytes; upload {upload_id} expects {progress.size}",
                code="local_file_changed",
                path=local,
                upload_id=upload_id,
            )
        session = progress.as_session()
        tracker = ProgressTracker(
            self._progress_lock,
            on_progress,
            local,
            session,
            bytes_done=progress.uploaded_bytes,
            chunks_done=progress.completed_count,
        )
        transfer = FileTransfer.resuming(self, local, session, tracker, needed=chunks_to_resume(progress))
        self._run([transfer])
        if transfer.error is not None:
            raise transfer.error
        assert transfer.result is not None
        return transfer.result

    # ------------------------------------------------------------------ low level: one API call each
    def init(self, paths: Sequence[PathLike], channel_id: str | None = None) -> list[UploadSession]:
        """POST /init for up to 5 files (sizes and types from the local files)."""
        files = [local_file(p) for p in paths]
        data = self._api("POST", "/init", json=init_body(files, channel_id), idempotent=False)
        if not isinstance(data, list) or len(data) != len(files):
            raise UploadError(
                f"POST /init answered {len(data) if isinstance(data, list) else data!r} sessions "
                f"for {len(files)} files",
                code="unexpected_response",
            )
        return [UploadSession.from_api(item, size) for item, (_, size) in zip(data, files, strict=True)]

    def progress(self, upload_id: str) -> ServerProgress:
        """GET /progress/{uploadId}: the server's view, reconciled against S3."""
        data = self._api("GET", f"/progress/{quote(upload_id, safe='')}")
        return ServerProgress.from_api(data)

    def retry_urls(self, upload_id: str, limit: int | None = None, after: int | None = None) -> dict[int, str]:
        """POST /retry/{uploadId}?limit=&after=: fresh URLs for the failed and missing chunks (at
        most `limit`, default `urls_per_page`; failed ones first, then missing ones, lowest index
        first; with `after`, only chunks with a higher index), in the server's order."""
        params = {"limit": self.urls_per_page if limit is None else limit}
        if after is not None:
            params["after"] = after
        return retry_page(self._api("POST", f"/retry/{quote(upload_id, safe='')}", params=params))

    def complete(self, upload_id: str) -> dict[str, Any]:
        """POST /complete/{uploadId}: the media item (idempotent: again gives the same item).
        Raises UploadError ``missing_parts`` (see its `missing_chunks`) if chunks are missing."""
        data = self._api("POST", f"/complete/{quote(upload_id, safe='')}")
        if not isinstance(data, dict):
            raise UploadError(f"POST /complete answered {data!r:.200}", code="unexpected_response", upload_id=upload_id)
        return data

    def upload_chunk(
        self,
        session: UploadSession,
        path: PathLike,
        index: int,
        url: str | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        """PUT one chunk (with the client's retries); without `url`, a fresh one from POST /retry.
        Raises PartUploadError if it cannot be stored."""
        local = Path(path)
        transfer = FileTransfer(
            self, local, session, ProgressTracker(self._progress_lock, on_progress, local, session), needed=1
        )
        if url is None:
            url = transfer.fresh_url(index)
        try:
            self._sender().send(transfer, index, url, threading.Event())
        except ChunkFailed as exc:
            raise PartUploadError(
                f"chunk {index} of {local.name} failed: {exc.cause}",
                failed_chunks=[index],
                causes={index: exc.cause},
                upload_id=session.upload_id,
                path=local,
            ) from None

    # ------------------------------------------------------------------ the parts behind it
    def _opened(
        self, path: Path, size: int, session: UploadSession, on_progress: ProgressCallback | None
    ) -> FileTransfer:
        """A file POST /init opened, as a transfer (unless it changed size meanwhile)."""
        if session.size != size:
            raise UploadError(
                f"{path} changed size during init",
                code="local_file_changed",
                path=path,
                upload_id=session.upload_id,
            )
        return FileTransfer.opened(
            self, path, session, ProgressTracker(self._progress_lock, on_progress, path, session)
        )

    def _run(self, transfers: list[FileTransfer]) -> None:
        """Send every file's chunks on one pool of `max_workers` threads, then complete each."""
        Scheduler(self.max_workers, send=self._sender().send, complete=self.complete).run(transfers)

    def _sender(self) -> ChunkSender:
        """Built per call, so settings changed on the client between calls still apply."""
        return ChunkSender(self.http, self.timeout, self.part_retries, self._backoff)

    def _api(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        idempotent: bool = True,
    ) -> Any:
        """One API call; returns the envelope's `data`. Idempotent calls are retried on
        connection errors, 429 and 5xx."""
        return call_api(
            self.http,
            self.base_url,
            self._api_key,
            method,
            path,
            json=json,
            params=params,
            timeout=self.timeout,
            attempts=1 + (self.api_retries if idempotent else 0),
            delay=self._backoff,
        )

    def _backoff(self, attempt: int) -> float:
        """Seconds before retry `attempt`, from this client's `retry_backoff`."""
        return backoff_delay(attempt, self.retry_backoff)
