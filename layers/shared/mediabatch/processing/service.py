"""Each step reads the stored file through a short-lived presigned URL (ffmpeg streams it; no
full copy to /tmp except the step's own outputs) and records its result on the media item."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import fields
from pathlib import Path
from typing import Any

from mediabatch.adapters.dynamodb.media_items import MediaItemTable
from mediabatch.adapters.ffmpeg.tools import FfmpegTools, NotPlayableMedia, ProbeResult
from mediabatch.adapters.s3.media_bucket import MediaBucket
from mediabatch.catalog.models import MediaItem, MediaType, ProcessingState
from mediabatch.clock import now_iso
from mediabatch.errors import NotFound

SOURCE_URL_TTL_SECONDS = 900


class MediaProcessor:
    def __init__(self, store: MediaItemTable, storage: MediaBucket, tools: FfmpegTools, work_dir: str) -> None:
        self._store = store
        self._storage = storage
        self._tools = tools
        self._work_dir = work_dir

    def probe(self, tenant_id: str, media_id: str) -> dict[str, Any]:
        item = self._item(tenant_id, media_id)
        self._update(item, {"state": ProcessingState.RUNNING.value, "error": None})
        if item.type is not MediaType.VIDEO:
            raise NotPlayableMedia(f"not a playable video: {item.content_type} is not a video type")
        probe = self._tools.probe(self._source(item))
        self._update(item, {"probe": probe.as_dict()})
        return probe.as_dict()

    def thumbnail(self, tenant_id: str, media_id: str) -> str:
        item = self._item(tenant_id, media_id)
        with self._scratch() as scratch:
            thumb = self._tools.thumbnail(self._source(item), scratch / "thumbnail.jpg", probe=self._probe_of(item))
            key = f"{_media_dir(item)}/thumbnail.jpg"
            self._storage.upload_file(thumb, key, "image/jpeg")
        self._update(item, {"thumbnail_key": key})
        return key

    def package_hls(self, tenant_id: str, media_id: str) -> str:
        item = self._item(tenant_id, media_id)
        prefix = f"{_media_dir(item)}/hls"
        with self._scratch() as scratch:
            files = self._tools.package_hls(self._source(item), scratch / "hls", probe=self._probe_of(item))
            self._storage.delete(self._storage.list_keys(prefix + "/"))  # a re-run replaces, never mixes
            self._storage.upload_dir(scratch / "hls", prefix)
        playlist = f"{prefix}/{files[0].name}"
        self._update(
            item,
            {"hls_playlist_key": playlist, "hls_segment_count": len(files) - 1, "state": ProcessingState.READY.value},
        )
        return playlist

    def record_failure(self, tenant_id: str, media_id: str, error: str) -> None:
        item = self._store.get(tenant_id, media_id)
        if item is not None:
            self._update(item, {"state": ProcessingState.FAILED.value, "error": error})

    # ------------------------------------------------------------------ internals
    def _item(self, tenant_id: str, media_id: str) -> MediaItem:
        item = self._store.get(tenant_id, media_id)
        if item is None:
            raise NotFound(f"media {media_id} not found", code="media_not_found")
        return item

    def _source(self, item: MediaItem) -> str:
        return self._storage.download_url(item.storage_key, item.filename, SOURCE_URL_TTL_SECONDS)

    @staticmethod
    def _probe_of(item: MediaItem) -> ProbeResult | None:
        """The stored probe (absent values are not stored: a video without audio has no
        audio_codec key)."""
        stored = item.processing.probe
        if not stored:
            return None
        values: dict[str, Any] = {f.name: stored.get(f.name) for f in fields(ProbeResult)}
        values["rotation"] = values.get("rotation") or 0
        return ProbeResult(**values)

    def _update(self, item: MediaItem, fields: dict[str, Any]) -> None:
        now = now_iso()
        self._store.update_processing(item.tenant_id, item.id, {**fields, "updated_at": now}, now)

    def _scratch(self) -> _Scratch:
        return _Scratch(self._work_dir)


class _Scratch:
    def __init__(self, base: str) -> None:
        self._path = Path(tempfile.mkdtemp(prefix="processing-", dir=base))

    def __enter__(self) -> Path:
        return self._path

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self._path, ignore_errors=True)


def _media_dir(item: MediaItem) -> str:
    return item.storage_key.rsplit("/", 1)[0]
