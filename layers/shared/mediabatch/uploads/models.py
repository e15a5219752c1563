"""Upload sessions, the init request and what the upload use cases answer."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_FILES_PER_BATCH = 5
_CHANNEL = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class UploadStatus(StrEnum):
    INITIALIZED = "initialized"
    UPLOADING = "uploading"
    UPLOADED = "uploaded"  # every byte is in S3; waiting for /complete
    COMPLETED = "completed"
    FAILED = "failed"


class InitFile(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    filename: str = Field(min_length=1, max_length=255)
    size: int
    type: str | None = Field(None, max_length=100)


class InitRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel_id: str | None = None
    files: list[InitFile] = Field(min_length=1)

    @field_validator("channel_id", mode="before")
    @classmethod
    def _channel(cls, value: object) -> str | None:
        if value is None:
            return None
        text = str(value)
        if not _CHANNEL.match(text):
            raise ValueError("channel_id must be 1-64 of [A-Za-z0-9_-]")
        return text


class UploadSession(BaseModel):
    tenant_id: str
    upload_id: str
    file_id: str
    channel_id: str | None = None
    filename: str
    size: int
    content_type: str
    is_chunked: bool
    chunk_size: int
    total_chunks: int
    s3_key: str
    multipart_upload_id: str | None = None
    status: UploadStatus = UploadStatus.INITIALIZED
    failed_chunks: list[int] = Field(default_factory=list)
    assembly_failures: list[int] = Field(default_factory=list)  # server-side chunks that failed to assemble
    completed_count: int = 0
    uploaded_bytes: int = 0
    media_id: str | None = None
    created_at: str
    updated_at: str
    expires_at_epoch: int


# ---------------------------------------------------------------------- what the use cases answer
@dataclass(frozen=True)
class ChunkUrl:
    """A presigned URL for one chunk (0-based index; S3 part number index + 1)."""

    chunk_index: int
    url: str


@dataclass(frozen=True)
class InitializedUpload:
    """One file of an init: its session and how to send its bytes."""

    session: UploadSession
    presigned_urls: list[str]
    required_headers: dict[str, str]  # the signature covers them: a PUT without them is refused
    urls_expire_in_seconds: int

    @property
    def presigned_urls_complete(self) -> bool:
        """False when the file has more chunks than one answer carries (the rest come from /retry)."""
        return len(self.presigned_urls) == self.session.total_chunks


@dataclass(frozen=True)
class UploadProgress:
    """What storage holds of an upload, and what a fresh client needs to resume it."""

    session: UploadSession
    status: UploadStatus
    completed_count: int
    uploaded_bytes: int
    failed_chunks: list[int]
    required_headers: dict[str, str]
    urls_expire_in_seconds: int

    @property
    def percent(self) -> int:
        return min(100, self.uploaded_bytes * 100 // self.session.size)


@dataclass(frozen=True)
class UploadSessionPage:
    """A page of a tenant's open uploads, newest first; `next_cursor` None on the last page."""

    sessions: list[UploadSession]
    next_cursor: str | None


@dataclass(frozen=True)
class ChunkReceipt:
    """What the server-side chunk path received of a chunk so far."""

    chunk_index: int
    received: int  # bytes covered contiguously from the chunk's start
    chunk_complete: bool
