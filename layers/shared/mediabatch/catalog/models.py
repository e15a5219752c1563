"""Media items."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


class MediaType(StrEnum):
    VIDEO = "video"
    AUDIO = "audio"
    DOCUMENT = "document"
    OTHER = "other"


_DOCUMENT_TYPES = ("application/pdf", "application/vnd.openxmlformats-officedocument", "text/")


def media_type_for(content_type: str) -> MediaType:
    if content_type.startswith("video/"):
        return MediaType.VIDEO
    if content_type.startswith("audio/"):
        return MediaType.AUDIO
    if content_type.startswith(_DOCUMENT_TYPES):
        return MediaType.DOCUMENT
    return MediaType.OTHER


class ProcessingState(StrEnum):
    NOT_REQUESTED = "not_requested"
    PENDING = "pending"
    RUNNING = "running"
    READY = "ready"
    FAILED = "failed"


class Processing(BaseModel):
    state: ProcessingState = ProcessingState.NOT_REQUESTED
    error: str | None = None
    probe: dict[str, Any] | None = None
    thumbnail_key: str | None = None
    hls_playlist_key: str | None = None
    hls_segment_count: int | None = None
    updated_at: str | None = None


class MediaItem(BaseModel):
    tenant_id: str
    id: str
    type: MediaType
    storage_key: str  # full S3 key (tenants/<tenant>/...)
    filename: str
    size: int
    content_type: str
    folder: str
    title: str
    metadata: dict[str, Any] = Field(default_factory=dict)
    store_permanently: bool = True
    expires_at: str | None = None
    created_at: str
    updated_at: str
    processing: Processing = Field(default_factory=Processing)


@dataclass(frozen=True)
class LinkedMedia:
    """A media item with the links a reader needs (signed for a limited time)."""

    item: MediaItem
    download_url: str
    thumbnail_url: str | None

    @property
    def relative_key(self) -> str:
        """The storage key as the tenant sees it (without the internal `tenants/<id>/` prefix)."""
        return self.item.storage_key.removeprefix(f"tenants/{self.item.tenant_id}/")

    @property
    def hls_playlist_key(self) -> str | None:
        key = self.item.processing.hls_playlist_key
        return key.removeprefix(f"tenants/{self.item.tenant_id}/") if key else None


@dataclass(frozen=True)
class MediaPage:
    items: list[LinkedMedia]
    next_cursor: str | None
