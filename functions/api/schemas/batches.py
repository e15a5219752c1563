"""Batch downloads wire shapes (seed: batch-downloads-guide.md)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from mediabatch.downloads.models import BatchDetails, BatchPage, BatchRecord, LinkedJob

from .job_fields import JobErrorCode, JobErrorDetail, JobErrorText, JobStatus


class BatchSummaryOut(BaseModel):
    """The 202 answer to a create: counters only."""

    batch_id: str
    status: str = Field(description="queued, running, completed, failed or cancelled")
    total_jobs: int
    completed_jobs: int
    failed_jobs: int
    running_jobs: int
    queued_jobs: int
    cancelled_jobs: int

    @classmethod
    def of(cls, batch: BatchRecord) -> BatchSummaryOut:
        return cls(
            batch_id=batch.batch_id,
            status=batch.status.value,
            total_jobs=batch.total_jobs,
            completed_jobs=batch.completed_jobs,
            failed_jobs=batch.failed_jobs,
            running_jobs=batch.running_jobs,
            queued_jobs=batch.queued_jobs,
            cancelled_jobs=batch.cancelled_jobs,
        )


class BatchListEntryOut(BatchSummaryOut):
    """A batch in the tenant's history: the create answer's counters, when it was created, and
    for a show batch its feed and folder."""

    created_at: str
    show_url: str | None = Field(description="the feed or playlist of a show batch; null for a batch of URLs")
    folder: str | None = Field(description="where a show batch's files go; null for a batch of URLs")

    @classmethod
    def of_record(cls, batch: BatchRecord) -> BatchListEntryOut:
        return cls(
            **BatchSummaryOut.of(batch).model_dump(),
            created_at=batch.created_at,
            show_url=batch.show_url,
            folder=batch.folder,
        )


class BatchListOut(BaseModel):
    """GET /api/v1/batch: the tenant's batches, newest first."""

    batches: list[BatchListEntryOut]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last page")

    @classmethod
    def of(cls, page: BatchPage) -> BatchListOut:
        return cls(batches=[BatchListEntryOut.of_record(b) for b in page.batches], next_cursor=page.next_cursor)


class ProgressOut(BaseModel):
    percent: float
    downloaded_bytes: int
    total_bytes: int | None


class SubtitleOut(BaseModel):
    lang: str
    filepath: str
    download_url: str


class FileInfoOut(BaseModel):
    filename: str
    filepath: str = Field(description="where the file is, below the tenant's root")
    size_bytes: int
    content_type: str
    media_id: str | None
    subtitles: list[SubtitleOut]
    download_url: str = Field(description="presigned GET, valid for a limited time")


class JobOut(BaseModel):
    job_id: str
    url: str
    status: JobStatus
    title: str | None
    progress: ProgressOut
    file_info: FileInfoOut | None
    error: JobErrorText
    error_code: JobErrorCode
    error_detail: JobErrorDetail
    created_at: str
    started_at: str | None
    completed_at: str | None

    @classmethod
    def of(cls, linked: LinkedJob) -> JobOut:
        job, info = linked.job, linked.job.file_info
        file_info = None
        if info is not None and linked.download_url is not None:
            file_info = FileInfoOut(
                filename=info.filename,
                filepath=info.filepath,
                size_bytes=info.size_bytes,
                content_type=info.content_type,
                media_id=info.media_id,
                subtitles=[
                    SubtitleOut(lang=s.subtitle.lang, filepath=s.subtitle.filepath, download_url=s.download_url)
                    for s in linked.subtitles
                ],
                download_url=linked.download_url,
            )
        return cls(
            job_id=job.job_id,
            url=job.url,
            status=job.status.value,
            title=job.title,
            progress=ProgressOut(
                percent=job.progress_percent, downloaded_bytes=job.downloaded_bytes, total_bytes=job.total_bytes
            ),
            file_info=file_info,
            error=job.error,
            error_code=job.error_code,
            error_detail=job.error_detail,
            created_at=job.created_at,
            started_at=job.started_at,
            completed_at=job.completed_at,
        )


class BatchOut(BatchSummaryOut):
    """GET (and DELETE) of a batch: counters, every job, times."""

    jobs: list[JobOut]
    created_at: str
    started_at: str | None
    completed_at: str | None
    duration_sec: float | None
    error: str | None

    @classmethod
    def of_details(cls, details: BatchDetails) -> BatchOut:
        batch = details.batch
        return cls(
            **BatchSummaryOut.of(batch).model_dump(),
            jobs=[JobOut.of(job) for job in details.jobs],
            created_at=batch.created_at,
            started_at=batch.started_at,
            completed_at=batch.completed_at,
            duration_sec=details.duration_sec,
            error=batch.error,
        )
