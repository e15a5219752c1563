"""`UploadClient`: uploads local files to mediabatch through its hybrid batch-upload API.

The flow (docs: /work/shared/seeds/batch-upload-frontend.md, server: mediabatch.uploads):

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

Thread safety: one `UploadClient` may be used by one call at a time per thread; progress
callbacks are called one at a time (under a lock), from the worker threads.
"""

from __future__ import annotations

import logging
import mimetypes
import os
import random
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter

from mediabatch_client.errors import BatchUploadError, PartUploadError, UploadError
from mediabatch_client.models import ServerProgress, UploadProgress, UploadResult, UploadSession

__all__ = [
    "API_PREFIX",
    "MAX_FILES_PER_INIT",
    "SEND_BLOCK",
    "URLS_PER_PAGE",
    "ProgressCallback",
    "UploadClient",
    "guess_video_type",
]

logger = logging.getLogger("mediabatch_client")

API_PREFIX = "/api/v1/videos/batch"
MAX_FILES_PER_INIT = 5  # the server's limit per POST /init
URLS_PER_PAGE = 1000  # the server's limit per answer (POST /retry?limit=)
SEND_BLOCK = 1024 * 1024  # bytes read from the file and handed to the socket at a time
_PROGRESS_STEP = 256 * 1024  # callbacks at most every this many bytes of a file (and at each chunk)
_RETRYABLE_API_STATUS = frozenset({429, 500, 502, 503, 504})
_RETRYABLE_S3_CODES = frozenset(
    {"RequestTimeout", "SlowDown", "InternalError", "ServiceUnavailable", "RequestTimeTooSkewed"}
)
_S3_CODE = re.compile(r"<Code>([^<]+)</Code>")
_VIDEO_TYPES = {  # as the server guesses them (mediabatch.adapters.s3.media_bucket)
    ".mp4": "video/mp4",
    ".m4v": "video/x-m4v",
    ".mov": "video/quicktime",
    ".webm": "video/webm",
    ".mkv": "video/x-matroska",
    ".avi": "video/x-msvideo",
    ".mpg": "video/mpeg",
    ".mpeg": "video/mpeg",
    ".ts": "video/mp2t",
    ".m2ts": "video/mp2t",
    ".3gp": "video/3gpp",
    ".ogv": "video/ogg",
    ".flv": "video/x-flv",
    ".wmv": "video/x-ms-wmv",
}

ProgressCallback = Callable[[UploadProgress], None]
Timeout = float | tuple[float, float]
PathLike = str | os.PathLike[str]


def guess_video_type(filename: str) -> str | None:
    """The Content-Type the server would guess for `filename`, if it is a video type."""
    suffix = os.path.splitext(filename)[1].lower()
    guessed = _VIDEO_TYPES.get(suffix) or mimetypes.guess_type(filename)[0]
    return guessed if guessed and guessed.startswith("video/") else None


class _Aborted(Exception):
    """The call is being abandoned (another error, or KeyboardInterrupt): stop sending."""


class _ChunkFailed(Exception):
    """One chunk could not be stored after every retry (the file's other chunks go on)."""

    def __init__(self, cause: str) -> None:
        super().__init__(cause)
        self.cause = cause


class _PartReader:
    """Bytes ``[offset, offset + length)`` of a file as a file-like request body, read block by
    block while requests sends it: a part is never held whole in memory."""

    def __init__(
        self, path: Path, offset: int, length: int, on_read: Callable[[int], None], abort: threading.Event
    ) -> None:
        self._path = path
        self._offset = offset
        self._length = length
        self._remaining = length
        self._on_read = on_read
        self._abort = abort
        self._fh: Any = None
        self.sent = 0
        self.local_error: UploadError | None = None

    def __len__(self) -> int:  # requests sends Content-Length: len(body)
        return self._length

    def __iter__(self) -> Iterator[bytes]:
        while block := self.read(SEND_BLOCK):
            yield block

    def read(self, size: int | None = -1) -> bytes:
        if self._abort.is_set():
            raise _Aborted
        if self._remaining <= 0:
            return b""
        wanted = self._remaining if size is None or size < 0 else min(size, self._remaining)
        wanted = min(wanted, SEND_BLOCK)
        try:
            if self._fh is None:
                self._fh = open(self._path, "rb")  # noqa: SIM115 - closed in close()
                self._fh.seek(self._offset)
            data: bytes = self._fh.read(wanted)
        except OSError as exc:
            self.local_error = UploadError(f"cannot read {self._path}: {exc}", code="local_file_error", path=self._path)
            raise self.local_error from exc
        if len(data) != wanted:
            self.local_error = UploadError(
                f"{self._path} is shorter than when the upload started", code="local_file_changed", path=self._path
            )
            raise self.local_error
        self._remaining -= wanted
        self.sent += wanted
        self._on_read(wanted)
        return data

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


class _Tracker:
    """One file's progress; calls the callback under the client's lock (one call at a time)."""

    def __init__(
        self,
        lock: threading.Lock,
        callback: ProgressCallback | None,
        path: Path,
        session: UploadSession,
        bytes_done: int = 0,
        chunks_done: int = 0,
    ) -> None:
        self._lock = lock
        self._callback = callback
        self._path = path
        self._session = session
        self.bytes_done = bytes_done
        self.chunks_done = chunks_done
        self.bytes_sent = 0
        self._emitted = -_PROGRESS_STEP

    def add_bytes(self, n: int) -> None:
        with self._lock:
            self.bytes_done += n
            self.bytes_sent += n
            if n < 0 or self.bytes_done - self._emitted >= _PROGRESS_STEP:
                self._emit(False)

    def chunk_done(self) -> None:
        with self._lock:
            self.chunks_done += 1
            self._emit(False)

    def completed(self) -> None:
        with self._lock:
            self.chunks_done = self._session.total_chunks
            self.bytes_done = self._session.size
            self._emit(True)

    def start(self) -> None:
        with self._lock:
            self._emit(False)

    def _emit(self, completed: bool) -> None:
        self._emitted = self.bytes_done
        if self._callback is not None:
            s = self._session
            self._callback(
                UploadProgress(
                    path=self._path,
                    filename=s.filename,
                    upload_id=s.upload_id,
                    bytes_done=self.bytes_done,
                    total_bytes=s.size,
                    chunks_done=self.chunks_done,
                    total_chunks=s.total_chunks,
                    completed=completed,
                )
            )


@dataclass
class _Job:
    transfer: _FileTransfer
    index: int | None  # None: POST /complete
    url: str = ""


@dataclass
class _FileTransfer:
    """The state of one file's upload within one call. Only the scheduling thread touches it,
    except `urls` (guarded by `lock`), which a worker refreshes after a 403.

    URLs come from POST /init, then from POST /retry pages asked with ``?after=``: to refresh
    (or get the first URLs of) the queued chunks from a given one on, and, on resume, to
    discover the chunks S3 lacks page by page (`cursor`: the last chunk the pages listed)."""

    client: UploadClient
    path: Path
    session: UploadSession
    tracker: _Tracker
    needed: int  # how many chunks this call must send
    resumed: bool = False
    discovering: bool = False  # resume: chunks above `cursor` are not listed yet
    cursor: int = -1  # resume: the last chunk index a discovery page listed (the next page's ?after=)
    queue: deque[int] = field(default_factory=deque)
    known: set[int] = field(default_factory=set)  # every chunk ever queued
    urls: dict[int, tuple[str, float]] = field(default_factory=dict)  # chunk -> (URL, monotonic time it was signed)
    inflight: set[int] = field(default_factory=set)
    done: set[int] = field(default_factory=set)
    failed: dict[int, str] = field(default_factory=dict)
    completing: bool = False
    swept: bool = False  # an unpaged POST /retry found nothing more to send: no further one
    last_fetch: tuple[int, int | None] | None = None  # (progress mark, after) of the last refresh
    result: UploadResult | None = None
    error: UploadError | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def finished(self) -> bool:
        return self.result is not None or self.error is not None

    def _mark(self) -> int:
        return len(self.done) + len(self.failed)

    def _stale(self, signed_at: float) -> bool:
        ttl = self.session.urls_expire_in_seconds
        return time.monotonic() - signed_at > ttl - min(300.0, ttl * 0.2)

    def add_urls(self, urls: Mapping[int, str], *, discover: bool) -> int:
        """Take fresh URLs; with `discover`, queue chunks not seen before. Returns how many were new."""
        now = time.monotonic()
        new = 0
        with self.lock:
            for index, url in sorted(urls.items()):
                if not 0 <= index < self.session.total_chunks:
                    continue
                if index in self.known:
                    if index not in self.done and index not in self.inflight and index not in self.failed:
                        self.urls[index] = (url, now)
                elif discover:
                    self.known.add(index)
                    self.queue.append(index)
                    self.urls[index] = (url, now)
                    new += 1
        return new

    def next_job(self, window: int) -> _Job | None:
        """The next thing to do for this file, or None (finished, or waiting for chunks in flight)."""
        if self.finished or self.completing:
            return None
        self._fetch_if_due(window)
        if self.queue:
            if not self._has_fresh_url(self.queue[0]):
                if self.inflight:
                    return None  # ask again once a chunk in flight ends
                raise UploadError(
                    f"the server gave no URL for chunk {self.queue[0]} (it does not list it as missing)",
                    code="no_urls",
                    upload_id=self.session.upload_id,
                    path=self.path,
                )
            index = self.queue.popleft()
            with self.lock:
                url, _ = self.urls.pop(index)
            self.inflight.add(index)
            return _Job(self, index, url)
        if self.inflight:
            return None
        if self.failed:
            raise self._parts_failed()
        self.completing = True
        return _Job(self, None)

    def _parts_failed(self) -> PartUploadError:
        return PartUploadError(
            f"{len(self.failed)} chunk(s) of {self.path.name} failed after retries: "
            + "; ".join(f"chunk {i}: {cause}" for i, cause in sorted(self.failed.items())[:5])
            + ". The other chunks are stored: resume(upload_id, path) sends only what is missing.",
            failed_chunks=list(self.failed),
            causes=self.failed,
            upload_id=self.session.upload_id,
            path=self.path,
        )

    def _fetch_if_due(self, window: int) -> None:
        """Ask POST /retry for the next discovery page when the queue runs low (resume); for
        URLs when one of the next `window` + 1 queued chunks has none (or one about to expire),
        from that chunk on (the same question at most once between two chunk ends); and, once
        pages and chunks are through but fewer chunks were found than /progress said were
        lacking, unpaged (nothing in flight then: the answer is exactly what S3 lacks)."""
        if self.discovering and len(self.queue) < window:
            page = self.client.retry_urls(self.session.upload_id, after=self.cursor if self.cursor >= 0 else None)
            self.add_urls(page, discover=True)
            if page:
                self.cursor = list(page)[-1]  # failed chunks come first, then missing ones in order
            self.discovering = len(page) >= self.client.urls_per_page
        first = next((i for i in islice(self.queue, window + 1) if not self._has_fresh_url(i)), None)
        if first is not None:
            key = (self._mark(), first - 1 if first > 0 else None)
            if self.last_fetch != key:
                self.last_fetch = key
                self.add_urls(self.client.retry_urls(self.session.upload_id, after=key[1]), discover=False)
            return
        if (
            not self.queue
            and not self.inflight
            and not self.discovering
            and not self.swept
            and len(self.known) < self.needed
        ):
            # A page of nothing but failed chunks can hide missing ones below its last index.
            self.swept = self.add_urls(self.client.retry_urls(self.session.upload_id), discover=True) == 0

    def _has_fresh_url(self, index: int) -> bool:
        with self.lock:
            entry = self.urls.get(index)
        return entry is not None and not self._stale(entry[1])

    def fail(self, error: UploadError) -> None:
        if error.upload_id is None:
            error.upload_id = self.session.upload_id
        if error.path is None:
            error.path = self.path
        if self.error is None:
            self.error = error
        self.queue.clear()

    def job_ended(self, job: _Job, future: Future[Any]) -> None:
        exc = future.exception()
        if job.index is None:
            self.completing = False
            if exc is None:
                media = future.result()
                self.tracker.completed()
                s = self.session
                self.result = UploadResult(
                    path=self.path,
                    upload_id=s.upload_id,
                    file_id=s.file_id,
                    media=media,
                    chunks_sent=len(self.done),
                    bytes_sent=self.tracker.bytes_sent,
                    resumed=self.resumed,
                )
            elif isinstance(exc, UploadError):
                self.fail(exc)
            else:
                raise exc
            return
        self.inflight.discard(job.index)
        if exc is None:
            self.done.add(job.index)
        elif isinstance(exc, _ChunkFailed):
            self.failed[job.index] = exc.cause
        elif isinstance(exc, UploadError):
            self.fail(exc)
        elif not isinstance(exc, _Aborted):
            raise exc


class _BlockAdapter(HTTPAdapter):
    """Sends request bodies in SEND_BLOCK blocks (urllib3's default is 16 KiB)."""

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any) -> None:
        pool_kwargs.setdefault("blocksize", SEND_BLOCK)
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)


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
        if session is None:
            session = requests.Session()
            adapter = _BlockAdapter(pool_connections=4, pool_maxsize=max_workers + 2)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
        self.http = session
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
        files = [self._local_file(p) for p in paths]
        if not files:
            return []
        sessions: list[UploadSession] = []
        for start in range(0, len(files), MAX_FILES_PER_INIT):
            sessions += self.init([p for p, _ in files[start : start + MAX_FILES_PER_INIT]], channel_id)
        transfers = []
        for (path, size), session in zip(files, sessions, strict=True):
            if session.size != size:
                raise UploadError(
                    f"{path} changed size during init",
                    code="local_file_changed",
                    path=path,
                    upload_id=session.upload_id,
                )
            transfer = _FileTransfer(
                self,
                path,
                session,
                _Tracker(self._progress_lock, on_progress, path, session),
                needed=session.total_chunks,
            )
            transfer.known = set(range(session.total_chunks))
            transfer.queue = deque(range(session.total_chunks))
            transfer.add_urls(dict(enumerate(session.presigned_urls)), discover=False)
            transfers.append(transfer)
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
        local, size = self._local_file(path)
        progress = self.progress(upload_id)
        if size != progress.size:
            raise UploadError(
                f"{local} has {size} bytes; upload {upload_id} expects {progress.size}",
                code="local_file_changed",
                path=local,
                upload_id=upload_id,
            )
        session = progress.as_session()
        # "completed": /complete gives the item again. "failed": S3 no longer has the multipart
        # upload; /complete registers the file if S3 finished it, else says upload_expired.
        needed = 0 if progress.status in ("completed", "failed") else progress.total_chunks - progress.completed_count
        tracker = _Tracker(
            self._progress_lock,
            on_progress,
            local,
            session,
            bytes_done=progress.uploaded_bytes,
            chunks_done=progress.completed_count,
        )
        transfer = _FileTransfer(self, local, session, tracker, needed=needed, resumed=True, discovering=needed > 0)
        self._run([transfer])
        if transfer.error is not None:
            raise transfer.error
        assert transfer.result is not None
        return transfer.result

    # ------------------------------------------------------------------ low level: one API call each
    def init(self, paths: Sequence[PathLike], channel_id: str | None = None) -> list[UploadSession]:
        """POST /init for up to 5 files (sizes and types from the local files)."""
        files = [self._local_file(p) for p in paths]
        body: dict[str, Any] = {
            "files": [
                {"filename": p.name, "size": size, **({"type": t} if (t := guess_video_type(p.name)) else {})}
                for p, size in files
            ]
        }
        if channel_id is not None:
            body["channel_id"] = channel_id
        data = self._api("POST", "/init", json=body, idempotent=False)
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
        data = self._api("POST", f"/retry/{quote(upload_id, safe='')}", params=params)
        if not isinstance(data, list):
            raise UploadError(f"POST /retry answered {data!r:.200}", code="unexpected_response")
        try:
            return {int(item["chunkIndex"]): str(item["url"]) for item in data}
        except (KeyError, TypeError, ValueError) as exc:
            raise UploadError(f"POST /retry answered {data!r:.200}", code="unexpected_response") from exc

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
        transfer = _FileTransfer(
            self, local, session, _Tracker(self._progress_lock, on_progress, local, session), needed=1
        )
        if url is None:
            url = self._fresh_url(transfer, index)
        try:
            self._send_chunk(transfer, index, url, threading.Event())
        except _ChunkFailed as exc:
            raise PartUploadError(
                f"chunk {index} of {local.name} failed: {exc.cause}",
                failed_chunks=[index],
                causes={index: exc.cause},
                upload_id=session.upload_id,
                path=local,
            ) from None

    # ------------------------------------------------------------------ scheduling
    def _run(self, transfers: list[_FileTransfer]) -> None:
        """Send every file's chunks on one pool of `max_workers` threads, then complete each."""
        for transfer in transfers:
            transfer.tracker.start()
        abort = threading.Event()
        pool = ThreadPoolExecutor(max_workers=self.max_workers, thread_name_prefix="mediabatch-upload")
        running: dict[Future[Any], _Job] = {}
        try:
            while True:
                for transfer in transfers:
                    while len(running) < self.max_workers:
                        try:
                            job = transfer.next_job(self.max_workers)
                        except UploadError as exc:
                            transfer.fail(exc)
                            break
                        if job is None:
                            break
                        future: Future[Any]
                        if job.index is None:
                            future = pool.submit(self.complete, transfer.session.upload_id)
                        else:
                            future = pool.submit(self._send_chunk, transfer, job.index, job.url, abort)
                        running[future] = job
                if not running:
                    break
                ended, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for future in ended:
                    job = running.pop(future)
                    job.transfer.job_ended(job, future)
        except BaseException:
            abort.set()  # chunks being sent stop at their next block
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _send_chunk(self, transfer: _FileTransfer, index: int, url: str, abort: threading.Event) -> None:
        """PUT chunk `index` to S3, retrying; raises _ChunkFailed when retries are spent."""
        session = transfer.session
        offset, length = session.chunk_range(index)
        headers = dict(session.required_headers)
        attempt = 0
        while True:
            reader = _PartReader(transfer.path, offset, length, transfer.tracker.add_bytes, abort)
            refresh = False
            try:
                response = self.http.put(url, data=reader, headers=headers, timeout=self.timeout)
            except UploadError:  # the local file, raised as is
                transfer.tracker.add_bytes(-reader.sent)
                raise
            except (requests.RequestException, _Aborted) as exc:
                transfer.tracker.add_bytes(-reader.sent)
                if reader.local_error is not None:
                    raise reader.local_error from exc
                if isinstance(exc, _Aborted) or abort.is_set():
                    raise _Aborted from exc
                cause = f"{type(exc).__name__}: {exc}"
            else:
                status, text = response.status_code, response.text[:2000]
                response.close()
                if status < 300:
                    transfer.tracker.chunk_done()
                    return
                transfer.tracker.add_bytes(-reader.sent)
                match = _S3_CODE.search(text)
                code = match.group(1) if match else ""
                cause = f"storage answered HTTP {status}{' ' + code if code else ''}"
                if status == 404 and code == "NoSuchUpload":
                    raise UploadError(
                        "S3 no longer knows this multipart upload (expired or aborted); start a new upload",
                        code="upload_gone",
                        status=status,
                        upload_id=session.upload_id,
                        path=transfer.path,
                    )
                if status == 403:
                    refresh = True  # an expired (or otherwise refused) signature: ask for a fresh URL
                elif status not in _RETRYABLE_API_STATUS and code not in _RETRYABLE_S3_CODES:
                    raise _ChunkFailed(f"{cause}: {text[:300]}")
            finally:
                reader.close()
            attempt += 1
            if attempt > self.part_retries:
                raise _ChunkFailed(f"{cause} (after {attempt} attempts)")
            logger.info(
                "chunk %d of %s: %s; retry %d of %d", index, session.upload_id, cause, attempt, self.part_retries
            )
            if abort.wait(self._backoff(attempt)):
                raise _Aborted
            if refresh:
                url = self._fresh_url(transfer, index)

    def _fresh_url(self, transfer: _FileTransfer, index: int) -> str:
        """A newly signed URL for one chunk (POST /retry from that chunk on); refreshes the URLs of
        the file's queued chunks after it too."""
        page = self.retry_urls(transfer.session.upload_id, after=index - 1 if index > 0 else None)
        transfer.add_urls(page, discover=False)
        if index not in page:
            raise UploadError(
                f"POST /retry gave no URL for chunk {index} (the server does not list it as missing)",
                code="no_urls",
                upload_id=transfer.session.upload_id,
                path=transfer.path,
            )
        return page[index]

    # ------------------------------------------------------------------ HTTP
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
        url = f"{self.base_url}{API_PREFIX}{path}"
        headers = {"X-API-Key": self._api_key, "Accept": "application/json"}
        attempts = 1 + (self.api_retries if idempotent else 0)
        for attempt in range(1, attempts + 1):
            try:
                response = self.http.request(
                    method, url, json=json, params=params, headers=headers, timeout=self.timeout
                )
            except requests.RequestException as exc:
                if attempt < attempts:
                    time.sleep(self._backoff(attempt))
                    continue
                raise UploadError(
                    f"{method} {API_PREFIX}{path}: {type(exc).__name__}: {exc}", code="connection_error"
                ) from exc
            if response.status_code in _RETRYABLE_API_STATUS and attempt < attempts:
                logger.info("%s %s answered %d; retrying", method, path, response.status_code)
                time.sleep(self._backoff(attempt))
                continue
            return _data_of(response, f"{method} {API_PREFIX}{path}")
        raise AssertionError("unreachable")

    def _backoff(self, attempt: int) -> float:
        return float(min(30.0, self.retry_backoff * 2 ** (attempt - 1)) * (0.5 + random.random()))  # noqa: S311

    @staticmethod
    def _local_file(path: PathLike) -> tuple[Path, int]:
        local = Path(path)
        try:
            size = local.stat().st_size
        except OSError as exc:
            raise UploadError(f"cannot read {local}: {exc}", code="local_file_error", path=local) from exc
        if not local.is_file():
            raise UploadError(f"{local} is not a regular file", code="local_file_error", path=local)
        return local, size


def _data_of(response: requests.Response, what: str) -> Any:
    """The `data` of the API's ``{"success": true, "data": ...}``, or its error as UploadError."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise UploadError(
            f"{what} answered HTTP {response.status_code} without JSON: {response.text[:300]!r}",
            code=f"http_{response.status_code}",
            status=response.status_code,
        )
    if response.status_code >= 400 or body.get("success") is False:
        error = body.get("error")
        if isinstance(error, dict):
            code, message, details = str(error.get("code", "")), str(error.get("message", "")), error.get("details")
        else:
            code, message, details = "", str(error or body.get("message") or ""), None
        raise UploadError(
            message or f"{what} failed",
            code=code or f"http_{response.status_code}",
            status=response.status_code,
            details=details,
        )
    if "data" not in body:
        raise UploadError(f"{what} answered without data: {body!r:.300}", code="unexpected_response")
    return body["data"]
