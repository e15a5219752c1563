"""Request and state models of batch downloads."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mediabatch.paths import DEFAULT_PATH_TEMPLATE

MAX_URLS = 100
NOT_STARTED = "not started: the batch was stopped or cancelled"
Quality = Literal["best", "worst", "2160p", "1440p", "1080p", "720p", "480p", "360p", "240p", "144p", "audio"]
VideoFormat = Literal["mp4", "webm", "mkv", "mov"]


class BatchStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in (BatchStatus.COMPLETED, BatchStatus.FAILED, BatchStatus.CANCELLED)


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class BatchOptions(BaseModel):
    """Everything of a batch request except its URLs (stored on the batch). Strict: `true` is
    not a concurrency limit and `"yes"` is not a boolean."""

    model_config = ConfigDict(extra="forbid", strict=True)

    quality: Quality = "best"
    video_format: VideoFormat = "mp4"
    download_subtitles: bool = False
    concurrent_limit: int = Field(3, ge=1, le=10)
    stop_on_error: bool = False
    ignore_errors: bool = True
    path_template: str = DEFAULT_PATH_TEMPLATE
    webhook_url: str | None = None


class BatchDownloadRequest(BatchOptions):
    """POST /api/v1/batch/download body. URL checks that need the batch as a whole (duplicates,
    SSRF) happen in the service so the error can name every offending URL at once."""

    urls: list[str] = Field(min_length=1, max_length=MAX_URLS)

    @field_validator("urls")
    @classmethod
    def _strip(cls, urls: list[str]) -> list[str]:
        return [u.strip() for u in urls]

    def options(self) -> BatchOptions:
        return BatchOptions.model_validate(self.model_dump(exclude={"urls"}))


class Subtitle(BaseModel):
    lang: str
    filepath: str
    s3_key: str


class FileInfo(BaseModel):
    filename: str
    filepath: str
    size_bytes: int
    content_type: str
    s3_key: str
    media_id: str | None = None
    subtitles: list[Subtitle] = Field(default_factory=list)


class JobRecord(BaseModel):
    tenant_id: str
    batch_id: str
    job_id: str
    index: int
    url: str
    status: JobStatus = JobStatus.QUEUED
    title: str | None = None
    progress_percent: float = 0.0
    downloaded_bytes: int = 0
    total_bytes: int | None = None
    file_info: FileInfo | None = None
    error: str | None = None
    created_at: str
    started_at: str | None = None
    completed_at: str | None = None


class BatchRecord(BaseModel):
    tenant_id: str
    batch_id: str
    status: BatchStatus = BatchStatus.QUEUED
    options: BatchOptions
    total_jobs: int
    queued_jobs: int
    running_jobs: int = 0
    completed_jobs: int = 0
    failed_jobs: int = 0
    cancelled_jobs: int = 0
    stop_requested: bool = False
    # False between reaching a terminal status and publishing batch.* (at-least-once outbox).
    announced: bool = True
    error: str | None = None
    created_at: str
    started_at: str | None = None
    completed_at: str | None = None

    @property
    def finished_jobs(self) -> int:
        return self.completed_jobs + self.failed_jobs + self.cancelled_jobs

    def summary(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "status": self.status.value,
            "total_jobs": self.total_jobs,
            "completed_jobs": self.completed_jobs,
            "failed_jobs": self.failed_jobs,
            "running_jobs": self.running_jobs,
            "queued_jobs": self.queued_jobs,
            "cancelled_jobs": self.cancelled_jobs,
        }
