"""How far a job is, and how it ended (the seed's formula and statuses)."""

from __future__ import annotations

from datetime import datetime

from mediabatch.documents.models import (
    DocumentFile,
    DocumentJob,
    FileStatus,
    JobMetadata,
    JobStatus,
    JobView,
)

TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%f"  # the seed's timestamps: 2025-11-09T10:30:00.000000 (UTC)


def overall_progress(files: list[DocumentFile]) -> float:
    """(processed files + the running files' fractions) / total x 100: the seed's
    `processed_files / total_files * 100` plus the current file's share of its slice; with files
    running in parallel each running file adds its own share."""
    if not files:
        return 0.0
    done = sum(1.0 if f.finished else f.progress.percentage / 100.0 for f in files)
    return round(done / len(files) * 100.0, 2)


def final_status(files: list[DocumentFile]) -> JobStatus:
    completed = sum(1 for f in files if f.status is FileStatus.COMPLETED)
    if files and completed == len(files):
        return JobStatus.COMPLETED
    if completed == 0:
        return JobStatus.FAILED
    return JobStatus.PARTIALLY_COMPLETED


def current_file(files: list[DocumentFile]) -> DocumentFile | None:
    """The first file being processed (several may run at once)."""
    return next((f for f in files if f.status is FileStatus.PROCESSING), None)


def metadata(job: DocumentJob) -> JobMetadata:
    ok = [f for f in job.files if f.status is FileStatus.COMPLETED]
    start = job.started_at or job.created_at
    end = job.completed_at or start
    seconds = (datetime.strptime(end, TIME_FORMAT) - datetime.strptime(start, TIME_FORMAT)).total_seconds()
    return JobMetadata(
        total_chunks=sum(f.chunks for f in ok),
        total_text_length=sum(f.text_length for f in ok),
        processing_time_seconds=round(seconds, 2),
        successful_files=len(ok),
        failed_files=sum(1 for f in job.files if f.status is FileStatus.FAILED),
    )


def view(job: DocumentJob) -> JobView:
    if job.final_status is not None:
        status = job.final_status
    elif job.submitted and any(f.status is not FileStatus.PENDING for f in job.files):
        status = JobStatus.PROCESSING
    else:
        status = JobStatus.QUEUED
    final = job.final_status is not None
    return JobView(
        job=job,
        status=status,
        processed_files=sum(1 for f in job.files if f.finished),
        current_file=None if final else current_file(job.files),
        overall_progress=100.0 if final else overall_progress(job.files),
        metadata=metadata(job) if final else None,
    )
