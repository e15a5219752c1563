"""Retry in place: the failed and cancelled jobs of a finished batch run again, in the same
batch, under the same job ids (seed-000 batches and show batches alike)."""

from __future__ import annotations

from mediabatch.downloads.finalizer import BatchFinalizer
from mediabatch.downloads.models import BatchRecord, JobRecord, JobStatus
from mediabatch.downloads.ports import BatchRepository, BatchWorkflow
from mediabatch.errors import Conflict

RETRYABLE = (JobStatus.FAILED, JobStatus.CANCELLED)


def jobs_to_retry(jobs: list[JobRecord]) -> list[JobRecord]:
    """Exactly the jobs a retry round runs again: the failed and the cancelled ones."""
    return [job for job in jobs if job.status in RETRYABLE]


class BatchRetry:
    def __init__(self, store: BatchRepository, workflow: BatchWorkflow, finalizer: BatchFinalizer) -> None:
        self._store = store
        self._workflow = workflow
        self._finalizer = finalizer

    def retry(self, batch: BatchRecord, jobs: list[JobRecord], *, concurrent_limit: int) -> BatchRecord:
        """Reopen `batch` for one more round and start it; Conflict when it is still running,
        has nothing to retry, or another retry got there first."""
        if not batch.status.is_terminal:
            raise Conflict(
                f"batch {batch.batch_id} is still running; retry it once it has finished",
                code="batch_not_finished",
            )
        again = jobs_to_retry(jobs)
        if not again:
            raise Conflict(f"batch {batch.batch_id} has no failed or cancelled jobs to retry", code="nothing_to_retry")
        reopened = self._store.reopen(batch, again)
        if reopened is None:
            raise Conflict(f"batch {batch.batch_id} changed meanwhile; read it again", code="batch_changed")
        try:
            self._workflow.start(
                tenant_id=batch.tenant_id,
                batch_id=batch.batch_id,
                concurrent_limit=concurrent_limit,
                job_ids=[job.job_id for job in again],
                round=reopened.round,
            )
        except Exception:
            # The round could not start: its jobs end failed again and the batch ends as usual.
            self._finalizer.abandon(batch.tenant_id, batch.batch_id, "the retry could not be started; please retry")
            raise
        return reopened
