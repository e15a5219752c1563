"""What the upload API returns, as typed values, and what the client reports."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mediabatch_client.errors import UploadError

__all__ = ["ServerProgress", "UploadProgress", "UploadResult", "UploadSession"]


def _str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise UploadError(f"the server's answer has no string {key!r}: {dict(data)!r:.300}", code="unexpected_response")
    return value


def _int(data: Mapping[str, Any], key: str) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise UploadError(
            f"the server's answer has no integer {key!r}: {dict(data)!r:.300}", code="unexpected_response"
        )
    return value


def _bool(data: Mapping[str, Any], key: str) -> bool:
    value = data.get(key)
    if not isinstance(value, bool):
        raise UploadError(
            f"the server's answer has no boolean {key!r}: {dict(data)!r:.300}", code="unexpected_response"
        )
    return value


def _headers(data: Mapping[str, Any]) -> dict[str, str]:
    headers = data.get("requiredHeaders") or {}
    if not isinstance(headers, dict):
        raise UploadError(
            f"the server's answer has malformed requiredHeaders: {dict(data)!r:.300}", code="unexpected_response"
        )
    return {str(k): str(v) for k, v in headers.items()}


@dataclass(frozen=True)
class UploadSession:
    """One file's upload as POST /init opened it.

    Chunk `i` (0-based) is the bytes ``[i * chunk_size, min(size, (i + 1) * chunk_size))``;
    for a multipart upload it is S3 part ``i + 1``. `presigned_urls[i]` is chunk `i`'s PUT URL
    (at most 1000 of them: when `presigned_urls_complete` is false, POST /retry gives more)."""

    upload_id: str
    file_id: str
    filename: str
    size: int  # not in the server's answer: the size the client declared
    is_chunked: bool
    total_chunks: int
    chunk_size: int
    presigned_urls: tuple[str, ...]
    presigned_urls_complete: bool
    required_headers: Mapping[str, str]
    urls_expire_in_seconds: int
    status: str

    @classmethod
    def from_api(cls, data: Mapping[str, Any], size: int) -> UploadSession:
        urls = data.get("presignedUrls")
        if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
            raise UploadError(f"malformed upload session: {dict(data)!r:.300}", code="unexpected_response")
        return cls(
            upload_id=_str(data, "uploadId"),
            file_id=_str(data, "fileId"),
            filename=_str(data, "filename"),
            size=size,
            is_chunked=bool(data.get("isChunked")),
            total_chunks=_int(data, "totalChunks"),
            chunk_size=_int(data, "chunkSize"),
            presigned_urls=tuple(urls),
            presigned_urls_complete=bool(data.get("presignedUrlsComplete", len(urls) == data.get("totalChunks"))),
            required_headers=_headers(data),
            urls_expire_in_seconds=int(data.get("urlsExpireInSeconds") or 3600),
            status=str(data.get("status", "")),
        )

    def chunk_range(self, index: int) -> tuple[int, int]:
        """(offset, length) of chunk `index` in the file."""
        if not 0 <= index < self.total_chunks:
            raise IndexError(index)
        offset = index * self.chunk_size
        return offset, min(self.size, offset + self.chunk_size) - offset


@dataclass(frozen=True)
class ServerProgress:
    """GET /progress: the server's view, reconciled against S3, and how the upload was cut
    (`is_chunked`, `chunk_size`, `required_headers`, `urls_expire_in_seconds`, as POST /init
    said): all a fresh client needs to resume with nothing but the uploadId."""

    upload_id: str
    file_id: str
    filename: str
    progress: int  # 0-100
    status: str  # initialized | uploading | uploaded | completed | failed
    failed_chunks: tuple[int, ...]
    total_chunks: int
    completed_count: int
    uploaded_bytes: int
    size: int
    media_id: str | None
    is_chunked: bool
    chunk_size: int
    required_headers: Mapping[str, str]
    urls_expire_in_seconds: int

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> ServerProgress:
        failed = data.get("failedChunks") or []
        media_id = data.get("mediaId")
        return cls(
            upload_id=_str(data, "uploadId"),
            file_id=str(data.get("fileId", "")),
            filename=str(data.get("filename", "")),
            progress=_int(data, "progress"),
            status=_str(data, "status"),
            failed_chunks=tuple(int(i) for i in failed),
            total_chunks=_int(data, "totalChunks"),
            completed_count=_int(data, "completedCount"),
            uploaded_bytes=_int(data, "uploadedBytes"),
            size=_int(data, "size"),
            media_id=media_id if isinstance(media_id, str) else None,
            is_chunked=_bool(data, "isChunked"),
            chunk_size=_int(data, "chunkSize"),
            required_headers=_headers(data),
            urls_expire_in_seconds=_int(data, "urlsExpireInSeconds"),
        )

    def as_session(self) -> UploadSession:
        """The upload as a session without URLs (POST /retry gives them), to send what S3 lacks."""
        return UploadSession(
            upload_id=self.upload_id,
            file_id=self.file_id,
            filename=self.filename,
            size=self.size,
            is_chunked=self.is_chunked,
            total_chunks=self.total_chunks,
            chunk_size=self.chunk_size,
            presigned_urls=(),
            presigned_urls_complete=False,
            required_headers=self.required_headers,
            urls_expire_in_seconds=self.urls_expire_in_seconds,
            status=self.status,
        )


@dataclass(frozen=True)
class UploadProgress:
    """Where one file stands, as the client sees it: handed to `on_progress` callbacks.

    `bytes_done` counts bytes sent (and, on resume, those S3 already had); when a chunk's
    attempt fails, its bytes are taken back, so it can go down before a retry."""

    path: Path
    filename: str
    upload_id: str
    bytes_done: int
    total_bytes: int
    chunks_done: int
    total_chunks: int
    completed: bool = False  # POST /complete succeeded: the media item exists

    @property
    def fraction(self) -> float:
        return 1.0 if self.total_bytes <= 0 else min(1.0, self.bytes_done / self.total_bytes)


@dataclass(frozen=True)
class UploadResult:
    """One completed file: the media item POST /complete returned, and what this call sent."""

    path: Path
    upload_id: str
    file_id: str
    media: dict[str, Any] = field(repr=False)
    chunks_sent: int = 0
    bytes_sent: int = 0
    resumed: bool = False

    @property
    def media_id(self) -> str:
        return str(self.media.get("id", self.file_id))
