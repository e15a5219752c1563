"""What the reconciler needs: the batches still open, their jobs, and their workflow runs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from mediabatch.downloads.models import BatchRecord, JobRecord, JobStatus
from mediabatch.reconcile.models import RunState


class OpenBatches(Protocol):
    def open_batches(self) -> Iterator[BatchRecord]:
        """Every batch (all tenants) not yet terminal, or terminal and not yet announced."""
        ...


class StalledJobs(Protocol):
    """The job transitions the reconciler makes; each is conditional, like every other."""

    def get_batch_with_jobs(self, tenant_id: str, batch_id: str) -> tuple[BatchRecord, list[JobRecord]] | None: ...

    def requeue_job(self, job: JobRecord) -> bool:
        """running -> queued (its run was lost); False if the job was not running any more."""
        ...

    def finish_job(
        self,
        job: JobRecord,
        status: JobStatus,
        *,
        from_status: JobStatus = JobStatus.RUNNING,
        error: str | None = None,
        error_code: str | None = None,
    ) -> bool: ...


class WorkflowRuns(Protocol):
    """The batch state machine: its execution is named after the batch."""

    def run_state(self, batch_id: str) -> RunState: ...

    def start(self, *, tenant_id: str, batch_id: str, concurrent_limit: int, job_ids: list[str]) -> None: ...


class Finalizer(Protocol):
    """mediabatch.downloads.finalizer.BatchFinalizer."""

    def finalize_if_done(self, tenant_id: str, batch_id: str, *, repair: bool = False) -> object: ...

    def announce_pending(self, tenant_id: str, batch_id: str) -> None: ...

    def announce_job(
        self, job: JobRecord, status: JobStatus, error: str | None, error_code: str | None = None
    ) -> None: ...

    def abandon(self, tenant_id: str, batch_id: str, reason: str) -> object: ...
