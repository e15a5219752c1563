"""The seed's JSON for batches (batch-downloads-guide.md), built from the domain's typed views."""

from __future__ import annotations

from functions.api.schemas.batches import BatchOut, BatchSummaryOut
from mediabatch.downloads.models import JobStatus, StartOutcome
from tests.fakes.downloads import FakeDownloader
from tests.unit.downloads.conftest import TENANT, URL_1, URL_2, World


def test_the_create_answer_is_the_seeds_summary(world: World) -> None:
    batch = world.create(URL_1, URL_2)

    assert BatchSummaryOut.of(batch).model_dump(mode="json") == {
        "batch_id": batch.batch_id,
        "status": "queued",
        "total_jobs": 2,
        "completed_jobs": 0,
        "failed_jobs": 0,
        "running_jobs": 0,
        "queued_jobs": 2,
        "cancelled_jobs": 0,
    }


def test_a_batch_reads_with_its_jobs_progress_files_and_links(world: World) -> None:
    batch = world.create(URL_1, URL_2, download_subtitles=True)
    world.runner(FakeDownloader(b"12345", subtitles={"en": b"WEBVTT"})).run(
        TENANT, batch.batch_id, f"job_{batch.batch_id}_0", lambda: 900.0
    )
    assert world.store.start_job(world.store.jobs[(TENANT, batch.batch_id)][1]) is StartOutcome.STARTED

    body = BatchOut.of_details(world.service.get(TENANT, batch.batch_id)).model_dump(mode="json")

    assert set(body) == {
        "batch_id", "status", "total_jobs", "completed_jobs", "failed_jobs", "running_jobs", "queued_jobs",
        "cancelled_jobs", "jobs", "created_at", "started_at", "completed_at", "duration_sec", "error",
    }  # fmt: skip
    assert (body["status"], body["completed_jobs"], body["running_jobs"]) == ("running", 1, 1)
    done, running = body["jobs"]
    key = f"tenants/{TENANT}/batch/{batch.batch_id}/Clip.mp4"
    assert done["status"] == JobStatus.COMPLETED.value and done["title"] == "Clip" and done["error"] is None
    assert done["progress"] == {"percent": 100.0, "downloaded_bytes": 5, "total_bytes": 5}
    assert done["file_info"] == {
        "filename": "Clip.mp4",
        "filepath": f"batch/{batch.batch_id}/Clip.mp4",
        "size_bytes": 5,
        "content_type": "video/mp4",
        "media_id": world.store.jobs[(TENANT, batch.batch_id)][0].file_info.media_id,  # type: ignore[union-attr]
        "subtitles": [
            {
                "lang": "en",
                "filepath": f"batch/{batch.batch_id}/Clip.en.vtt",
                "download_url": f"https://signed.test/tenants/{TENANT}/batch/{batch.batch_id}/Clip.en.vtt"
                "?filename=Clip.en.vtt",
            }
        ],
        "download_url": f"https://signed.test/{key}?filename=Clip.mp4",
    }
    assert running["status"] == "running" and running["file_info"] is None and running["started_at"]
    assert set(running) == {
        "job_id", "url", "status", "title", "progress", "file_info", "error", "error_code", "error_detail",
        "created_at", "started_at", "completed_at",
    }  # fmt: skip
