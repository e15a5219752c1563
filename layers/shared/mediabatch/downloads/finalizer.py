"""A batch's terminal state: decided once, announced once."""

from __future__ import annotations

from mediabatch.downloads.events import batch_event_detail, job_event_detail
from mediabatch.downloads.failures import FailureCode
from mediabatch.downloads.models import BatchRecord, BatchStatus, JobRecord, JobStatus
from mediabatch.downloads.ports import BatchRepository, EventPublisher


def final_status(batch: BatchRecord) -> BatchStatus:
    """`failed` when jobs failed and errors are not ignored, when stop_on_error stopped the
    batch, or when nothing succeeded at all; otherwise `completed` (docs/limits.md)."""
    if batch.failed_jobs and (not batch.options.ignore_errors or batch.stop_requested or not batch.completed_jobs):
        return BatchStatus.FAILED
    return BatchStatus.COMPLETED


def _failure_reason(batch: BatchRecord, status: BatchStatus) -> str | None:
    if status is not BatchStatus.FAILED:
        return None
    error = f"{batch.failed_jobs} of {batch.total_jobs} jobs failed"
    if batch.stop_requested:
        error += "; stopped on the first error (stop_on_error)"
    return error


class BatchFinalizer:
    def __init__(self, store: BatchRepository, events: EventPublisher) -> None:
        self._store = store
        self._events = events

    def finalize_if_done(self, tenant_id: str, batch_id: str, *, repair: bool = False) -> BatchStatus | None:
        """Called after every job ends and once more when the state machine ends. The
        conditional write in `set_terminal` lets exactly one caller win, even when the last
        two jobs finish at the same instant; only the winner publishes the event.

        `repair` is for that last call only: every job (and so the winner) has returned by
        then, so a batch still not announced lost its event (a crash or a failed publish)."""
        batch = self._store.get_batch(tenant_id, batch_id)
        if repair and batch is not None and batch.status.is_terminal and not batch.announced:
            self.announce_batch(batch)
            return None
        if batch is None or batch.status.is_terminal or batch.finished_jobs < batch.total_jobs:
            return None
        status = final_status(batch)
        ended = self._store.set_terminal(tenant_id, batch_id, status, error=_failure_reason(batch, status))
        if ended is None:
            return None
        self.announce_batch(ended)
        return status

    def announce_job(self, job: JobRecord, status: JobStatus, error: str | None, error_code: str | None = None) -> None:
        self._events.publish(f"job.{status.value}", job_event_detail(job, status, error, error_code))

    def announce_batch(self, batch: BatchRecord) -> None:
        """Publish batch.*, then record that it was published. A crash in between means one more
        publish later (same webhook-id, so receivers de-duplicate), never none."""
        self._events.publish(f"batch.{batch.status.value}", batch_event_detail(batch))
        self._store.mark_announced(batch.tenant_id, batch.batch_id, batch.round)

    def announce_pending(self, tenant_id: str, batch_id: str) -> None:
        batch = self._store.get_batch(tenant_id, batch_id)
        if batch is not None and batch.status.is_terminal and not batch.announced:
            self.announce_batch(batch)

    def abandon(self, tenant_id: str, batch_id: str, reason: str) -> BatchStatus | None:
        """The workflow itself failed: jobs it will never run end failed, then the batch ends
        as usual (the state machine's Catch on its Map)."""
        found = self._store.get_batch_with_jobs(tenant_id, batch_id)
        for job in found[1] if found else []:
            if job.status is JobStatus.QUEUED and self._store.finish_job(
                job, JobStatus.FAILED, from_status=JobStatus.QUEUED, error=reason, error_code=FailureCode.INTERNAL.value
            ):
                self.announce_job(job, JobStatus.FAILED, reason, FailureCode.INTERNAL.value)
        return self.finalize_if_done(tenant_id, batch_id, repair=True)
