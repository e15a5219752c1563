"""On AWS, transactions on one batch item conflict when jobs start or end together. A conflict
is contention, not a refusal: the job must still start (or finish), never be cancelled."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError

from localcloud.faults import inject_transaction_conflicts, pending_transaction_conflicts
from mediabatch.adapters.dynamodb.batches import BatchTable, StartOutcome
from mediabatch.downloads.models import JobStatus
from tests.integration.conftest import MakeBatch


@pytest.fixture(autouse=True)
def no_conflicts_left_behind() -> Iterator[None]:
    """The counter is process-wide: whatever a test injects, the next test starts from zero."""
    try:
        yield
    finally:
        inject_transaction_conflicts(0)


def test_a_start_that_meets_conflicts_is_retried_and_starts(store: BatchTable, make_batch: MakeBatch) -> None:
    batch, jobs = make_batch(1)
    inject_transaction_conflicts(2)
    assert store.start_job(jobs[0]) is StartOutcome.STARTED
    assert pending_transaction_conflicts() == 0  # both conflicts were met and retried through
    after = store.get_batch(batch.tenant_id, batch.batch_id)
    assert after is not None and (after.running_jobs, after.queued_jobs, after.cancelled_jobs) == (1, 0, 0)


def test_a_finish_that_meets_conflicts_is_retried_and_counts_once(store: BatchTable, make_batch: MakeBatch) -> None:
    batch, jobs = make_batch(1)
    store.start_job(jobs[0])
    inject_transaction_conflicts(3)
    assert store.finish_job(jobs[0], JobStatus.COMPLETED) is True
    assert pending_transaction_conflicts() == 0
    after = store.get_batch(batch.tenant_id, batch.batch_id)
    assert after is not None and (after.completed_jobs, after.running_jobs) == (1, 0)


def test_endless_conflicts_surface_as_an_error_not_as_a_cancelled_job(store: BatchTable, make_batch: MakeBatch) -> None:
    batch, jobs = make_batch(1)
    inject_transaction_conflicts(100)
    with pytest.raises(ClientError):
        store.start_job(jobs[0])
    assert pending_transaction_conflicts() < 100  # the retries did meet the conflicts
    job = store.get_job(batch.tenant_id, batch.batch_id, 0)
    assert job is not None and job.status is JobStatus.QUEUED
