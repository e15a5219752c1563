"""Uploads (`/api/v1/videos/batch`): local files straight to S3 through presigned URLs, in
parallel parts, resumable (from an uploadId, or from an `UploadState` file). The work is done by
`mediabatch_client.UploadClient`; this adds the state file and the typed models."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from mediabatch_client.client import UploadClient
from mediabatch_client.errors import BatchUploadError, UploadError
from mediabatch_client.models import UploadProgress, UploadResult
from mediabatch_client.progress import ProgressCallback
from mediabatch_client.resources._base import WireModel, iterate
from mediabatch_client.transport import Transport
from mediabatch_client.upload_state import UploadState

__all__ = ["OpenUpload", "OpenUploadPage", "UploadProgressInfo", "UploadSessionInfo", "Uploads"]

# Resumed from the state file when the upload is gone or no longer resumable: start anew.
_STALE = frozenset({"upload_not_found", "upload_expired", "upload_gone", "local_file_changed"})


class UploadSessionInfo(WireModel):
    """POST /init's answer for one file (`UploadClient.init` gives it as `UploadSession`)."""

    wire_schema = "UploadSessionOut"
    uploadId: str
    fileId: str
    filename: str
    isChunked: bool
    totalChunks: int
    chunkSize: int
    presignedUrls: list[str]
    presignedUrlsComplete: bool
    requiredHeaders: dict[str, str]
    urlsExpireInSeconds: int
    status: str


class UploadProgressInfo(WireModel):
    """GET /progress's answer (`UploadClient.progress` gives it as `ServerProgress`)."""

    wire_schema = "UploadProgressOut"
    uploadId: str
    fileId: str
    filename: str
    progress: int
    status: str
    failedChunks: list[int]
    totalChunks: int
    completedCount: int
    uploadedBytes: int
    size: int
    mediaId: str | None
    isChunked: bool
    chunkSize: int
    requiredHeaders: dict[str, str]
    urlsExpireInSeconds: int


class OpenUpload(WireModel):
    """An upload not completed and not expired (GET /api/v1/videos/batch/uploads)."""

    wire_schema = "OpenUploadOut"
    uploadId: str
    fileId: str
    filename: str
    size: int
    contentType: str
    isChunked: bool
    chunkSize: int
    totalChunks: int
    status: str
    channelId: str | None
    createdAt: str
    expiresAt: str


class OpenUploadPage(WireModel):
    wire_schema = "OpenUploadsOut"
    uploads: list[OpenUpload]
    nextCursor: str | None

    @property
    def next_cursor(self) -> str | None:
        return self.nextCursor

    def page_items(self) -> list[OpenUpload]:
        return self.uploads


class Uploads:
    """`client.uploads`: `upload` (with an optional state file to resume from), `resume`, the
    open uploads (`open`, `iter_open`), and `client` (the `UploadClient` itself, for the
    low-level calls)."""

    def __init__(self, client: UploadClient, transport: Transport | None = None) -> None:
        self.client = client
        self._t = transport

    def open(self, *, limit: int = 20, cursor: str | None = None) -> OpenUploadPage:
        """One page of your open uploads, newest first: how a lost uploadId is found again."""
        if self._t is None:
            raise RuntimeError("Uploads was made without a transport: use MediaBatch(...).uploads")
        data = self._t.request("GET", "/api/v1/videos/batch/uploads", params={"limit": limit, "cursor": cursor})
        return OpenUploadPage.model_validate(data["data"])

    def iter_open(self, *, page_size: int = 100) -> Iterator[OpenUpload]:
        return iterate(lambda cursor: self.open(limit=page_size, cursor=cursor))

    def upload(
        self,
        paths: Sequence[Path],
        *,
        channel_id: str | None = None,
        on_progress: ProgressCallback | None = None,
        state: UploadState | None = None,
    ) -> list[UploadResult]:
        """Upload files; with `state`, a file whose upload was begun before (and not completed)
        is resumed from its uploadId, and each new upload is remembered as soon as it is opened.
        Results in the order of `paths`; BatchUploadError when some failed (the others done)."""
        if state is None:
            return self.client.upload_files(paths, channel_id=channel_id, on_progress=on_progress)
        callback = _remembering(state, on_progress)
        results: dict[Path, UploadResult] = {}
        errors: dict[Path, UploadError] = {}
        fresh = []
        for path in paths:
            upload_id = state.upload_id(path)
            if upload_id is None:
                fresh.append(path)
                continue
            try:
                results[path] = self.client.resume(upload_id, path, on_progress=callback)
            except UploadError as exc:
                if exc.code not in _STALE:
                    errors[path] = exc
                    continue
                state.forget(path)
                fresh.append(path)
        if fresh:
            try:
                results.update(zip(fresh, self.client.upload_files(fresh, channel_id, callback), strict=True))
            except BatchUploadError as exc:
                results.update({r.path: r for r in exc.results})
                errors.update(exc.errors)
        for path in results:
            state.forget(path)
        ordered = [results[p] for p in paths if p in results]
        if errors:
            raise BatchUploadError(ordered, errors)
        return ordered

    def resume(self, upload_id: str, path: Path, on_progress: ProgressCallback | None = None) -> UploadResult:
        return self.client.resume(upload_id, path, on_progress=on_progress)


def _remembering(state: UploadState, on_progress: ProgressCallback | None) -> ProgressCallback:
    """A callback that records each file's uploadId the first time it is seen, then passes on."""
    seen: set[str] = set()

    def callback(progress: UploadProgress) -> None:
        if progress.upload_id not in seen:
            seen.add(progress.upload_id)
            if not progress.completed:
                state.remember(progress.path, progress.upload_id)
        if on_progress is not None:
            on_progress(progress)

    return callback
