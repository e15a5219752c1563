"""One file's upload within one call: which chunks are still to send, which URL each goes to,
and what came of each, until the file is completed or has failed.

URLs come from POST /init, then from POST /retry pages asked with ``?after=``: to refresh (or
get the first URLs of) the queued chunks from a given one on, and, on resume, to discover the
chunks S3 lacks page by page (`cursor`: the last chunk the pages listed), so a page brings
chunks not yet known whatever is still in flight."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, Protocol

from mediabatch_client.errors import Aborted, ChunkFailed, PartUploadError, UploadError
from mediabatch_client.models import ServerProgress, UploadResult, UploadSession
from mediabatch_client.progress import ProgressTracker

__all__ = ["FileTransfer", "Job", "UrlSource", "chunks_to_resume"]


class UrlSource(Protocol):
    """Where a transfer gets freshly signed chunk URLs: POST /retry (the client)."""

    @property
    def urls_per_page(self) -> int: ...

    def retry_urls(self, upload_id: str, limit: int | None = None, after: int | None = None) -> dict[int, str]: ...


@dataclass
class Job:
    """One thing for a worker to do: PUT chunk `index` to `url`, or (index None) POST /complete."""

    transfer: FileTransfer
    index: int | None  # None: POST /complete
    url: str = ""


def chunks_to_resume(progress: ServerProgress) -> int:
    """How many chunks a resume must send, as GET /progress tells it: none once the upload is
    "completed" (/complete gives the item again) or "failed" (S3 no longer has the multipart
    upload; /complete registers the file if S3 finished it, else says upload_expired)."""
    if progress.status in ("completed", "failed"):
        return 0
    return progress.total_chunks - progress.completed_count


@dataclass
class FileTransfer:
    """The state of one file's upload within one call. Only the scheduling thread touches it,
    except `urls` (guarded by `lock`), which a worker refreshes after a 403."""

    api: UrlSource
    path: Path
    session: UploadSession
    tracker: ProgressTracker
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

    @classmethod
    def opened(cls, api: UrlSource, path: Path, session: UploadSession, tracker: ProgressTracker) -> FileTransfer:
        """A file POST /init just opened: every chunk to send, with the URLs init signed."""
        transfer = cls(api, path, session, tracker, needed=session.total_chunks)
        transfer.known = set(range(session.total_chunks))
        transfer.queue = deque(range(session.total_chunks))
        transfer.add_urls(dict(enumerate(session.presigned_urls)), discover=False)
        return transfer

    @classmethod
    def resuming(
        cls, api: UrlSource, path: Path, session: UploadSession, tracker: ProgressTracker, needed: int
    ) -> FileTransfer:
        """An upload begun elsewhere: which chunks S3 lacks is learnt from POST /retry pages."""
        return cls(api, path, session, tracker, needed=needed, resumed=True, discovering=needed > 0)

    @property
    def finished(self) -> bool:
        return self.result is not None or self.error is not None

    def _mark(self) -> int:
        return len(self.done) + len(self.failed)

    def _stale(self, signed_at: float) -> bool:
        """A URL about to expire (within a fifth of its lifetime, at most 5 minutes) counts as
        expired: a part sent on it could outlive it."""
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

    def fresh_url(self, index: int) -> str:
        """A newly signed URL for one chunk (POST /retry from that chunk on); refreshes the URLs of
        the file's queued chunks after it too."""
        page = self.api.retry_urls(self.session.upload_id, after=index - 1 if index > 0 else None)
        self.add_urls(page, discover=False)
        if index not in page:
            raise UploadError(
                f"POST /retry gave no URL for chunk {index} (the server does not list it as missing)",
                code="no_urls",
                upload_id=self.session.upload_id,
                path=self.path,
            )
        return page[index]

    def next_job(self, window: int) -> Job | None:
        """The next thing to do for this file, or None (finished, or waiting for chunks in flight)."""
        if self.finished or self.completing:
            return None
        self._fetch_if_due(window)
        if self.queue:
            return self._next_chunk()
        if self.inflight:
            return None
        if self.failed:
            raise self._parts_failed()
        self.completing = True
        return Job(self, None)

    def _next_chunk(self) -> Job | None:
        """The first queued chunk with its URL, or None while chunks in flight may yet bring one."""
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
        return Job(self, index, url)

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
            self._discover_next_page()
        if self._refresh_queued_urls(window):
            return
        if (
            not self.queue
            and not self.inflight
            and not self.discovering
            and not self.swept
            and len(self.known) < self.needed
        ):
            # A page of nothing but failed chunks can hide missing ones below its last index.
            self.swept = self.add_urls(self.api.retry_urls(self.session.upload_id), discover=True) == 0

    def _discover_next_page(self) -> None:
        page = self.api.retry_urls(self.session.upload_id, after=self.cursor if self.cursor >= 0 else None)
        self.add_urls(page, discover=True)
        if page:
            self.cursor = list(page)[-1]  # failed chunks come first, then missing ones in order
        self.discovering = len(page) >= self.api.urls_per_page

    def _refresh_queued_urls(self, window: int) -> bool:
        """True when one of the next queued chunks lacks a fresh URL (asked for, unless the same
        question was already asked since the last chunk ended)."""
        first = next((i for i in islice(self.queue, window + 1) if not self._has_fresh_url(i)), None)
        if first is None:
            return False
        key = (self._mark(), first - 1 if first > 0 else None)
        if self.last_fetch != key:
            self.last_fetch = key
            self.add_urls(self.api.retry_urls(self.session.upload_id, after=key[1]), discover=False)
        return True

    def _has_fresh_url(self, index: int) -> bool:
        with self.lock:
            entry = self.urls.get(index)
        return entry is not None and not self._stale(entry[1])

    def fail(self, error: UploadError) -> None:
        """The file failed: keep its first error (with the upload id to resume) and send no more."""
        if error.upload_id is None:
            error.upload_id = self.session.upload_id
        if error.path is None:
            error.path = self.path
        if self.error is None:
            self.error = error
        self.queue.clear()

    def job_ended(self, job: Job, future: Future[Any]) -> None:
        """Take in what a worker's job came to; anything but the client's own errors is raised."""
        exc = future.exception()
        if job.index is None:
            self._completion_ended(future, exc)
        else:
            self._chunk_ended(job.index, exc)

    def _completion_ended(self, future: Future[Any], exc: BaseException | None) -> None:
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

    def _chunk_ended(self, index: int, exc: BaseException | None) -> None:
        self.inflight.discard(index)
        if exc is None:
            self.done.add(index)
        elif isinstance(exc, ChunkFailed):
            self.failed[index] = exc.cause
        elif isinstance(exc, UploadError):
            self.fail(exc)
        elif not isinstance(exc, Aborted):
            raise exc
