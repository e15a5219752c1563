"""When the download function itself dies (Lambda timeout, out of memory), the state
machine's Catch records the job as failed; the batch still ends and is announced once."""

from __future__ import annotations

import json

from mediabatch import container
from mediabatch.adapters.dynamodb.batches import BatchTable
from mediabatch.downloads.models import BatchStatus, JobStatus
from tests.integration.conftest import EventTap, MakeBatch


def test_a_crashed_running_job_fails_and_the_batch_is_announced(
    store: BatchTable, make_batch: MakeBatch, event_tap: EventTap
) -> None:
    batch, jobs = make_batch(2)
    assert store.start_job(jobs[0]).value == "started"
    store.finish_job(jobs[1], JobStatus.COMPLETED, from_status=JobStatus.QUEUED)
    runner = container.download_job_runner()
    result = runner.record_crash(
        batch.tenant_id, batch.batch_id, jobs[0].job_id, "Sandbox.Timedout: Task timed out after 900.00 seconds"
    )
    assert result.status == "failed"
    found = store.get_batch_with_jobs(batch.tenant_id, batch.batch_id)
    assert found is not None
    after, after_jobs = found
    assert after_jobs[0].status is JobStatus.FAILED
    assert after_jobs[0].error == "job crashed: Sandbox.Timedout: Task timed out after 900.00 seconds"
    assert (after.failed_jobs, after.completed_jobs, after.running_jobs) == (1, 1, 0)
    assert after.status is BatchStatus.COMPLETED  # ignore_errors defaults to true
    types = [e["detail-type"] for e in event_tap.events(batch.batch_id)]
    assert types.count("job.failed") == 1 and types.count("batch.completed") == 1


def test_a_crash_reported_twice_changes_nothing_the_second_time(
    store: BatchTable, make_batch: MakeBatch, event_tap: EventTap
) -> None:
    batch, jobs = make_batch(1, stop_on_error=True)
    store.start_job(jobs[0])
    runner = container.download_job_runner()
    runner.record_crash(batch.tenant_id, batch.batch_id, jobs[0].job_id, "Runtime.OutOfMemory")
    runner.record_crash(batch.tenant_id, batch.batch_id, jobs[0].job_id, "Runtime.OutOfMemory")
    after = store.get_batch(batch.tenant_id, batch.batch_id)
    assert after is not None
    assert (after.failed_jobs, after.running_jobs, after.status) == (1, 0, BatchStatus.FAILED)
    assert after.error is not None and "stop_on_error" in after.error
    events = event_tap.events(batch.batch_id)
    assert [e["detail-type"] for e in events].count("batch.failed") == 1
    assert json.dumps(events)  # events are plain JSON for integrators
