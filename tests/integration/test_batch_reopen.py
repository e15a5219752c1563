"""BatchTable.reopen against DynamoDB (moto): a retry round moves exactly the given jobs back to
queued with the batch, counters with them, in transactions of at most 100 items."""

from __future__ import annotations

import pytest

from mediabatch.adapters.dynamodb.batches import BatchTable
from mediabatch.downloads.models import BatchStatus, JobStatus
from tests.integration.conftest import MakeBatch

pytestmark = pytest.mark.integration


def test_a_retry_round_of_150_failed_jobs_reopens_the_batch_in_place(store: BatchTable, make_batch: MakeBatch) -> None:
    batch, jobs = make_batch(160)
    for job in jobs:
        assert store.start_job(job).value == "started"
        status = JobStatus.COMPLETED if job.index < 10 else JobStatus.FAILED
        assert store.finish_job(job, status, error=None if status is JobStatus.COMPLETED else "HTTP Error 503")
    ended = store.set_terminal(batch.tenant_id, batch.batch_id, BatchStatus.COMPLETED)
    assert ended is not None and ended.failed_jobs == 150
    found = store.get_batch_with_jobs(batch.tenant_id, batch.batch_id)
    assert found is not None
    failed = [j for j in found[1] if j.status is JobStatus.FAILED]

    reopened = store.reopen(ended, failed)

    assert reopened is not None
    assert (reopened.status, reopened.round, reopened.completed_at, reopened.error) == (
        BatchStatus.QUEUED,
        2,
        None,
        None,
    )
    assert (reopened.queued_jobs, reopened.failed_jobs, reopened.completed_jobs, reopened.total_jobs) == (
        150,
        0,
        10,
        160,
    )
    after = store.get_batch_with_jobs(batch.tenant_id, batch.batch_id)
    assert after is not None
    again = [j for j in after[1] if j.index >= 10]
    assert {(j.status, j.error, j.completed_at) for j in again} == {(JobStatus.QUEUED, None, None)}
    assert all(j.status is JobStatus.COMPLETED for j in after[1][:10])
    # The loser of two retries learns it lost; nothing moves twice.
    assert store.reopen(ended, failed) is None
    assert store.start_job(again[0]).value == "started"
