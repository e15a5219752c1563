"""Batch downloads (`/api/v1/batch`): start one from URLs, read it, watch it, cancel it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import quote

from mediabatch_client.resources._base import WireModel, iterate
from mediabatch_client.resources._polling import last_of, poll
from mediabatch_client.transport import Transport, new_idempotency_key

__all__ = [
    "TERMINAL",
    "Batch",
    "BatchListEntry",
    "BatchPage",
    "BatchSummary",
    "Batches",
    "FileInfo",
    "Job",
    "JobProgress",
    "Subtitle",
]

TERMINAL = frozenset({"completed", "failed", "cancelled"})


class JobProgress(WireModel):
    wire_schema = "ProgressOut"
    percent: float
    downloaded_bytes: int
    total_bytes: int | None


class Subtitle(WireModel):
    wire_schema = "SubtitleOut"
    lang: str
    filepath: str
    download_url: str


class FileInfo(WireModel):
    wire_schema = "FileInfoOut"
    filename: str
    filepath: str
    size_bytes: int
    content_type: str
    media_id: str | None
    subtitles: list[Subtitle]
    download_url: str


class Job(WireModel):
    wire_schema = "JobOut"
    job_id: str
    url: str
    status: str
    title: str | None
    progress: JobProgress
    file_info: FileInfo | None
    error: str | None
    error_code: str | None
    error_detail: str | None
    created_at: str
    started_at: str | None
    completed_at: str | None

    @property
    def name(self) -> str:
        """What a person calls this job: its title, else the URL's last segment."""
        return self.title or self.url.rstrip("/").rsplit("/", 1)[-1] or self.url


class BatchSummary(WireModel):
    wire_schema = "BatchSummaryOut"
    batch_id: str
    status: str
    total_jobs: int
    completed_jobs: int
    failed_jobs: int
    running_jobs: int
    queued_jobs: int
    cancelled_jobs: int


class Batch(BatchSummary):
    wire_schema = "BatchOut"
    jobs: list[Job]
    created_at: str
    started_at: str | None
    completed_at: str | None
    duration_sec: float | None
    error: str | None

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL

    @property
    def percent(self) -> float:
        """The whole batch, 0-100: finished jobs count in full, running ones by their progress."""
        if not self.jobs:
            return 100.0 if self.finished else 0.0
        done = sum(100.0 if j.status in TERMINAL else j.progress.percent for j in self.jobs)
        return done / len(self.jobs)


class BatchListEntry(BatchSummary):
    """One batch of GET /api/v1/batch: a show batch names its feed (`show_url`) and `folder`."""

    wire_schema = "BatchListEntryOut"
    created_at: str
    show_url: str | None
    folder: str | None


class BatchPage(WireModel):
    wire_schema = "BatchListOut"
    batches: list[BatchListEntry]
    next_cursor: str | None

    def page_items(self) -> list[BatchListEntry]:
        return self.batches


class Batches:
    """`client.batches`: batch downloads."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def create(self, urls: Sequence[str], *, idempotency_key: str | None = None, **options: Any) -> BatchSummary:
        """POST /api/v1/batch/download: `options` are the request's other fields
        (concurrent_limit, quality, video_format, webhook_url, ...). Sent with an Idempotency-Key
        (a fresh one unless given), so a retried call never starts a second batch."""
        body = {"urls": list(urls), **{k: v for k, v in options.items() if v is not None}}
        data = self._t.request(
            "POST", "/api/v1/batch/download", json=body, idempotency_key=idempotency_key or new_idempotency_key()
        )
        return BatchSummary.model_validate(data)

    def get(self, batch_id: str) -> Batch:
        return Batch.model_validate(self._t.request("GET", f"/api/v1/batch/{quote(batch_id, safe='')}"))

    def list(self, *, status: str | None = None, limit: int = 20, cursor: str | None = None) -> BatchPage:
        """One page of your batches (show batches too), newest first; `status`: queued, running,
        completed, failed or cancelled."""
        params = {"status": status, "limit": limit, "cursor": cursor}
        return BatchPage.model_validate(self._t.request("GET", "/api/v1/batch", params=params))

    def iter(self, *, status: str | None = None, page_size: int = 100) -> Iterator[BatchListEntry]:
        """Every batch, page after page."""
        return iterate(lambda cursor: self.list(status=status, limit=page_size, cursor=cursor))

    def retry(self, batch_id: str) -> Batch:
        """Run the failed and cancelled jobs of a finished batch again, in the same batch and
        under the same job ids (`409 nothing_to_retry` / `batch_not_finished` otherwise)."""
        data = self._t.request("POST", f"/api/v1/batch/{quote(batch_id, safe='')}/retry", safe=False)
        return Batch.model_validate(data)

    def cancel(self, batch_id: str) -> Batch:
        return Batch.model_validate(self._t.request("DELETE", f"/api/v1/batch/{quote(batch_id, safe='')}"))

    def watch(self, batch_id: str, *, interval: float = 1.0, timeout: float | None = None) -> Iterator[Batch]:
        """Each state of the batch, polled every `interval` s, the last one finished; raises
        TimeoutError after `timeout` s (None: no limit)."""
        return poll(lambda: self.get(batch_id), what=f"batch {batch_id}", interval=interval, timeout=timeout)

    def wait(self, batch_id: str, *, interval: float = 1.0, timeout: float | None = None) -> Batch:
        """The batch once finished (see `watch`)."""
        return last_of(self.watch(batch_id, interval=interval, timeout=timeout))
