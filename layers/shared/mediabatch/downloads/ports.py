"""What batch downloads need from the outside world. The adapters (DynamoDB, S3, yt-dlp, Step
Functions, EventBridge) implement these structurally; tests use the fakes in tests/fakes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from mediabatch.catalog.models import MediaItem
from mediabatch.downloads.models import (
    BatchRecord,
    BatchStatus,
    DownloadResult,
    DownloadSpec,
    FileInfo,
    JobRecord,
    JobStatus,
    Progress,
    StartOutcome,
)


class BatchRepository(Protocol):
    """Batch and job state. Every transition is conditional: of two callers racing for the same
    transition exactly one wins, and a job's counters move with it."""

    def create(self, batch: BatchRecord, jobs: list[JobRecord]) -> None: ...

    def get_batch(self, tenant_id: str, batch_id: str) -> BatchRecord | None: ...

    def list_batches(
        self, tenant_id: str, *, status: BatchStatus | None, limit: int, cursor: str | None
    ) -> tuple[list[BatchRecord], str | None]:
        """The tenant's batches newest first (only those in `status` if given), at most `limit`,
        and the opaque cursor of the next page (None on the last). A cursor of another tenant
        raises ValidationFailed (code `invalid_cursor`)."""
        ...

    def get_batch_with_jobs(self, tenant_id: str, batch_id: str) -> tuple[BatchRecord, list[JobRecord]] | None:
        """The batch and its jobs in index order; None if the batch does not exist."""
        ...

    def get_batch_and_job(
        self, tenant_id: str, batch_id: str, index: int
    ) -> tuple[BatchRecord | None, JobRecord | None]: ...

    def start_job(self, job: JobRecord) -> StartOutcome:
        """queued -> running unless the batch refuses new starts (then the job ends cancelled)."""
        ...

    def finish_job(
        self,
        job: JobRecord,
        status: JobStatus,
        *,
        from_status: JobStatus = JobStatus.RUNNING,
        error: str | None = None,
        error_code: str | None = None,
        error_detail: str | None = None,
        title: str | None = None,
        file_info: FileInfo | None = None,
        media: MediaItem | None = None,
    ) -> bool:
        """Move a job from `from_status` to a terminal status (`error`, `error_code` and
        `error_detail` say why it failed or was cancelled); False if it was not in
        `from_status` any more. `media`, the catalog item of the stored file, is written in the
        same atomic step: the job is completed if and only if its file is in the catalog."""
        ...

    def update_progress(
        self, job: JobRecord, *, percent: float, downloaded: int, total: int | None, title: str | None
    ) -> bool:
        """Record progress; False when the job should stop (cancel requested or not running)."""
        ...

    def request_stop(self, tenant_id: str, batch_id: str) -> None:
        """No further job of the batch may start (stop_on_error)."""
        ...

    def set_terminal(
        self, tenant_id: str, batch_id: str, status: BatchStatus, *, error: str | None = None
    ) -> BatchRecord | None:
        """Active -> terminal, not yet announced. Exactly one caller gets the new record."""
        ...

    def mark_announced(self, tenant_id: str, batch_id: str, for_round: int) -> None:
        """Record that `for_round`'s end was announced (a no-op once a newer round began)."""

    def request_cancel(self, job: JobRecord) -> None:
        """Ask a running job to stop (a no-op for a job that is not running)."""
        ...

    def reopen(self, batch: BatchRecord, jobs: list[JobRecord]) -> BatchRecord | None:
        """A retry round: the terminal `batch` becomes queued again with `round + 1`, and `jobs`
        (failed or cancelled) become queued, counters moving with them in transactions. None if
        the batch was not in `batch.status` any more (another retry won)."""
        ...


class StorageKeyRegistry(Protocol):
    """Claims on storage keys, so no two jobs (or batches) ever write the same object."""

    def reserve(self, tenant_id: str, key: str, owner: str) -> bool:
        """True if `key` is now (or already was) `owner`'s."""
        ...

    def release(self, tenant_id: str, key: str, owner: str) -> None: ...


class ProgressiveUpload(Protocol):
    """An upload that runs while the file is still being written."""

    def feed(self, path: Path, available: int) -> None: ...

    def finish(self, path: Path) -> bool:
        """True if the object is complete; False if the caller must upload `path` itself."""
        ...

    def abort(self) -> None: ...


class MediaFileStorage(Protocol):
    """Where downloaded files go (the media bucket)."""

    def upload_file(self, path: Path, key: str, content_type: str) -> int:
        """Store the file under `key`; its size in bytes."""
        ...

    def delete(self, keys: list[str]) -> None: ...

    def progressive_upload(self, key: str, content_type: str) -> ProgressiveUpload: ...

    def download_url(self, key: str, filename: str, ttl_seconds: int | None = None) -> str: ...


OnProgress = Callable[[Progress], None]
OnPlan = Callable[[dict[str, Any], bool], None]
OnData = Callable[[Path, int], None]


class Downloader(Protocol):
    def download(
        self,
        spec: DownloadSpec,
        work_dir: Path,
        on_progress: OnProgress,
        deadline: float,
        *,
        on_plan: OnPlan | None = None,
        on_data: OnData | None = None,
    ) -> DownloadResult:
        """Download `spec.url` into `work_dir`; raises JobCancelled (when `on_progress` does),
        JobTimedOut past `deadline` (time.monotonic) and DownloadFailed with a message for users.

        `on_plan(info, streamable)` is called once the media is resolved, before any byte is
        fetched; `streamable` says the file on disk will be the final file byte for byte, so it
        may be uploaded while it downloads: then `on_data(path, available)` follows the bytes."""
        ...


class BatchWorkflow(Protocol):
    """Runs a batch's jobs, at most `concurrent_limit` at a time (the state machine)."""

    def start(
        self, *, tenant_id: str, batch_id: str, concurrent_limit: int, job_ids: list[str], round: int = 1
    ) -> None:
        """Starting the same batch (and round) twice is harmless."""
        ...


class EventPublisher(Protocol):
    """Domain events for integrators and webhooks (`job.*`, `batch.*`)."""

    def publish(self, detail_type: str, detail: dict[str, Any]) -> None: ...


class UrlChecker(Protocol):
    """The SSRF policy: raises UnsafeUrl for a URL the service must not fetch."""

    def check_url(self, url: str, *, resolve: bool = True) -> None: ...


class MediaTypeProbe(Protocol):
    """Asks a URL what it serves without reading its body (an SSRF-guarded HEAD)."""

    def content_type(self, url: str, *, timeout_seconds: float) -> str | None:
        """The media type of a successful answer (lower case, no parameters); None when unknown
        (no answer in time, an error status, a redirect, or no Content-Type)."""
        ...
