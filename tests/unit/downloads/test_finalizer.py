"""A batch's end: decided exactly once, announced at least once."""

from __future__ import annotations

from mediabatch.downloads.models import BatchStatus, JobStatus
from tests.unit.downloads.conftest import TENANT, URL_1, URL_2, World


def test_only_one_of_two_finalisers_ends_the_batch_and_announces_it(world: World) -> None:
    batch = world.create(URL_1)
    job = world.store.jobs[(TENANT, batch.batch_id)][0]
    world.store.start_job(job)
    world.store.finish_job(job, JobStatus.COMPLETED)

    first = world.finalizer.finalize_if_done(TENANT, batch.batch_id)
    second = world.finalizer.finalize_if_done(TENANT, batch.batch_id)

    assert (first, second) == (BatchStatus.COMPLETED, None)
    assert world.events.types() == ["batch.completed"]
    detail = world.events.events[0][1]
    assert detail["batch_id"] == batch.batch_id and detail["completed_jobs"] == 1 and detail["tenant_id"] == TENANT
    assert "webhook_url" not in detail


def test_a_batch_with_unfinished_jobs_is_not_finalised(world: World) -> None:
    batch = world.create(URL_1, URL_2)
    job = world.store.jobs[(TENANT, batch.batch_id)][0]
    world.store.start_job(job)
    world.store.finish_job(job, JobStatus.COMPLETED)

    assert world.finalizer.finalize_if_done(TENANT, batch.batch_id, repair=True) is None
    assert world.store.batch(batch).status is BatchStatus.RUNNING and world.events.events == []


def test_the_repair_pass_announces_an_ended_batch_whose_event_was_lost(world: World) -> None:
    batch = world.create(URL_1)
    # Ended, then the process died before publishing.
    assert world.store.set_terminal(TENANT, batch.batch_id, BatchStatus.FAILED, error="lost") is not None

    assert world.finalizer.finalize_if_done(TENANT, batch.batch_id) is None
    assert world.events.events == []  # an ordinary pass does not repair
    world.finalizer.finalize_if_done(TENANT, batch.batch_id, repair=True)
    world.finalizer.finalize_if_done(TENANT, batch.batch_id, repair=True)

    assert world.events.types() == ["batch.failed"] and world.store.batch(batch).announced


def test_abandoning_a_workflow_fails_the_jobs_it_never_ran(world: World) -> None:
    batch = world.create(URL_1, URL_2)
    jobs = world.store.jobs[(TENANT, batch.batch_id)]
    world.store.start_job(jobs[0])
    world.store.finish_job(jobs[0], JobStatus.COMPLETED)

    status = world.finalizer.abandon(TENANT, batch.batch_id, "not run: the batch workflow failed")

    assert status is BatchStatus.COMPLETED  # errors are ignored by default and one job succeeded
    assert jobs[1].status is JobStatus.FAILED and jobs[1].error == "not run: the batch workflow failed"
    assert world.events.types() == ["job.failed", "batch.completed"]
