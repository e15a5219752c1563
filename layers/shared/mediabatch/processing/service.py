"""Each step reads the stored file through a short-lived presigned URL (the tools stream it; no
full copy to the work dir except the step's own outputs) and records its result on the media item."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from mediabatch.catalog.models import MediaItem, MediaType
from mediabatch.clock import now_iso
from mediabatch.errors import NotFound
from mediabatch.processing.models import NotPlayableMedia, ProbeResult, ProcessingChange
from mediabatch.processing.ports import MediaTools, ProcessedMediaItems, ProcessingStorage

SOURCE_URL_TTL_SECONDS = 900


class MediaProcessor:
    def __init__(
        self, items: ProcessedMediaItems, storage: ProcessingStorage, tools: MediaTools, work_dir: str
    ) -> None:
        self._items = items
        self._storage = storage
        self._tools = tools
        self._work_dir = work_dir

    def probe(self, tenant_id: str, media_id: str) -> ProbeResult:
        item = self._item(tenant_id, media_id)
        self._record(item, ProcessingChange.running())
        if item.type is not MediaType.VIDEO:
            raise NotPlayableMedia(f"not a playable video: {item.content_type} is not a video type")
        probe = self._tools.probe(self._source(item))
        self._record(item, ProcessingChange.probed(probe))
        return probe

    def thumbnail(self, tenant_id: str, media_id: str) -> str:
        """Store a JPEG frame next to the upload's other derived files; returns its key."""
        item = self._item(tenant_id, media_id)
        with self._scratch() as scratch:
            thumb = self._tools.thumbnail(self._source(item), scratch / "thumbnail.jpg", probe=_stored_probe(item))
            key = f"{_media_dir(item)}/thumbnail.jpg"
            self._storage.upload_file(thumb, key, "image/jpeg")
        self._record(item, ProcessingChange.thumbnail_stored(key))
        return key

    def package_hls(self, tenant_id: str, media_id: str) -> str:
        """Store the HLS playlist and segments under the item's `hls/` folder; returns the
        playlist's key. The item is ready after this step."""
        item = self._item(tenant_id, media_id)
        prefix = f"{_media_dir(item)}/hls"
        with self._scratch() as scratch:
            files = self._tools.package_hls(self._source(item), scratch / "hls", probe=_stored_probe(item))
            self._storage.delete(self._storage.list_keys(prefix + "/"))  # a re-run replaces, never mixes
            self._storage.upload_dir(scratch / "hls", prefix)
        playlist = f"{prefix}/{files[0].name}"
        self._record(item, ProcessingChange.hls_packaged(playlist, len(files) - 1))
        return playlist

    def record_failure(self, tenant_id: str, media_id: str, error: str) -> None:
        """The state machine's last word on a failed run (an item deleted meanwhile is left alone)."""
        item = self._items.get(tenant_id, media_id)
        if item is not None:
            self._record(item, ProcessingChange.failed(error))

    # ------------------------------------------------------------------ internals
    def _item(self, tenant_id: str, media_id: str) -> MediaItem:
        item = self._items.get(tenant_id, media_id)
        if item is None:
            raise NotFound(f"media {media_id} not found", code="media_not_found")
        return item

    def _source(self, item: MediaItem) -> str:
        return self._storage.download_url(item.storage_key, item.filename, SOURCE_URL_TTL_SECONDS)

    def _record(self, item: MediaItem, change: ProcessingChange) -> None:
        self._items.update_processing(item.tenant_id, item.id, change, now_iso())

    def _scratch(self) -> _Scratch:
        return _Scratch(self._work_dir)


class _Scratch:
    """A private folder in the work dir for one step's outputs, removed when the step ends."""

    def __init__(self, base: str) -> None:
        self._path = Path(tempfile.mkdtemp(prefix="processing-", dir=base))

    def __enter__(self) -> Path:
        return self._path

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self._path, ignore_errors=True)


def _stored_probe(item: MediaItem) -> ProbeResult | None:
    """The probe step's result, so later steps need not run the tool again."""
    stored = item.processing.probe
    return ProbeResult.from_stored(stored) if stored else None


def _media_dir(item: MediaItem) -> str:
    return item.storage_key.rsplit("/", 1)[0]
