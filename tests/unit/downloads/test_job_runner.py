"""One job from start to recorded outcome, through in-memory fakes of the ports."""

from __future__ import annotations

from mediabatch.downloads.failures import FailureCode, JobFailure
from mediabatch.downloads.models import (
    NOT_STARTED,
    BatchRecord,
    BatchStatus,
    DownloadFailed,
    JobRecord,
    JobStatus,
    JobTimedOut,
)
from mediabatch.downloads.transfer import media_id_for
from tests.fakes.downloads import FakeDownloader
from tests.unit.downloads.conftest import TENANT, URL_1, URL_2, World


def plenty() -> float:
    return 900.0


def job_id(batch: BatchRecord, index: int = 0) -> str:
    return f"job_{batch.batch_id}_{index}"


def stored_job(world: World, batch: BatchRecord, index: int = 0) -> JobRecord:
    return world.store.jobs[(TENANT, batch.batch_id)][index]


# --------------------------------------------------------------------------- success
def test_a_downloaded_file_is_stored_registered_and_announced(world: World) -> None:
    batch = world.create(URL_1, quality="720p", video_format="webm", download_subtitles=True)
    downloader = FakeDownloader(b"0123456789", info={"id": "abc", "title": "My Clip", "ext": "webm"})

    result = world.runner(downloader).run(TENANT, batch.batch_id, job_id(batch), plenty)

    assert (result.status, result.error) == ("completed", None)
    assert downloader.specs[0].url == URL_1 and downloader.specs[0].quality == "720p"
    assert downloader.specs[0].video_format == "webm" and downloader.specs[0].download_subtitles
    key = f"tenants/{TENANT}/batch/{batch.batch_id}/My_Clip.webm"
    assert world.storage.objects == {key: (b"0123456789", "video/webm")}
    job = stored_job(world, batch)
    assert job.status is JobStatus.COMPLETED and job.title == "My Clip" and job.progress_percent == 100.0
    assert job.file_info is not None and job.file_info.s3_key == key and job.file_info.size_bytes == 10
    assert job.file_info.filepath == f"batch/{batch.batch_id}/My_Clip.webm"
    media = world.store.media[(TENANT, media_id_for(TENANT, job.job_id))]
    assert media.storage_key == key and media.size == 10 and media.type.value == "video"
    assert media.metadata == {"source": "download", "url": URL_1, "batch_id": batch.batch_id, "job_id": job.job_id}
    assert job.file_info.media_id == media.id
    assert world.keys.owners == {(TENANT, f"batch/{batch.batch_id}/My_Clip.webm"): job.job_id}
    assert world.events.types() == ["job.completed", "batch.completed"]
    assert world.store.batch(batch).status is BatchStatus.COMPLETED
    assert not downloader.work_dirs[0].exists()  # the work dir is cleaned up


def test_progress_is_written_while_the_file_downloads(world: World) -> None:
    batch = world.create(URL_1)
    seen: list[float] = []
    world.runner(
        FakeDownloader(b"x" * 100, steps=3, during=lambda: seen.append(stored_job(world, batch).progress_percent))
    ).run(TENANT, batch.batch_id, job_id(batch), plenty)

    assert seen == [0.0, 25.0, 50.0]  # what the previous step wrote
    assert stored_job(world, batch).progress_percent == 100.0


def test_subtitles_are_stored_next_to_the_file(world: World) -> None:
    batch = world.create(URL_1, download_subtitles=True)
    downloader = FakeDownloader(subtitles={"en": b"WEBVTT en", "pt-BR": b"WEBVTT pt"})

    world.runner(downloader).run(TENANT, batch.batch_id, job_id(batch), plenty)

    info = stored_job(world, batch).file_info
    assert info is not None
    folder = f"batch/{batch.batch_id}"
    assert [(s.lang, s.filepath) for s in info.subtitles] == [
        ("en", f"{folder}/Clip.en.vtt"),
        ("pt-BR", f"{folder}/Clip.pt-BR.vtt"),
    ]
    assert world.storage.objects[f"tenants/{TENANT}/{folder}/Clip.en.vtt"] == (b"WEBVTT en", "text/vtt")


def test_a_streamable_file_goes_up_while_it_downloads(world: World) -> None:
    batch = world.create(URL_1)

    world.runner(FakeDownloader(b"abcdefgh", streamable=True, steps=2)).run(
        TENANT, batch.batch_id, job_id(batch), plenty
    )

    [upload] = world.storage.uploads
    assert upload.key == f"tenants/{TENANT}/batch/{batch.batch_id}/Clip.mp4" and upload.fed == [2, 5]
    assert world.storage.objects[upload.key] == (b"abcdefgh", "video/mp4")
    assert stored_job(world, batch).status is JobStatus.COMPLETED


def test_when_the_progressive_upload_does_not_match_the_file_is_uploaded_whole(world: World) -> None:
    world.storage.progressive_parts_match = False
    batch = world.create(URL_1)

    world.runner(FakeDownloader(b"abcdefgh", streamable=True)).run(TENANT, batch.batch_id, job_id(batch), plenty)

    assert world.storage.objects == {f"tenants/{TENANT}/batch/{batch.batch_id}/Clip.mp4": (b"abcdefgh", "video/mp4")}
    info = stored_job(world, batch).file_info
    assert info is not None and info.size_bytes == 8


def test_two_files_with_the_same_name_never_overwrite_each_other(world: World) -> None:
    batch = world.create(URL_1, URL_2, path_template="batch/{safe_title}.{ext}")
    runner = world.runner()

    runner.run(TENANT, batch.batch_id, job_id(batch, 0), plenty)
    runner.run(TENANT, batch.batch_id, job_id(batch, 1), plenty)

    paths = [stored_job(world, batch, i).file_info.filepath for i in (0, 1)]  # type: ignore[union-attr]
    assert paths == ["batch/Clip.mp4", "batch/Clip-2.mp4"]
    assert len(world.storage.objects) == 2 and len(world.store.media) == 2


# --------------------------------------------------------------------------- failure
def test_a_failed_download_records_its_message_and_stores_nothing(world: World) -> None:
    batch = world.create(URL_1, URL_2)
    failing = FakeDownloader(streamable=True, error=DownloadFailed("HTTP Error 404: Not Found"))

    result = world.runner(failing).run(TENANT, batch.batch_id, job_id(batch), plenty)

    assert (result.status, result.error) == ("failed", "HTTP Error 404: Not Found")
    job = stored_job(world, batch)
    assert job.status is JobStatus.FAILED and job.error == "HTTP Error 404: Not Found" and job.file_info is None
    assert world.storage.objects == {} and world.store.media == {}
    assert world.storage.uploads[0].aborted and world.keys.owners == {}  # the claimed key is given back
    assert world.events.events == [
        (
            "job.failed",
            {
                "tenant_id": TENANT,
                "batch_id": batch.batch_id,
                "job_id": job.job_id,
                "url": URL_1,
                "status": "failed",
                "error": "HTTP Error 404: Not Found",
                "error_code": "download_failed",  # a bare message's code; the job's own code
            },
        )
    ]
    assert world.store.batch(batch).status is BatchStatus.RUNNING  # the other job is still to come


def test_a_batch_where_nothing_succeeded_ends_failed_even_when_errors_are_ignored(world: World) -> None:
    batch = world.create(URL_1)

    world.runner(FakeDownloader(error=DownloadFailed("gone"))).run(TENANT, batch.batch_id, job_id(batch), plenty)

    ended = world.store.batch(batch)
    assert ended.status is BatchStatus.FAILED and ended.error == "1 of 1 jobs failed"
    assert world.events.types() == ["job.failed", "batch.failed"]


def test_a_failed_download_records_its_code_and_the_sources_detail(world: World) -> None:
    batch = world.create(URL_1)
    failure = JobFailure.of(FailureCode.NOT_FOUND, "HTTP Error 404: Not Found", reason="HTTP 404 Not Found")

    world.runner(FakeDownloader(error=DownloadFailed(failure))).run(TENANT, batch.batch_id, job_id(batch), plenty)

    job = stored_job(world, batch)
    assert (job.error, job.error_code, job.error_detail) == (failure.message, "not_found", "HTTP Error 404: Not Found")


def test_a_timed_out_download_says_after_how_long(world: World) -> None:
    batch = world.create(URL_1)

    result = world.runner(FakeDownloader(error=JobTimedOut())).run(TENANT, batch.batch_id, job_id(batch), lambda: 100.0)

    # The budget is what the Lambda has left less the safety margin (100 - 30).
    assert result.error == "timed out after 70 s" and stored_job(world, batch).error == "timed out after 70 s"
    assert stored_job(world, batch).error_code == "timeout"


def test_a_bug_in_one_job_becomes_a_failed_job_not_a_crash(world: World) -> None:
    batch = world.create(URL_1)

    result = world.runner(FakeDownloader(error=KeyError("boom"))).run(TENANT, batch.batch_id, job_id(batch), plenty)

    assert result.status == "failed" and result.error == "internal error (logged); please retry"
    assert stored_job(world, batch).status is JobStatus.FAILED and stored_job(world, batch).error_code == "internal"


def test_stop_on_error_stops_the_batch_at_the_first_failure(world: World) -> None:
    batch = world.create(URL_1, URL_2, stop_on_error=True)

    world.runner(FakeDownloader(error=DownloadFailed("gone"))).run(TENANT, batch.batch_id, job_id(batch, 0), plenty)
    second = world.runner().run(TENANT, batch.batch_id, job_id(batch, 1), plenty)

    assert second.status == "cancelled"
    assert (
        stored_job(world, batch, 1).status is JobStatus.CANCELLED and stored_job(world, batch, 1).error == NOT_STARTED
    )
    ended = world.store.batch(batch)
    assert ended.status is BatchStatus.FAILED
    assert ended.error == "1 of 2 jobs failed; stopped on the first error (stop_on_error)"
    assert world.events.types() == ["job.failed", "job.cancelled", "batch.failed"]
    # Each job event carries the code the job has in the API, for receivers that branch on it.
    codes = [detail.get("error_code", "absent") for _, detail in world.events.events[:2]]
    assert codes == ["download_failed", "not_started"]
    assert [stored_job(world, batch, i).error_code for i in (0, 1)] == codes


def test_a_completed_jobs_event_says_it_has_no_error_code(world: World) -> None:
    batch = world.create(URL_1)

    world.runner().run(TENANT, batch.batch_id, job_id(batch), plenty)

    kind, detail = world.events.events[0]
    assert kind == "job.completed" and (detail["error"], detail["error_code"]) == (None, None)


# --------------------------------------------------------------------------- cancel
def test_a_job_cancelled_while_it_downloads_ends_cancelled_and_keeps_nothing(world: World) -> None:
    batch = world.create(URL_1, URL_2)

    def user_cancels() -> None:
        world.service.cancel(TENANT, batch.batch_id)

    result = world.runner(FakeDownloader(streamable=True, during=user_cancels)).run(
        TENANT, batch.batch_id, job_id(batch), plenty
    )

    assert (result.status, result.error) == ("cancelled", "cancelled")
    assert stored_job(world, batch).status is JobStatus.CANCELLED
    assert world.storage.objects == {} and world.store.media == {} and world.keys.owners == {}
    assert world.store.batch(batch).status is BatchStatus.CANCELLED
    assert world.events.types() == ["job.cancelled", "batch.cancelled", "job.cancelled"]


def test_a_job_of_a_cancelled_batch_never_starts(world: World) -> None:
    batch = world.create(URL_1)
    world.service.cancel(TENANT, batch.batch_id)
    downloader = FakeDownloader()

    result = world.runner(downloader).run(TENANT, batch.batch_id, job_id(batch), plenty)

    assert result.status == "skipped"  # cancel already ended it
    assert downloader.specs == []


# --------------------------------------------------------------------------- races and retries
def test_a_job_someone_else_finished_meanwhile_leaves_no_file_behind(world: World) -> None:
    batch = world.create(URL_1)

    def crash_recorded() -> None:
        world.runner().record_crash(TENANT, batch.batch_id, job_id(batch), "Sandbox.Timedout")

    result = world.runner(FakeDownloader(at_end=crash_recorded)).run(TENANT, batch.batch_id, job_id(batch), plenty)

    assert result.status == "completed"  # what this run did; the recorded outcome stands
    job = stored_job(world, batch)
    assert job.status is JobStatus.FAILED and job.error == "job crashed: Sandbox.Timedout"
    assert world.storage.objects == {} and world.store.media == {} and world.keys.owners == {}
    assert world.events.types() == ["job.failed", "batch.failed"]


def test_a_retried_job_that_already_finished_is_skipped(world: World) -> None:
    batch = world.create(URL_1)
    runner = world.runner()
    runner.run(TENANT, batch.batch_id, job_id(batch), plenty)
    events = list(world.events.events)

    again = runner.run(TENANT, batch.batch_id, job_id(batch), plenty)

    assert again.status == "skipped" and world.events.events == events


def test_a_job_of_an_unknown_batch_is_missing(world: World) -> None:
    result = world.runner().run(TENANT, "batch_0000000000000000", "job_batch_0000000000000000_0", plenty)
    assert result.status == "missing"


# --------------------------------------------------------------------------- crashes
def test_a_crash_fails_the_running_job_once(world: World) -> None:
    batch = world.create(URL_1, URL_2)
    world.store.start_job(stored_job(world, batch))
    runner = world.runner()

    first = runner.record_crash(TENANT, batch.batch_id, job_id(batch), "Runtime.OutOfMemory")
    second = runner.record_crash(TENANT, batch.batch_id, job_id(batch), "Runtime.OutOfMemory")

    assert (first.status, first.error) == ("failed", "job crashed: Runtime.OutOfMemory")
    assert second.status == "already_finished"
    assert world.events.types() == ["job.failed"]
    assert world.store.batch(batch).failed_jobs == 1


def test_a_crash_before_the_job_started_fails_the_queued_job(world: World) -> None:
    batch = world.create(URL_1, stop_on_error=True)

    result = world.runner().record_crash(TENANT, batch.batch_id, job_id(batch), "States.Timeout")

    assert result.status == "failed"
    ended = world.store.batch(batch)
    assert ended.stop_requested and ended.status is BatchStatus.FAILED
    assert world.events.types() == ["job.failed", "batch.failed"]


def test_a_crash_of_an_unknown_job_is_missing(world: World) -> None:
    batch = world.create(URL_1)
    assert world.runner().record_crash(TENANT, batch.batch_id, job_id(batch, 5), "x").status == "missing"
