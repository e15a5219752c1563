"""Upload sessions and the init request."""

from __future__ import annotations

import re
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
