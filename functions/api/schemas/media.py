"""Media catalog (v0) wire shapes."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from mediabatch.catalog.models import LinkedMedia, MediaPage


class HlsOut(BaseModel):
    playlist_key: str
    segments: int | None


class ProcessingOut(BaseModel):
    state: str = Field(description="not_requested, pending, running, ready or failed")
    error: str | None
    probe: dict[str, Any] | None
    thumbnail_url: str | None
    hls: HlsOut | None
    updated_at: str | None


class MediaItemOut(BaseModel):
    id: str
    type: str = Field(description="video, audio, document or other")
    filename: str
    title: str
    folder: str
    storage_key: str = Field(description="the key as the tenant sees it, below its own root")
    size: int
    content_type: str
    metadata: dict[str, Any]
    store_permanently: bool
    expires_at: str | None
    created_at: str
    updated_at: str
    download_url: str = Field(description="presigned GET, valid for a limited time")
    processing: ProcessingOut

    @classmethod
    def of(cls, linked: LinkedMedia) -> MediaItemOut:
        item, p = linked.item, linked.item.processing
        hls_key = linked.hls_playlist_key
        return cls(
            id=item.id,
            type=item.type.value,
            filename=item.filename,
            title=item.title,
            folder=item.folder,
            storage_key=linked.relative_key,
            size=item.size,
            content_type=item.content_type,
            metadata=item.metadata,
            store_permanently=item.store_permanently,
            expires_at=item.expires_at,
            created_at=item.created_at,
            updated_at=item.updated_at,
            download_url=linked.download_url,
            processing=ProcessingOut(
                state=p.state.value,
                error=p.error,
                probe=p.probe,
                thumbnail_url=linked.thumbnail_url,
                hls=HlsOut(playlist_key=hls_key, segments=p.hls_segment_count) if hls_key else None,
                updated_at=p.updated_at,
            ),
        )


class MediaListOut(BaseModel):
    items: list[MediaItemOut]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last page")

    @classmethod
    def of(cls, page: MediaPage) -> MediaListOut:
        return cls(items=[MediaItemOut.of(i) for i in page.items], next_cursor=page.next_cursor)
