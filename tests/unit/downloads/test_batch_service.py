"""Creating, reading and cancelling batches through in-memory fakes of the ports."""

from __future__ import annotations

import pytest

from mediabatch.downloads.models import BatchStatus, FileInfo, JobStatus, StartOutcome, Subtitle
from mediabatch.errors import NotFound, ValidationFailed
from tests.unit.downloads.conftest import OTHER_TENANT, TENANT, URL_1, URL_2, URL_3, World


# --------------------------------------------------------------------------- create
def test_a_new_batch_is_stored_queued_and_handed_to_the_workflow(world: World) -> None:
    batch = world.create(URL_1, URL_2, concurrent_limit=2, quality="720p")

    assert batch.batch_id.startswith("batch_") and batch.status is BatchStatus.QUEUED
    assert (batch.total_jobs, batch.queued_jobs) == (2, 2)
    found = world.store.get_batch_with_jobs(TENANT, batch.batch_id)
    assert found is not None
    stored, jobs = found
    assert stored.options.quality == "720p"
    assert [j.url for j in jobs] == [URL_1, URL_2] and all(j.status is JobStatus.QUEUED for j in jobs)
    assert world.workflow.started == [
        {
            "tenant_id": TENANT,
            "batch_id": batch.batch_id,
            "concurrent_limit": 2,
            "job_ids": [f"job_{batch.batch_id}_0", f"job_{batch.batch_id}_1"],
        }
    ]
    assert world.events.events == []


def test_duplicate_urls_are_refused_naming_each_duplicate(world: World) -> None:
    with pytest.raises(ValidationFailed) as caught:
        world.create(URL_1, URL_2, URL_1 + "#fragment", "HTTP://93.184.216.34/two.mp4")

    assert caught.value.code == "duplicate_urls"
    assert caught.value.details == [
        {"field": "urls[2]", "url": URL_1 + "#fragment", "message": "duplicate of urls[0]"},
        {"field": "urls[3]", "url": "HTTP://93.184.216.34/two.mp4", "message": "duplicate of urls[1]"},
    ]
    assert world.store.batches == {} and world.workflow.started == []


@pytest.mark.parametrize(
    "bad",
    [
        "http://10.1.2.3/a.mp4",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/a.mp4",
        "http://localhost/a.mp4",
        "ftp://example.com/a.mp4",
        "file:///etc/passwd",
        "http://",
        "",
    ],
)
def test_unsafe_or_invalid_urls_are_refused_before_anything_is_stored(world: World, bad: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        world.create(URL_1, bad)

    assert caught.value.code == "invalid_urls"
    assert caught.value.details[0]["field"] == "urls[1]" and caught.value.details[0]["url"] == bad
    assert world.store.batches == {} and world.workflow.started == []


def test_an_unsafe_webhook_url_is_refused(world: World) -> None:
    with pytest.raises(ValidationFailed) as caught:
        world.create(URL_1, webhook_url="http://10.0.0.5/hook")

    assert caught.value.code == "invalid_webhook_url"
    assert caught.value.details[0]["field"] == "webhook_url"


def test_a_path_template_outside_batch_is_refused(world: World) -> None:
    with pytest.raises(ValidationFailed) as caught:
        world.create(URL_1, path_template="other/{id}.{ext}")

    assert caught.value.code == "validation_error"
    assert caught.value.details == [{"field": "path_template", "message": "must start with 'batch/'"}]


def test_a_batch_the_workflow_cannot_start_ends_failed_and_is_announced(world: World) -> None:
    world.workflow.fail = True

    with pytest.raises(RuntimeError):
        world.create(URL_1, URL_2)

    [(tenant, batch_id)] = world.store.batches
    stored = world.store.batch(batch_id, tenant)
    assert stored.status is BatchStatus.FAILED and stored.announced
    assert stored.error == "the batch could not be started; please retry"
    assert (stored.failed_jobs, stored.queued_jobs) == (2, 0)
    jobs = world.store.jobs[(tenant, batch_id)].values()
    assert all(j.status is JobStatus.FAILED and j.error == "the batch could not be started" for j in jobs)
    assert world.events.types() == ["batch.failed"]


# --------------------------------------------------------------------------- get
def test_get_returns_the_batch_with_its_jobs_and_links_to_stored_files(world: World) -> None:
    batch = world.create(URL_1, URL_2)
    job = world.store.jobs[(TENANT, batch.batch_id)][0]
    assert world.store.start_job(job) is StartOutcome.STARTED
    info = FileInfo(
        filename="clip.mp4",
        filepath="batch/x/clip.mp4",
        size_bytes=3,
        content_type="video/mp4",
        s3_key=f"tenants/{TENANT}/batch/x/clip.mp4",
        subtitles=[Subtitle(lang="en", filepath="batch/x/clip.en.vtt", s3_key=f"tenants/{TENANT}/batch/x/clip.en.vtt")],
    )
    world.store.finish_job(job, JobStatus.COMPLETED, file_info=info)

    details = world.service.get(TENANT, batch.batch_id)

    assert details.batch.batch_id == batch.batch_id and details.batch.completed_jobs == 1
    assert [j.job.url for j in details.jobs] == [URL_1, URL_2]
    done, queued = details.jobs
    assert done.download_url == f"https://signed.test/tenants/{TENANT}/batch/x/clip.mp4?filename=clip.mp4"
    assert [(s.subtitle.lang, s.download_url) for s in done.subtitles] == [
        ("en", f"https://signed.test/tenants/{TENANT}/batch/x/clip.en.vtt?filename=clip.en.vtt")
    ]
    assert queued.download_url is None and queued.subtitles == []
    assert details.duration_sec is not None and details.duration_sec >= 0


@pytest.mark.parametrize("batch_id", ["batch_0123456789abcdef", "not-a-batch-id", "batch_../../x"])
def test_an_unknown_batch_is_not_found(world: World, batch_id: str) -> None:
    with pytest.raises(NotFound) as caught:
        world.service.get(TENANT, batch_id)
    assert caught.value.code == "batch_not_found"


def test_another_tenants_batch_is_not_found_and_cannot_be_cancelled(world: World) -> None:
    batch = world.create(URL_1, tenant_id=OTHER_TENANT)

    with pytest.raises(NotFound):
        world.service.get(TENANT, batch.batch_id)
    with pytest.raises(NotFound):
        world.service.cancel(TENANT, batch.batch_id)
    assert world.store.batch(batch).status is BatchStatus.QUEUED


# --------------------------------------------------------------------------- cancel
def test_cancel_ends_queued_jobs_asks_running_ones_to_stop_and_announces(world: World) -> None:
    batch = world.create(URL_1, URL_2, URL_3)
    jobs = world.store.jobs[(TENANT, batch.batch_id)]
    world.store.start_job(jobs[0])

    details = world.service.cancel(TENANT, batch.batch_id)

    assert details.batch.status is BatchStatus.CANCELLED and details.batch.error == "cancelled by the user"
    assert [j.job.status for j in details.jobs] == [JobStatus.RUNNING, JobStatus.CANCELLED, JobStatus.CANCELLED]
    assert details.jobs[1].job.error == "cancelled before it started"
    assert (TENANT, batch.batch_id, 0) in world.store.cancel_requested
    assert world.events.types() == ["job.cancelled", "job.cancelled", "batch.cancelled"]
    assert world.store.batch(batch).announced
    # The running job notices at its next progress write.
    assert not world.store.update_progress(jobs[0], percent=50, downloaded=1, total=2, title=None)


def test_cancelling_a_finished_batch_changes_nothing(world: World) -> None:
    batch = world.create(URL_1)
    world.runner().run(TENANT, batch.batch_id, f"job_{batch.batch_id}_0", lambda: 900.0)
    before = world.events.types()

    details = world.service.cancel(TENANT, batch.batch_id)

    assert details.batch.status is BatchStatus.COMPLETED
    assert world.events.types() == before
