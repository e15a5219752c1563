"""BatchTable against DynamoDB (moto, table from template.yaml): what a batch's reader sees after
each transition, counters included."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from mediabatch import container
from mediabatch.adapters.dynamodb.batches import BatchTable, StartOutcome
from mediabatch.catalog.models import MediaItem, ProcessingState
from mediabatch.catalog.service import build_item
from mediabatch.downloads.models import BatchRecord, BatchStatus, FileInfo, JobRecord, JobStatus
from tests.integration.conftest import MakeBatch

pytestmark = pytest.mark.integration


def counters(store: BatchTable, batch: BatchRecord) -> dict[str, int]:
    found = store.get_batch(batch.tenant_id, batch.batch_id)
    assert found is not None
    return {
        "queued": found.queued_jobs,
        "running": found.running_jobs,
        "completed": found.completed_jobs,
        "failed": found.failed_jobs,
        "cancelled": found.cancelled_jobs,
    }


def job_now(store: BatchTable, job: JobRecord) -> JobRecord:
    found = store.get_job(job.tenant_id, job.batch_id, job.index)
    assert found is not None
    return found


# --------------------------------------------------------------------------- create / read
def test_a_batch_of_100_jobs_reads_back_whole_and_in_order(store: BatchTable, make_batch: MakeBatch) -> None:
    batch, jobs = make_batch(100, quality="720p", concurrent_limit=7, webhook_url="https://hooks.example/x")

    found = store.get_batch_with_jobs(batch.tenant_id, batch.batch_id)

    assert found is not None
    read_batch, read_jobs = found
    assert read_batch == batch
    assert read_batch.options.quality == "720p" and read_batch.options.concurrent_limit == 7
    assert (read_batch.total_jobs, read_batch.queued_jobs, read_batch.status) == (100, 100, BatchStatus.QUEUED)
    # Every job came back (more than one 25-item batch write), in index order, unchanged.
    assert [j.index for j in read_jobs] == list(range(100))
    assert read_jobs == jobs
    assert store.get_job(batch.tenant_id, batch.batch_id, 57) == jobs[57]


def test_a_batch_is_only_visible_to_its_own_tenant(store: BatchTable, make_batch: MakeBatch) -> None:
    batch, _ = make_batch(2)

    assert store.get_batch_with_jobs("someone-else", batch.batch_id) is None
    assert store.get_batch("someone-else", batch.batch_id) is None
    assert store.get_batch_with_jobs(batch.tenant_id, "batch_doesnotexist") is None


def test_the_same_batch_cannot_be_created_twice(store: BatchTable, make_batch: MakeBatch) -> None:
    batch, jobs = make_batch(1)

    with pytest.raises(ClientError) as raised:
        store.create(batch, jobs)
    assert raised.value.response["Error"]["Code"] == "ConditionalCheckFailedException"


# --------------------------------------------------------------------------- start_job
def test_starting_a_job_moves_it_and_the_counters_and_marks_the_batch_running(
    store: BatchTable, make_batch: MakeBatch
) -> None:
    batch, jobs = make_batch(3)

    assert store.start_job(jobs[1]) is StartOutcome.STARTED

    job = job_now(store, jobs[1])
    assert job.status is JobStatus.RUNNING and job.started_at is not None
    read = store.get_batch(batch.tenant_id, batch.batch_id)
    assert read is not None and read.status is BatchStatus.RUNNING and read.started_at is not None
    assert counters(store, batch) == {"queued": 2, "running": 1, "completed": 0, "failed": 0, "cancelled": 0}
    # The other jobs are untouched.
    assert job_now(store, jobs[0]).status is JobStatus.QUEUED


def test_starting_a_job_twice_is_skipped_and_counts_once(store: BatchTable, make_batch: MakeBatch) -> None:
    batch, jobs = make_batch(2)
    assert store.start_job(jobs[0]) is StartOutcome.STARTED

    assert store.start_job(jobs[0]) is StartOutcome.SKIPPED

    assert counters(store, batch) == {"queued": 1, "running": 1, "completed": 0, "failed": 0, "cancelled": 0}


def test_a_job_of_a_cancelled_batch_does_not_start_and_ends_cancelled(store: BatchTable, make_batch: MakeBatch) -> None:
    batch, jobs = make_batch(2)
    assert store.set_terminal(batch.tenant_id, batch.batch_id, BatchStatus.CANCELLED, error="cancelled by the user")

    assert store.start_job(jobs[0]) is StartOutcome.CANCELLED

    job = job_now(store, jobs[0])
    assert job.status is JobStatus.CANCELLED and job.started_at is None and job.completed_at is not None
    assert job.error and "not started" in job.error
    assert counters(store, batch) == {"queued": 1, "running": 0, "completed": 0, "failed": 0, "cancelled": 1}
    read = store.get_batch(batch.tenant_id, batch.batch_id)
    assert read is not None and read.status is BatchStatus.CANCELLED and read.error == "cancelled by the user"


def test_a_job_of_a_stopped_batch_does_not_start_and_ends_cancelled(store: BatchTable, make_batch: MakeBatch) -> None:
    batch, jobs = make_batch(3, stop_on_error=True)
    assert store.start_job(jobs[0]) is StartOutcome.STARTED
    assert store.finish_job(jobs[0], JobStatus.FAILED, error="boom")
    store.request_stop(batch.tenant_id, batch.batch_id)

    assert store.start_job(jobs[1]) is StartOutcome.CANCELLED

    assert job_now(store, jobs[1]).status is JobStatus.CANCELLED
    assert counters(store, batch) == {"queued": 1, "running": 0, "completed": 0, "failed": 1, "cancelled": 1}
    read = store.get_batch(batch.tenant_id, batch.batch_id)
    assert read is not None and read.stop_requested and read.status is BatchStatus.RUNNING


# --------------------------------------------------------------------------- finish_job
def test_a_job_finishes_only_once(store: BatchTable, make_batch: MakeBatch) -> None:
    batch, jobs = make_batch(2)
    assert store.start_job(jobs[0]) is StartOutcome.STARTED

    assert store.finish_job(jobs[0], JobStatus.COMPLETED, title="Clip") is True
    after_first = counters(store, batch)
    assert store.finish_job(jobs[0], JobStatus.FAILED, error="late crash report") is False

    assert (
        counters(store, batch)
        == after_first
        == {"queued": 1, "running": 0, "completed": 1, "failed": 0, "cancelled": 0}
    )
    job = job_now(store, jobs[0])
    assert job.status is JobStatus.COMPLETED and job.error is None
    assert job.title == "Clip" and job.progress_percent == 100.0 and job.completed_at is not None


def stored_file(job: JobRecord) -> tuple[FileInfo, MediaItem]:
    key = f"tenants/{job.tenant_id}/batch/{job.batch_id}/clip.mp4"
    info = FileInfo(
        filename="clip.mp4",
        filepath=f"batch/{job.batch_id}/clip.mp4",
        size_bytes=1234,
        content_type="video/mp4",
        s3_key=key,
        media_id=f"m-{job.job_id}",
    )
    media = build_item(
        tenant_id=job.tenant_id,
        media_id=f"m-{job.job_id}",
        storage_key=key,
        filename="clip.mp4",
        size=1234,
        content_type="video/mp4",
        folder=f"batch/{job.batch_id}",
        title="Clip",
        metadata={"source": "download"},
        processing=ProcessingState.NOT_REQUESTED,
    )
    return info, media


def test_a_completed_job_and_its_media_item_are_written_together(store: BatchTable, make_batch: MakeBatch) -> None:
    batch, jobs = make_batch(1)
    assert store.start_job(jobs[0]) is StartOutcome.STARTED
    info, media = stored_file(jobs[0])

    assert store.finish_job(jobs[0], JobStatus.COMPLETED, title="Clip", file_info=info, media=media) is True

    job = job_now(store, jobs[0])
    assert job.file_info == info and job.downloaded_bytes == job.total_bytes == 1234
    found = container.media_item_table().get(batch.tenant_id, media.id)
    assert found is not None and found.storage_key == info.s3_key and found.size == 1234


def test_a_job_someone_else_finished_writes_no_media_item(store: BatchTable, make_batch: MakeBatch) -> None:
    batch, jobs = make_batch(1)
    assert store.start_job(jobs[0]) is StartOutcome.STARTED
    assert store.finish_job(jobs[0], JobStatus.FAILED, error="job crashed: Sandbox.Timedout")
    info, media = stored_file(jobs[0])

    assert store.finish_job(jobs[0], JobStatus.COMPLETED, file_info=info, media=media) is False

    assert container.media_item_table().get(batch.tenant_id, media.id) is None
    assert job_now(store, jobs[0]).file_info is None


def test_a_failed_job_keeps_its_error_and_counts_as_failed(store: BatchTable, make_batch: MakeBatch) -> None:
    batch, jobs = make_batch(1)
    assert store.start_job(jobs[0]) is StartOutcome.STARTED

    assert store.finish_job(jobs[0], JobStatus.FAILED, error="HTTP Error 404: Not Found")

    job = job_now(store, jobs[0])
    assert job.status is JobStatus.FAILED and job.error == "HTTP Error 404: Not Found"
    assert job.progress_percent < 100.0
    assert counters(store, batch) == {"queued": 0, "running": 0, "completed": 0, "failed": 1, "cancelled": 0}


def test_a_queued_job_cannot_be_finished_as_if_it_were_running(store: BatchTable, make_batch: MakeBatch) -> None:
    batch, jobs = make_batch(1)

    assert store.finish_job(jobs[0], JobStatus.COMPLETED) is False

    assert job_now(store, jobs[0]).status is JobStatus.QUEUED
    assert counters(store, batch) == {"queued": 1, "running": 0, "completed": 0, "failed": 0, "cancelled": 0}


# --------------------------------------------------------------------------- progress / cancel
def test_progress_is_recorded_while_running_and_refused_after_a_cancel_request(
    store: BatchTable, make_batch: MakeBatch
) -> None:
    _, jobs = make_batch(1)
    job = jobs[0]
    assert store.start_job(job) is StartOutcome.STARTED

    assert store.update_progress(job, percent=41.26, downloaded=4126, total=10000, title="Clip") is True
    recorded = job_now(store, job)
    assert (recorded.progress_percent, recorded.downloaded_bytes, recorded.total_bytes, recorded.title) == (
        41.3,
        4126,
        10000,
        "Clip",
    )

    store.request_cancel(job)

    assert store.update_progress(job, percent=80.0, downloaded=8000, total=10000, title="Clip") is False
    assert job_now(store, job).progress_percent == 41.3  # the refused write changed nothing


def test_progress_of_a_job_that_is_not_running_is_refused(store: BatchTable, make_batch: MakeBatch) -> None:
    _, jobs = make_batch(1)

    assert store.update_progress(jobs[0], percent=10.0, downloaded=1, total=None, title=None) is False

    assert store.start_job(jobs[0]) is StartOutcome.STARTED
    assert store.finish_job(jobs[0], JobStatus.COMPLETED)
    assert store.update_progress(jobs[0], percent=10.0, downloaded=1, total=None, title=None) is False
    assert job_now(store, jobs[0]).progress_percent == 100.0


def test_a_cancel_request_for_a_job_that_is_not_running_is_ignored(store: BatchTable, make_batch: MakeBatch) -> None:
    _, jobs = make_batch(1)

    store.request_cancel(jobs[0])  # queued: nothing to stop, and no error

    assert store.start_job(jobs[0]) is StartOutcome.STARTED
    assert store.update_progress(jobs[0], percent=5.0, downloaded=5, total=100, title=None) is True


# --------------------------------------------------------------------------- batch terminal state
def test_set_terminal_wins_once_and_the_first_status_stays(store: BatchTable, make_batch: MakeBatch) -> None:
    batch, _ = make_batch(1)

    won = store.set_terminal(batch.tenant_id, batch.batch_id, BatchStatus.FAILED, error="could not start")
    assert won is not None and won.status is BatchStatus.FAILED and won.error == "could not start"
    assert store.set_terminal(batch.tenant_id, batch.batch_id, BatchStatus.CANCELLED) is None

    read = store.get_batch(batch.tenant_id, batch.batch_id)
    assert read is not None
    assert read.status is BatchStatus.FAILED and read.error == "could not start" and read.completed_at is not None


# --------------------------------------------------------------------------- storage keys
def test_a_storage_key_belongs_to_the_first_owner(tenant_id: str) -> None:
    keys = container.storage_key_table()
    key = "batch/batch_x/clip.mp4"

    assert keys.reserve(tenant_id, key, "job_a") is True
    assert keys.reserve(tenant_id, key, "job_b") is False
    assert keys.reserve(tenant_id, key, "job_a") is True  # a retry of the same job keeps its key
    assert keys.reserve(tenant_id, "batch/batch_x/clip-2.mp4", "job_b") is True
    # Keys are per tenant: another tenant may use the same relative path.
    assert keys.reserve(tenant_id + "-other", key, "job_b") is True


def test_a_released_storage_key_can_be_claimed_by_another_job(tenant_id: str) -> None:
    keys = container.storage_key_table()
    key = "batch/batch_y/clip.mp4"
    assert keys.reserve(tenant_id, key, "job_a") is True

    keys.release(tenant_id, key, "job_b")  # not the owner: changes nothing
    assert keys.reserve(tenant_id, key, "job_b") is False
    keys.release(tenant_id, key, "job_a")

    assert keys.reserve(tenant_id, key, "job_b") is True
