"""Show and playlist batch wire shapes (seed: podcast-show-batches.md)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from mediabatch.downloads.models import LinkedJob
from mediabatch.shows.models import ShowBatch, failed_episodes

from .job_fields import JobErrorCode, JobErrorDetail, JobErrorText, JobStatus


class ShowBatchCreatedOut(BaseModel):
    """POST /jobs with a show, feed or playlist URL: the batch and its episode jobs."""

    batch_id: str
    total_episodes: int
    episode_jobs: list[str] = Field(description="one job id per episode, in feed order")

    @classmethod
    def of(cls, shown: ShowBatch) -> ShowBatchCreatedOut:
        return cls(
            batch_id=shown.batch.batch_id, total_episodes=shown.batch.total_jobs, episode_jobs=shown.episode_jobs
        )


class ShowBatchOut(BaseModel):
    """GET /batch/{id}."""

    id: str
    show_url: str
    status: str = Field(
        description="processing (some episodes may be complete), completed (all episodes finished "
        "successfully) or finished (all episodes done, but some failed)"
    )
    folder: str | None
    total_episodes: int
    completed_episodes: int
    failed_episodes: int = Field(description="failed, or never run (cancelled)")
    episode_jobs: list[str]

    @classmethod
    def of(cls, shown: ShowBatch) -> ShowBatchOut:
        batch = shown.batch
        return cls(
            id=batch.batch_id,
            show_url=batch.show_url or "",
            status=shown.status.value,
            folder=batch.folder,
            total_episodes=batch.total_jobs,
            completed_episodes=batch.completed_jobs,
            failed_episodes=failed_episodes(batch),
            episode_jobs=shown.episode_jobs,
        )


class EpisodeFileOut(BaseModel):
    filename: str
    filepath: str = Field(description="where the file is, below the tenant's root")
    size_bytes: int
    content_type: str
    download_url: str = Field(description="presigned GET, valid for a limited time")


class EpisodeJobOut(BaseModel):
    """GET /jobs/{id}, and POST /jobs with a single media URL (202)."""

    id: str
    batch_id: str
    url: str
    status: JobStatus
    title: str | None
    file: EpisodeFileOut | None
    error: JobErrorText
    error_code: JobErrorCode
    error_detail: JobErrorDetail
    created_at: str
    completed_at: str | None

    @classmethod
    def of(cls, linked: LinkedJob) -> EpisodeJobOut:
        job, info = linked.job, linked.job.file_info
        stored = None
        if info is not None and linked.download_url is not None:
            stored = EpisodeFileOut(
                filename=info.filename,
                filepath=info.filepath,
                size_bytes=info.size_bytes,
                content_type=info.content_type,
                download_url=linked.download_url,
            )
        return cls(
            id=job.job_id,
            batch_id=job.batch_id,
            url=job.url,
            status=job.status.value,
            title=job.title,
            file=stored,
            error=job.error,
            error_code=job.error_code,
            error_detail=job.error_detail,
            created_at=job.created_at,
            completed_at=job.completed_at,
        )
