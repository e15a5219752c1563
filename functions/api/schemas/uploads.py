"""Hybrid batch upload wire shapes (seed: batch-upload-frontend.md): camelCase fields in the
seed's `{success, data}` envelope."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from mediabatch.clock import iso
from mediabatch.uploads.models import (
    ChunkReceipt,
    ChunkUrl,
    InitializedUpload,
    UploadProgress,
    UploadSession,
    UploadSessionPage,
)

DataT = TypeVar("DataT")


class Envelope(BaseModel, Generic[DataT]):
    """The seed's success envelope; errors have their own (`success: false`, `error`)."""

    success: Literal[True] = True
    data: DataT


class _CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class UploadSessionOut(_CamelModel):
    """One file of an init: how to send its bytes."""

    upload_id: str
    file_id: str
    filename: str
    is_chunked: bool = Field(description="false: one PUT of the whole file; true: one PUT per chunk")
    total_chunks: int
    chunk_size: int = Field(description="bytes per chunk; the last one takes the remainder")
    presigned_urls: list[str] = Field(description="PUT URLs for chunks 0, 1, ... in order")
    presigned_urls_complete: bool = Field(description="false: POST /retry gives URLs for the remaining chunks")
    required_headers: dict[str, str] = Field(description="headers every PUT must carry (the signature covers them)")
    urls_expire_in_seconds: int
    status: str

    @classmethod
    def of(cls, upload: InitializedUpload) -> UploadSessionOut:
        s = upload.session
        return cls(
            upload_id=s.upload_id,
            file_id=s.file_id,
            filename=s.filename,
            is_chunked=s.is_chunked,
            total_chunks=s.total_chunks,
            chunk_size=s.chunk_size,
            presigned_urls=upload.presigned_urls,
            presigned_urls_complete=upload.presigned_urls_complete,
            required_headers=upload.required_headers,
            urls_expire_in_seconds=upload.urls_expire_in_seconds,
            status=s.status.value,
        )


class UploadProgressOut(_CamelModel):
    """Progress of one file, and what a fresh client needs to resume it with only the uploadId."""

    upload_id: str
    file_id: str
    filename: str
    progress: int = Field(description="percent of the bytes in storage, 0-100")
    status: str = Field(description="initialized, uploading, uploaded, completed or failed")
    failed_chunks: list[int] = Field(description="chunks to send again (POST /retry gives URLs)")
    total_chunks: int
    completed_count: int
    uploaded_bytes: int
    size: int
    media_id: str | None = Field(description="the media item, once completed")
    is_chunked: bool
    chunk_size: int
    required_headers: dict[str, str]
    urls_expire_in_seconds: int

    @classmethod
    def of(cls, p: UploadProgress) -> UploadProgressOut:
        s = p.session
        return cls(
            upload_id=s.upload_id,
            file_id=s.file_id,
            filename=s.filename,
            progress=p.percent,
            status=p.status.value,
            failed_chunks=p.failed_chunks,
            total_chunks=s.total_chunks,
            completed_count=p.completed_count,
            uploaded_bytes=p.uploaded_bytes,
            size=s.size,
            media_id=s.media_id,
            is_chunked=s.is_chunked,
            chunk_size=s.chunk_size,
            required_headers=p.required_headers,
            urls_expire_in_seconds=p.urls_expire_in_seconds,
        )


class OpenUploadOut(_CamelModel):
    """An upload not completed yet: what a client needs to resume it (GET /progress/{uploadId}
    then tells which chunks are still missing)."""

    upload_id: str
    file_id: str
    filename: str
    size: int
    content_type: str
    is_chunked: bool
    chunk_size: int
    total_chunks: int
    status: str = Field(description="initialized, uploading, uploaded or failed")
    channel_id: str | None
    created_at: str
    expires_at: str = Field(description="after this the upload can no longer be resumed")

    @classmethod
    def of(cls, s: UploadSession) -> OpenUploadOut:
        return cls(
            upload_id=s.upload_id,
            file_id=s.file_id,
            filename=s.filename,
            size=s.size,
            content_type=s.content_type,
            is_chunked=s.is_chunked,
            chunk_size=s.chunk_size,
            total_chunks=s.total_chunks,
            status=s.status.value,
            channel_id=s.channel_id,
            created_at=s.created_at,
            expires_at=iso(datetime.fromtimestamp(s.expires_at_epoch, UTC)),
        )


class OpenUploadsOut(_CamelModel):
    """GET /api/v1/videos/batch/uploads (inside the envelope): open uploads, newest first."""

    uploads: list[OpenUploadOut]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last page")

    @classmethod
    def of(cls, page: UploadSessionPage) -> OpenUploadsOut:
        return cls(uploads=[OpenUploadOut.of(s) for s in page.sessions], next_cursor=page.next_cursor)


class ChunkUrlOut(_CamelModel):
    chunk_index: int
    url: str

    @classmethod
    def of(cls, chunk: ChunkUrl) -> ChunkUrlOut:
        return cls(chunk_index=chunk.chunk_index, url=chunk.url)


class ChunkReceiptOut(_CamelModel):
    chunk_index: int
    received: int = Field(description="bytes of the chunk received so far, contiguous from its start")
    chunk_complete: bool

    @classmethod
    def of(cls, receipt: ChunkReceipt) -> ChunkReceiptOut:
        return cls(chunk_index=receipt.chunk_index, received=receipt.received, chunk_complete=receipt.chunk_complete)
