"""The seed's progress formula and statuses."""

from __future__ import annotations

from mediabatch.documents.models import DocumentFile, DocumentJob, DocumentKind, FileProgress, FileStatus, JobStatus
from mediabatch.documents.progress import final_status, overall_progress, view


def file(index: int, status: FileStatus, percentage: float = 0.0, chunks: int = 0) -> DocumentFile:
    return DocumentFile(
        index=index,
        name=f"f{index}.pdf",
        kind=DocumentKind.PDF,
        size=10,
        storage_key=f"k{index}",
        status=status,
        chunks=chunks,
        text_length=chunks * 100,
        progress=FileProgress(percentage=percentage),
    )


def job(files: list[DocumentFile], **kw: object) -> DocumentJob:
    return DocumentJob(
        tenant_id="t",
        job_id="j",
        is_batch=True,
        collection_name="c",
        created_at="2025-11-09T10:30:00.000000",
        files=files,
        **kw,  # type: ignore[arg-type]
    )


def test_file_3_of_10_at_its_start_is_20_percent_as_in_the_seed() -> None:
    files = [file(i, FileStatus.COMPLETED) for i in range(2)]
    files += [file(2, FileStatus.PROCESSING, 0.0)] + [file(i, FileStatus.PENDING) for i in range(3, 10)]
    assert overall_progress(files) == 20.0


def test_the_current_file_adds_its_share_of_its_slice() -> None:
    files = [file(0, FileStatus.COMPLETED), file(1, FileStatus.PROCESSING, 60.0), file(2, FileStatus.PENDING)]
    assert overall_progress(files) == 53.33  # (1 + 0.6) / 3


def test_failed_files_count_as_processed() -> None:
    assert overall_progress([file(0, FileStatus.FAILED), file(1, FileStatus.COMPLETED)]) == 100.0


def test_final_statuses() -> None:
    assert final_status([file(0, FileStatus.COMPLETED), file(1, FileStatus.COMPLETED)]) is JobStatus.COMPLETED
    assert final_status([file(0, FileStatus.COMPLETED), file(1, FileStatus.FAILED)]) is JobStatus.PARTIALLY_COMPLETED
    assert final_status([file(0, FileStatus.FAILED), file(1, FileStatus.FAILED)]) is JobStatus.FAILED


def test_a_job_is_queued_until_a_file_starts_then_processing_with_its_current_file() -> None:
    queued = view(job([file(0, FileStatus.PENDING), file(1, FileStatus.PENDING)]))
    assert queued.status is JobStatus.QUEUED and queued.current_file is None and queued.overall_progress == 0.0
    running = view(job([file(0, FileStatus.COMPLETED, chunks=3), file(1, FileStatus.PROCESSING, 50.0)]))
    assert running.status is JobStatus.PROCESSING and running.processed_files == 1
    assert running.current_file is not None and running.current_file.name == "f1.pdf"
    assert running.overall_progress == 75.0 and running.metadata is None


def test_a_presigned_job_stays_queued_until_it_is_submitted() -> None:
    waiting = view(job([file(0, FileStatus.PROCESSING)], submitted=False))
    assert waiting.status is JobStatus.QUEUED


def test_a_finished_job_has_the_seeds_metadata() -> None:
    done = view(
        job(
            [
                file(0, FileStatus.COMPLETED, chunks=42),
                file(1, FileStatus.FAILED),
                file(2, FileStatus.COMPLETED, chunks=45),
            ],
            final_status=JobStatus.PARTIALLY_COMPLETED,
            started_at="2025-11-09T10:30:05.000000",
            completed_at="2025-11-09T10:32:15.500000",
        )
    )
    assert done.status is JobStatus.PARTIALLY_COMPLETED and done.overall_progress == 100.0
    assert done.current_file is None
    assert done.metadata is not None
    assert (done.metadata.total_chunks, done.metadata.total_text_length) == (87, 8700)
    assert (done.metadata.successful_files, done.metadata.failed_files) == (2, 1)
    assert done.metadata.processing_time_seconds == 130.5
