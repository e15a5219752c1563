"""In-memory fakes of mediabatch.reconcile.ports, on top of the batch fakes."""

from __future__ import annotations

from collections.abc import Iterator

from mediabatch.downloads.models import BatchRecord, JobRecord, JobStatus
from mediabatch.reconcile.models import RunState
from tests.fakes.downloads import FakeWorkflow, InMemoryBatches


class ReconcilableBatches(InMemoryBatches):
    """InMemoryBatches plus what the reconciler reads and writes."""

    def open_batches(self) -> Iterator[BatchRecord]:
        for batch in list(self.batches.values()):
            if not batch.status.is_terminal or not batch.announced:
                yield batch.model_copy(deep=True)

    def requeue_job(self, job: JobRecord) -> bool:
        stored, batch = self.job(job), self.batches[(job.tenant_id, job.batch_id)]
        if stored.status is not JobStatus.RUNNING:
            return False
        stored.status = JobStatus.QUEUED
        batch.running_jobs -= 1
        batch.queued_jobs += 1
        return True


class FakeRuns(FakeWorkflow):
    """WorkflowRuns: an execution per started batch, RUNNING until a test says otherwise."""

    def __init__(self) -> None:
        super().__init__()
        self.states: dict[str, RunState] = {}

    def run_state(self, batch_id: str) -> RunState:
        return self.states.get(batch_id, RunState.MISSING)

    def start(self, *, tenant_id: str, batch_id: str, concurrent_limit: int, job_ids: list[str]) -> None:
        super().start(tenant_id=tenant_id, batch_id=batch_id, concurrent_limit=concurrent_limit, job_ids=job_ids)
        self.states[batch_id] = RunState.RUNNING
