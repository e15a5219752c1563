"""Getting one job's file into storage: where it goes (the path template, a claimed key), the
upload (while it downloads when the format allows, otherwise once it is complete), and the
catalog item that describes it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mediabatch.catalog.models import MediaItem, ProcessingState
from mediabatch.catalog.service import build_item
from mediabatch.downloads.failures import FailureCode, JobFailure
from mediabatch.downloads.models import BatchRecord, DownloadFailed, DownloadResult, FileInfo, JobRecord, Subtitle
from mediabatch.downloads.ports import MediaFileStorage, ProgressiveUpload, StorageKeyRegistry
from mediabatch.media_types import guess_content_type
from mediabatch.paths import render_path, sanitize_component, tenant_key, with_suffix

MAX_KEY_ATTEMPTS = 50


@dataclass(frozen=True)
class StoredFile:
    """A job's file once it is in storage, and its catalog item."""

    title: str | None
    file_info: FileInfo
    media: MediaItem


def media_id_for(tenant_id: str, job_id: str) -> str:
    """Deterministic: a re-run of the same job registers the same media item, never a second."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"mediabatch:{tenant_id}:{job_id}"))


class JobFileTransfer:
    """One job's file on its way to storage. `plan` and `feed` are the downloader's callbacks;
    `complete` stores the finished file; `abort` and `discard` undo what was done."""

    def __init__(self, keys: StorageKeyRegistry, storage: MediaFileStorage, batch: BatchRecord, job: JobRecord) -> None:
        self._keys = keys
        self._storage = storage
        self._batch = batch
        self._job = job
        self._relative: str | None = None
        self._upload: ProgressiveUpload | None = None

    def plan(self, info: dict[str, Any], streamable: bool) -> None:
        if streamable:
            relative = self._claim_path(info, str(info.get("ext") or "bin"))
            key = tenant_key(self._batch.tenant_id, relative)
            self._upload = self._storage.progressive_upload(key, guess_content_type(relative))

    def feed(self, path: Path, available: int) -> None:
        if self._upload is not None:
            self._upload.feed(path, available)

    def complete(self, result: DownloadResult) -> StoredFile:
        info = result.info
        relative = self._relative or self._claim_path(info, result.path.suffix.lstrip(".") or "bin")
        filename = relative.rsplit("/", 1)[-1]
        content_type = guess_content_type(filename)
        key = tenant_key(self._batch.tenant_id, relative)
        size = self._store_main_file(result.path, key, content_type)
        media_id = media_id_for(self._job.tenant_id, self._job.job_id)
        file_info = FileInfo(
            filename=filename,
            filepath=relative,
            size_bytes=size,
            content_type=content_type,
            s3_key=key,
            media_id=media_id,
            subtitles=self._store_subtitles(relative, result.subtitles),
        )
        title = self._job.title or info.get("title")
        return StoredFile(title=title, file_info=file_info, media=self._media_item(file_info, str(title or filename)))

    def discard(self) -> None:
        """Remove a stored file that no job lists, and give its key back."""
        if self._relative is not None:
            self._storage.delete([tenant_key(self._batch.tenant_id, self._relative)])
        self.abort()

    def abort(self) -> None:
        if self._upload is not None:
            self._upload.abort()
            self._upload = None
        if self._relative is not None:
            self._keys.release(self._batch.tenant_id, self._relative, self._job.job_id)

    # ------------------------------------------------------------------ internals
    def _store_main_file(self, path: Path, key: str, content_type: str) -> int:
        if self._upload is not None and self._upload.finish(path):
            size = path.stat().st_size
        else:
            size = self._storage.upload_file(path, key, content_type)
        self._upload = None  # only now: a failure before leaves it for abort()
        return size

    def _store_subtitles(self, relative: str, subtitles: dict[str, Path]) -> list[Subtitle]:
        """Next to the file: `clip.mp4` -> `clip.en.vtt`."""
        head, _, name = relative.rpartition("/")
        stem = name.rsplit(".", 1)[0] if "." in name else name
        stored = []
        for lang, sub_path in subtitles.items():
            sub_rel = f"{head}/{stem}.{sanitize_component(lang, fallback='und')}{sub_path.suffix}"
            sub_key = tenant_key(self._batch.tenant_id, sub_rel)
            self._storage.upload_file(sub_path, sub_key, guess_content_type(sub_rel))
            stored.append(Subtitle(lang=lang, filepath=sub_rel, s3_key=sub_key))
        return stored

    def _media_item(self, file_info: FileInfo, title: str) -> MediaItem:
        return build_item(
            tenant_id=self._batch.tenant_id,
            media_id=file_info.media_id or media_id_for(self._job.tenant_id, self._job.job_id),
            storage_key=file_info.s3_key,
            filename=file_info.filename,
            size=file_info.size_bytes,
            content_type=file_info.content_type,
            folder=file_info.filepath.rsplit("/", 1)[0],
            title=title,
            metadata={
                "source": "download",
                "url": self._job.url,
                "batch_id": self._batch.batch_id,
                "job_id": self._job.job_id,
            },
            processing=ProcessingState.NOT_REQUESTED,
        )

    def _claim_path(self, info: dict[str, Any], ext: str) -> str:
        """Render the path template and claim the key, adding -2, -3… rather than overwrite."""
        relative = render_path(
            self._batch.options.path_template,
            {
                "batch_id": self._batch.batch_id,
                # An episode's title from its feed beats what the file itself says.
                "safe_title": self._job.title or info.get("title"),
                "id": info.get("id"),
                "ext": ext,
                "uploader": info.get("uploader"),
                "upload_date": info.get("upload_date"),
            },
        )
        candidate = relative
        for attempt in range(1, MAX_KEY_ATTEMPTS + 1):
            if self._keys.reserve(self._batch.tenant_id, candidate, self._job.job_id):
                self._relative = candidate
                return candidate
            candidate = with_suffix(relative, str(attempt + 1))
        raise DownloadFailed(
            JobFailure.with_message(FailureCode.INTERNAL, "could not find a free storage path for this file; retry")
        )
