"""One job of a batch: start it (or not), download, store, record the outcome."""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mediabatch.downloads.failures import FailureCode, JobFailure
from mediabatch.downloads.finalizer import BatchFinalizer
from mediabatch.downloads.models import (
    NOT_STARTED,
    BatchRecord,
    DownloadFailed,
    DownloadSpec,
    JobCancelled,
    JobRecord,
    JobStatus,
    JobTimedOut,
    Progress,
    StartOutcome,
)
from mediabatch.downloads.ports import BatchRepository, Downloader, MediaFileStorage, StorageKeyRegistry
from mediabatch.downloads.service import job_index
from mediabatch.downloads.transfer import JobFileTransfer, StoredFile

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobLimits:
    """How long a job may run and where it works (from Settings, passed in by the container)."""

    job_timeout_seconds: float
    safety_margin_seconds: float
    work_dir: str | None = None


@dataclass(frozen=True)
class JobRun:
    """What a run (or a crash report) did to a job: `status` is a job status, or `missing`,
    `skipped`, `already_finished`."""

    job_id: str
    status: str
    error: str | None = None


@dataclass
class _Attempt:
    status: JobStatus = JobStatus.FAILED
    failure: JobFailure | None = None
    stored: StoredFile | None = None

    @property
    def error(self) -> str | None:
        return self.failure.message if self.failure else None


class DownloadJobRunner:
    def __init__(
        self,
        store: BatchRepository,
        keys: StorageKeyRegistry,
        storage: MediaFileStorage,
        downloader: Downloader,
        finalizer: BatchFinalizer,
        limits: JobLimits,
    ) -> None:
        self._store = store
        self._keys = keys
        self._storage = storage
        self._downloader = downloader
        self._finalizer = finalizer
        self._limits = limits

    def run(self, tenant_id: str, batch_id: str, job_id: str, remaining_seconds: Callable[[], float]) -> JobRun:
        batch, job = self._store.get_batch_and_job(tenant_id, batch_id, job_index(job_id))
        if batch is None or job is None:
            return JobRun(job_id, "missing")
        outcome = self._store.start_job(job)
        if outcome is not StartOutcome.STARTED:
            if outcome is StartOutcome.CANCELLED:
                self._finalizer.announce_job(job, JobStatus.CANCELLED, NOT_STARTED, FailureCode.NOT_STARTED.value)
            self._finalizer.finalize_if_done(tenant_id, batch_id)
            return JobRun(job_id, outcome.value)
        transfer = JobFileTransfer(self._keys, self._storage, batch, job)
        attempt = self._download(batch, job, transfer, remaining_seconds)
        self._record(batch, job, transfer, attempt)
        self._finalizer.finalize_if_done(tenant_id, batch_id)
        return JobRun(job_id, attempt.status.value, attempt.error)

    def record_crash(self, tenant_id: str, batch_id: str, job_id: str, error: str) -> JobRun:
        """The download function died (timeout, out of memory): fail the job if it is not
        already finished, then finalize as usual."""
        batch, job = self._store.get_batch_and_job(tenant_id, batch_id, job_index(job_id))
        if batch is None or job is None:
            return JobRun(job_id, "missing")
        message = f"job crashed: {error}"
        if batch.options.stop_on_error:
            self._store.request_stop(tenant_id, batch_id)
        code = FailureCode.CRASHED.value
        recorded = self._store.finish_job(
            job, JobStatus.FAILED, error=message, error_code=code
        ) or self._store.finish_job(job, JobStatus.FAILED, from_status=JobStatus.QUEUED, error=message, error_code=code)
        if recorded:
            self._finalizer.announce_job(job, JobStatus.FAILED, message, code)
        self._finalizer.finalize_if_done(tenant_id, batch_id)
        return JobRun(job_id, "failed" if recorded else "already_finished", message)

    # ------------------------------------------------------------------ internals
    def _download(
        self, batch: BatchRecord, job: JobRecord, transfer: JobFileTransfer, remaining_seconds: Callable[[], float]
    ) -> _Attempt:
        """Download and store the file; every way this can end becomes a job status."""
        budget = min(self._limits.job_timeout_seconds, remaining_seconds() - self._limits.safety_margin_seconds)
        deadline = time.monotonic() + max(1.0, budget)
        work_dir = Path(tempfile.mkdtemp(prefix=f"{job.job_id}-", dir=self._limits.work_dir))
        attempt = _Attempt()
        try:
            result = self._downloader.download(
                _spec(batch, job),
                work_dir,
                self._progress_writer(job),
                deadline,
                on_plan=transfer.plan,
                on_data=transfer.feed,
            )
            attempt = _Attempt(JobStatus.COMPLETED, stored=transfer.complete(result))
        except JobCancelled:
            attempt = _Attempt(JobStatus.CANCELLED, JobFailure.of(FailureCode.CANCELLED))
        except JobTimedOut:
            attempt.failure = JobFailure.with_message(FailureCode.TIMEOUT, f"timed out after {int(budget)} s")
        except DownloadFailed as exc:
            attempt.failure = exc.failure
        except Exception:  # one job's bug must never take the batch down
            logger.exception("job %s crashed", job.job_id)
            attempt.failure = JobFailure.of(FailureCode.INTERNAL)
        finally:
            if attempt.status is not JobStatus.COMPLETED:
                transfer.abort()
            shutil.rmtree(work_dir, ignore_errors=True)
        return attempt

    def _record(self, batch: BatchRecord, job: JobRecord, transfer: JobFileTransfer, attempt: _Attempt) -> None:
        if attempt.status is JobStatus.FAILED and batch.options.stop_on_error:
            # Before the job counts as finished, so no finaliser can see it failed but not stopped.
            self._store.request_stop(batch.tenant_id, batch.batch_id)
        stored, failure = attempt.stored, attempt.failure
        if self._store.finish_job(
            job,
            attempt.status,
            error=attempt.error,
            error_code=failure.code.value if failure else None,
            error_detail=failure.detail if failure else None,
            title=stored.title if stored else None,
            file_info=stored.file_info if stored else None,
            media=stored.media if stored else None,
        ):
            self._finalizer.announce_job(job, attempt.status, attempt.error, failure.code.value if failure else None)
        elif attempt.status is JobStatus.COMPLETED:
            # Someone else ended this job meanwhile (the crash recorder after a Step Functions
            # timeout): its outcome stands, so the file it does not list must not stay behind.
            transfer.discard()

    def _progress_writer(self, job: JobRecord) -> Callable[[Progress], None]:
        def write(progress: Progress) -> None:
            if not self._store.update_progress(
                job,
                percent=progress.percent,
                downloaded=progress.downloaded,
                total=progress.total,
                # A job that knew its title from the start (an episode of a show) keeps it.
                title=progress.title if job.title is None else None,
            ):
                raise JobCancelled()

        return write


def _spec(batch: BatchRecord, job: JobRecord) -> DownloadSpec:
    o = batch.options
    return DownloadSpec(
        url=job.url, quality=o.quality, video_format=o.video_format, download_subtitles=o.download_subtitles
    )
