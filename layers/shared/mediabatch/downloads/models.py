"""Request and state models of batch downloads, and the values and errors that cross its ports
(what a downloader is asked for and returns, how a job start ended)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum, StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mediabatch.clock import parse_iso, utc_now
from mediabatch.downloads.failures import FailureCode, JobFailure
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
    # Why it failed (or was cancelled): `error` in the product's words, `error_code` stable
    # (downloads/failures.py), `error_detail` the source's own text when there is one.
    error: str | None = None
    error_code: str | None = None
    error_detail: str | None = None
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
    # Show batches (mediabatch.shows): the feed or playlist the jobs came from, and the folder
    # (as the user gave it) their files go to. None for batches of URLs.
    show_url: str | None = None
    folder: str | None = None
    # 1 for the first run; every retry in place adds one (execution names and webhook ids carry it).
    round: int = 1

    @property
    def is_show(self) -> bool:
        return self.show_url is not None

    @property
    def finished_jobs(self) -> int:
        return self.completed_jobs + self.failed_jobs + self.cancelled_jobs

    def duration_sec(self, now: datetime | None = None) -> float | None:
        """Seconds from start (or creation) to completion, or to `now` while it runs."""
        start = self.started_at or self.created_at
        end = parse_iso(self.completed_at) if self.completed_at else (now or utc_now())
        return round(max(0.0, (end - parse_iso(start)).total_seconds()), 1)


class StartOutcome(Enum):
    """How an attempt to start a queued job ended."""

    STARTED = "started"
    CANCELLED = "cancelled"  # the batch was cancelled or stopped before this job began
    SKIPPED = "skipped"  # the job was not queued any more (a retry of a finished item)


# ---------------------------------------------------------------------- read side
@dataclass(frozen=True)
class LinkedSubtitle:
    subtitle: Subtitle
    download_url: str


@dataclass(frozen=True)
class LinkedJob:
    """A job with time-limited links to its stored file and subtitles (when it has any)."""

    job: JobRecord
    download_url: str | None = None
    subtitles: list[LinkedSubtitle] = field(default_factory=list)


@dataclass(frozen=True)
class BatchPage:
    """One page of a tenant's batches, newest first; `next_cursor` None on the last page."""

    batches: list[BatchRecord]
    next_cursor: str | None


@dataclass(frozen=True)
class BatchDetails:
    """A batch as its owner reads it: the record, its jobs in order, and how long it has run."""

    batch: BatchRecord
    jobs: list[LinkedJob]
    duration_sec: float | None


# ---------------------------------------------------------------------- the downloader port
@dataclass(frozen=True)
class DownloadSpec:
    url: str
    quality: str = "best"
    video_format: str = "mp4"
    download_subtitles: bool = False


@dataclass(frozen=True)
class Progress:
    downloaded: int
    total: int | None
    percent: float
    title: str | None


@dataclass
class DownloadResult:
    """The finished file, what the source said about it (title, id, ext, uploader...) and
    subtitles by language."""

    path: Path
    info: dict[str, Any]
    subtitles: dict[str, Path] = field(default_factory=dict)


class JobCancelled(Exception):
    """The job was asked to stop (raised by the progress callback, passed on by the downloader)."""

    msg = "cancelled"


class JobTimedOut(Exception):
    """The download ran past its deadline."""

    msg = "timed out"


class DownloadFailed(Exception):
    """The URL could not be downloaded; `str()` is a message fit for users, `failure` says why
    with a stable code (a bare message is a failure of code `download_failed`)."""

    def __init__(self, failure: JobFailure | str) -> None:
        if isinstance(failure, str):
            failure = JobFailure.with_message(FailureCode.DOWNLOAD_FAILED, failure)
        super().__init__(failure.message)
        self.failure = failure
