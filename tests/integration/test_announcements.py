"""batch.* is published at least once: a publish cut off after the terminal write is made up
for by the next finaliser call; a failed workflow still ends and announces its batch."""

from __future__ import annotations

from mediabatch import container
from mediabatch.adapters.dynamodb.batches import BatchTable
from mediabatch.downloads.models import BatchStatus, JobStatus
from tests.integration.conftest import EventTap, MakeBatch


def test_a_terminal_batch_whose_event_was_lost_is_announced_by_the_next_finaliser_call(
    store: BatchTable, make_batch: MakeBatch, event_tap: EventTap
) -> None:
    batch, jobs = make_batch(1)
    store.start_job(jobs[0])
    store.finish_job(jobs[0], JobStatus.COMPLETED)
    # The winner of the terminal write "crashes" before publishing.
    assert store.set_terminal(batch.tenant_id, batch.batch_id, BatchStatus.COMPLETED) is not None
    stored = store.get_batch(batch.tenant_id, batch.batch_id)
    assert stored is not None and stored.announced is False

    finalizer = container.batch_finalizer()
    finalizer.finalize_if_done(batch.tenant_id, batch.batch_id)  # another job's call: not its business
    assert event_tap.events(batch.batch_id) == []
    finalizer.finalize_if_done(batch.tenant_id, batch.batch_id, repair=True)  # the state machine's last state
    finalizer.finalize_if_done(batch.tenant_id, batch.batch_id, repair=True)

    stored = store.get_batch(batch.tenant_id, batch.batch_id)
    assert stored is not None and stored.announced is True
    assert [e["detail-type"] for e in event_tap.events(batch.batch_id)] == ["batch.completed"]


def test_a_failed_workflow_fails_the_jobs_it_never_ran_and_ends_the_batch(
    store: BatchTable, make_batch: MakeBatch, event_tap: EventTap
) -> None:
    batch, jobs = make_batch(3)
    store.start_job(jobs[0])
    store.finish_job(jobs[0], JobStatus.COMPLETED)
    status = container.batch_finalizer().abandon(batch.tenant_id, batch.batch_id, "not run: the batch workflow failed")
    assert status is BatchStatus.COMPLETED  # one file made it; ignore_errors defaults to true
    found = store.get_batch_with_jobs(batch.tenant_id, batch.batch_id)
    assert found is not None
    after, after_jobs = found
    assert [j.status for j in after_jobs] == [JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.FAILED]
    assert after_jobs[1].error == "not run: the batch workflow failed"
    assert (after.completed_jobs, after.failed_jobs, after.queued_jobs) == (1, 2, 0)
    types = [e["detail-type"] for e in event_tap.events(batch.batch_id)]
    assert types.count("job.failed") == 2 and types.count("batch.completed") == 1


def test_the_webhook_url_never_travels_on_the_event_bus(
    store: BatchTable, make_batch: MakeBatch, event_tap: EventTap
) -> None:
    batch, jobs = make_batch(1, webhook_url="https://hooks.example/secret-token-123")
    store.start_job(jobs[0])
    store.finish_job(jobs[0], JobStatus.COMPLETED)
    container.batch_finalizer().finalize_if_done(batch.tenant_id, batch.batch_id)
    (event,) = event_tap.events(batch.batch_id)
    assert "secret-token-123" not in str(event) and "webhook_url" not in event["detail"]
