"""Jobs of one batch ending at the same instant: counters stay exact and the batch is decided
and announced exactly once (events observed on the real bus through a temporary rule)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from mediabatch import container
from mediabatch.adapters.dynamodb.batches import BatchTable, StartOutcome
from mediabatch.downloads.finalizer import BatchFinalizer
from mediabatch.downloads.models import BatchStatus, JobRecord, JobStatus
from tests.integration.conftest import EventTap, MakeBatch

pytestmark = pytest.mark.integration

N = 20


def test_twenty_jobs_finishing_at_once_keep_counters_exact_and_finalize_once(
    store: BatchTable, make_batch: MakeBatch, event_tap: EventTap
) -> None:
    batch, jobs = make_batch(N)
    for job in jobs:
        assert store.start_job(job) is StartOutcome.STARTED
    finalizer = BatchFinalizer(container.batch_table(), container.event_publisher())
    outcome = {job.index: JobStatus.FAILED if job.index % 3 == 0 else JobStatus.COMPLETED for job in jobs}
    barrier = threading.Barrier(N)

    def finish(job: JobRecord) -> tuple[bool, BatchStatus | None]:
        barrier.wait(timeout=30)
        error = "HTTP Error 404: Not Found" if outcome[job.index] is JobStatus.FAILED else None
        finished = store.finish_job(job, outcome[job.index], error=error)
        return finished, finalizer.finalize_if_done(batch.tenant_id, batch.batch_id)

    with ThreadPoolExecutor(max_workers=N) as pool:
        results = list(pool.map(finish, jobs))

    assert all(finished for finished, _ in results), results
    n_failed = sum(1 for s in outcome.values() if s is JobStatus.FAILED)
    final = store.get_batch(batch.tenant_id, batch.batch_id)
    assert final is not None
    assert (final.completed_jobs, final.failed_jobs) == (N - n_failed, n_failed), final
    assert (final.running_jobs, final.queued_jobs, final.cancelled_jobs) == (0, 0, 0), final
    # Some jobs failed but errors are ignored by default and others succeeded: completed.
    assert final.status is BatchStatus.COMPLETED and final.completed_at is not None

    decided = [status for _, status in results if status is not None]
    assert decided == [BatchStatus.COMPLETED], results

    events = event_tap.events(batch.batch_id)
    assert [e["detail-type"] for e in events] == ["batch.completed"], events
    detail = events[0]["detail"]
    assert detail["tenant_id"] == batch.tenant_id
    assert (detail["status"], detail["total_jobs"], detail["completed_jobs"], detail["failed_jobs"]) == (
        "completed",
        N,
        N - n_failed,
        n_failed,
    )

    # A late caller (the state machine's last step) changes nothing and announces nothing.
    assert finalizer.finalize_if_done(batch.tenant_id, batch.batch_id) is None
    assert len(event_tap.events(batch.batch_id)) == 1


def test_a_batch_that_is_not_done_is_not_finalized(
    store: BatchTable, make_batch: MakeBatch, event_tap: EventTap
) -> None:
    batch, jobs = make_batch(2)
    finalizer = BatchFinalizer(container.batch_table(), container.event_publisher())
    assert store.start_job(jobs[0]) is StartOutcome.STARTED
    assert store.finish_job(jobs[0], JobStatus.COMPLETED)

    assert finalizer.finalize_if_done(batch.tenant_id, batch.batch_id) is None

    read = store.get_batch(batch.tenant_id, batch.batch_id)
    assert read is not None and read.status is BatchStatus.RUNNING
    assert event_tap.events(batch.batch_id) == []


def test_a_batch_whose_only_job_failed_is_announced_failed(
    store: BatchTable, make_batch: MakeBatch, event_tap: EventTap
) -> None:
    batch, jobs = make_batch(1)
    finalizer = BatchFinalizer(container.batch_table(), container.event_publisher())
    assert store.start_job(jobs[0]) is StartOutcome.STARTED
    assert store.finish_job(jobs[0], JobStatus.FAILED, error="boom")

    assert finalizer.finalize_if_done(batch.tenant_id, batch.batch_id) is BatchStatus.FAILED

    events = event_tap.events(batch.batch_id)
    assert [e["detail-type"] for e in events] == ["batch.failed"]
    assert events[0]["source"] == "mediabatch" and events[0]["detail"]["failed_jobs"] == 1
