"""Work that stopped half-way is driven to its end, and nothing runs or is announced twice."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mediabatch.downloads.finalizer import BatchFinalizer
from mediabatch.downloads.models import BatchDownloadRequest, BatchRecord, BatchStatus, JobRecord, JobStatus
from mediabatch.downloads.service import BatchDownloadService
from mediabatch.reconcile.models import RunState
from mediabatch.reconcile.service import INTERRUPTED, Reconciler
from mediabatch.urlguard import UrlPolicy
from tests.fakes.downloads import InMemoryStorage, RecordingEvents
from tests.fakes.reconcile import FakeRuns, ReconcilableBatches

TENANT = "tenant-a"
URLS = [f"http://93.184.216.34/{i}.mp4" for i in range(3)]


class World:
    def __init__(self) -> None:
        self.store = ReconcilableBatches()
        self.runs = FakeRuns()
        self.events = RecordingEvents()
        self.finalizer = BatchFinalizer(self.store, self.events)
        self.service = BatchDownloadService(
            self.store, self.runs, self.finalizer, InMemoryStorage(), UrlPolicy.from_allowlist("")
        )
        self.now = datetime.now(UTC).timestamp() + 3600  # every batch is an hour old
        self.reconciler = Reconciler(self.store, self.store, self.runs, self.finalizer, clock=lambda: self.now)

    def create(self, n: int = 3) -> tuple[BatchRecord, list[JobRecord]]:
        batch = self.service.create(TENANT, BatchDownloadRequest.model_validate({"urls": URLS[:n]}))
        return batch, list(self.store.jobs[(TENANT, batch.batch_id)].values())

    def crash(self, batch: BatchRecord) -> None:
        """The machine running the batch's execution is gone."""
        self.runs.states.pop(batch.batch_id)


@pytest.fixture
def world() -> World:
    return World()


def test_a_batch_whose_execution_was_lost_is_started_again_with_its_unfinished_jobs(world: World) -> None:
    batch, (done, running, queued) = world.create()
    world.store.start_job(done)
    world.store.finish_job(done, JobStatus.COMPLETED)
    world.store.start_job(running)
    world.crash(batch)

    report = world.reconciler.run()

    assert report.started == [batch.batch_id] and report.requeued_jobs == 1
    restart = world.runs.started[-1]
    assert restart["job_ids"] == [running.job_id, queued.job_id]  # the completed job is not run again
    stored = world.store.batch(batch)
    assert (stored.queued_jobs, stored.running_jobs, stored.completed_jobs) == (2, 0, 1)
    assert world.store.job(running).status is JobStatus.QUEUED


def test_a_batch_written_but_never_started_is_started(world: World) -> None:
    world.runs.fail = True
    with pytest.raises(RuntimeError):
        world.create(1)  # the API fails it cleanly when the start itself fails...
    world.runs.fail = False
    batch, _ = world.create(2)
    world.crash(batch)  # ... but a crash between the write and the start left it queued

    assert world.reconciler.run().started == [batch.batch_id]
    assert world.runs.started[-1]["batch_id"] == batch.batch_id


def test_a_running_execution_and_a_young_batch_are_left_alone(world: World) -> None:
    world.create(1)  # its execution is running
    young, _ = world.create(1)
    world.crash(young)
    world.now = datetime.now(UTC).timestamp()  # `young` is seconds old: its API call may still start it

    report = world.reconciler.run(min_age_seconds=60)

    assert report.started == [] and len(world.runs.started) == 2
    assert world.reconciler.run(min_age_seconds=0).started == [young.batch_id]


def test_jobs_left_running_by_an_ended_execution_fail_and_the_batch_ends_once(world: World) -> None:
    batch, (first, second, third) = world.create()
    world.store.start_job(first)
    world.store.finish_job(first, JobStatus.COMPLETED)
    world.store.start_job(second)
    world.runs.states[batch.batch_id] = RunState.ENDED

    assert world.reconciler.run().failed == [batch.batch_id]
    assert world.store.job(second).status is JobStatus.FAILED and world.store.job(second).error == INTERRUPTED
    # A lost run is a crash of the download, for programs as for the job's record.
    assert world.store.job(second).error_code == "crashed"
    failed_events = [d for t, d in world.events.events if t == "job.failed"]
    assert [d["error_code"] for d in failed_events] == ["crashed", "internal"]
    assert world.store.job(third).status is JobStatus.FAILED
    ended = world.store.batch(batch)
    assert ended.status.is_terminal and (ended.completed_jobs, ended.failed_jobs) == (1, 2)
    assert [t for t in world.events.types() if t.startswith("batch.")] == [f"batch.{ended.status.value}"]
    assert world.reconciler.run().failed == []  # announced: nothing left to do


def test_a_finished_batch_whose_event_was_lost_is_announced_once(world: World) -> None:
    batch, (job,) = world.create(1)
    world.store.start_job(job)
    world.store.finish_job(job, JobStatus.COMPLETED)
    assert world.store.set_terminal(TENANT, batch.batch_id, BatchStatus.COMPLETED) is not None  # then a crash

    assert world.reconciler.run().announced == [batch.batch_id]
    assert world.reconciler.run().announced == []
    assert world.events.types() == ["batch.completed"]


def test_a_batch_whose_jobs_all_ended_but_not_itself_is_finalised(world: World) -> None:
    batch, (job,) = world.create(1)
    world.store.start_job(job)
    world.store.finish_job(job, JobStatus.COMPLETED)
    world.crash(batch)

    assert world.reconciler.run().finalized == [batch.batch_id]
    assert world.store.batch(batch).status is BatchStatus.COMPLETED and world.events.types() == ["batch.completed"]
