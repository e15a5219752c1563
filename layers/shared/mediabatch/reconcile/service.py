"""One reconciliation pass: every open batch is driven towards its end.

- terminal but not announced: announce it (its event was lost);
- active, and its execution is missing (never started, or lost with the machine that ran it):
  jobs left `running` go back to `queued` (their file is written under the same key and the job
  completes at most once, so nothing is stored twice) and the execution is started again;
- active, and its execution ended without ending the batch: jobs left `running` fail, then the
  batch is abandoned as the state machine's Catch would have done;
- active with a running execution: left alone.

A batch younger than `min_age_seconds` is skipped: its API call may still be starting it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from mediabatch.downloads.failures import FailureCode
from mediabatch.downloads.models import BatchRecord, JobRecord, JobStatus
from mediabatch.reconcile.models import ReconcileReport, RunState
from mediabatch.reconcile.ports import Finalizer, OpenBatches, StalledJobs, WorkflowRuns

INTERRUPTED = "interrupted: the run of this job was lost"


class Reconciler:
    def __init__(
        self,
        batches: OpenBatches,
        jobs: StalledJobs,
        runs: WorkflowRuns,
        finalizer: Finalizer,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._batches = batches
        self._jobs = jobs
        self._runs = runs
        self._finalizer = finalizer
        self._clock = clock

    def run(self, *, min_age_seconds: float = 60.0) -> ReconcileReport:
        report = ReconcileReport()
        for batch in self._batches.open_batches():
            if batch.status.is_terminal:
                self._finalizer.announce_pending(batch.tenant_id, batch.batch_id)
                report.announced.append(batch.batch_id)
            elif self._age(batch) >= min_age_seconds:
                self._drive(batch, report)
        return report

    def _age(self, batch: BatchRecord) -> float:
        return self._clock() - datetime.fromisoformat(batch.created_at).timestamp()

    def _drive(self, batch: BatchRecord, report: ReconcileReport) -> None:
        state = self._runs.run_state(batch.batch_id)
        if state is RunState.RUNNING:
            return
        found = self._jobs.get_batch_with_jobs(batch.tenant_id, batch.batch_id)
        if found is None:
            return
        current, jobs = found
        if state is RunState.MISSING:
            self._restart(current, jobs, report)
        else:
            self._fail_stalled(current, jobs, report)

    def _restart(self, batch: BatchRecord, jobs: list[JobRecord], report: ReconcileReport) -> None:
        pending = [j for j in jobs if j.status is JobStatus.QUEUED]
        for job in jobs:
            if job.status is JobStatus.RUNNING and self._jobs.requeue_job(job):
                pending.append(job)
                report.requeued_jobs += 1
        if not pending:  # every job ended: only the batch's own end was lost
            self._finalizer.finalize_if_done(batch.tenant_id, batch.batch_id, repair=True)
            report.finalized.append(batch.batch_id)
            return
        self._runs.start(
            tenant_id=batch.tenant_id,
            batch_id=batch.batch_id,
            concurrent_limit=batch.options.concurrent_limit,
            job_ids=[j.job_id for j in sorted(pending, key=lambda j: j.index)],
        )
        report.started.append(batch.batch_id)

    def _fail_stalled(self, batch: BatchRecord, jobs: list[JobRecord], report: ReconcileReport) -> None:
        for job in jobs:
            if job.status is JobStatus.RUNNING and self._jobs.finish_job(
                job, JobStatus.FAILED, error=INTERRUPTED, error_code=FailureCode.CRASHED.value
            ):
                self._finalizer.announce_job(job, JobStatus.FAILED, INTERRUPTED, FailureCode.CRASHED.value)
        self._finalizer.abandon(batch.tenant_id, batch.batch_id, INTERRUPTED)
        report.failed.append(batch.batch_id)
