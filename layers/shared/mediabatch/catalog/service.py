"""Register, read and list media items."""

from __future__ import annotations

import re
from typing import Any

from mediabatch.adapters.dynamodb.media_items import MediaItemTable
from mediabatch.adapters.s3.media_bucket import MediaBucket
from mediabatch.catalog.models import MediaItem, Processing, ProcessingState, media_type_for
from mediabatch.clock import now_iso
from mediabatch.errors import NotFound, ValidationFailed

MAX_PAGE = 100
_MEDIA_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def relative_key(item: MediaItem) -> str:
    """The storage key as the tenant sees it (without the internal `tenants/<id>/` prefix)."""
    return item.storage_key.removeprefix(f"tenants/{item.tenant_id}/")


def build_item(
    *,
    tenant_id: str,
    media_id: str,
    storage_key: str,
    filename: str,
    size: int,
    content_type: str,
    folder: str,
    title: str,
    metadata: dict[str, Any],
    processing: ProcessingState,
) -> MediaItem:
    now = now_iso()
    return MediaItem(
        tenant_id=tenant_id,
        id=media_id,
        type=media_type_for(content_type),
        storage_key=storage_key,
        filename=filename,
        size=size,
        content_type=content_type,
        folder=folder,
        title=title,
        metadata=metadata,
        created_at=now,
        updated_at=now,
        processing=Processing(state=processing, updated_at=now),
    )


class MediaCatalog:
    def __init__(self, store: MediaItemTable, storage: MediaBucket) -> None:
        self._store = store
        self._storage = storage

    def get_item(self, tenant_id: str, media_id: str) -> MediaItem:
        item = self._store.get(tenant_id, media_id) if _MEDIA_ID.fullmatch(media_id) else None
        if item is None:
            raise NotFound(f"media {media_id} not found", code="media_not_found")
        return item

    def get(self, tenant_id: str, media_id: str) -> dict[str, Any]:
        return self.view(self.get_item(tenant_id, media_id))

    def list(self, tenant_id: str, *, folder: str | None, limit: int, cursor: str | None) -> dict[str, Any]:
        if not 1 <= limit <= MAX_PAGE:
            raise ValidationFailed(
                f"limit must be between 1 and {MAX_PAGE}",
                details=[{"field": "limit", "message": f"between 1 and {MAX_PAGE}"}],
            )
        items, next_cursor = self._store.list(tenant_id, folder=folder, limit=limit, cursor=cursor)
        return {"items": [self.view(i) for i in items], "next_cursor": next_cursor}

    def view(self, item: MediaItem) -> dict[str, Any]:
        p = item.processing
        return {
            "id": item.id,
            "type": item.type.value,
            "filename": item.filename,
            "title": item.title,
            "folder": item.folder,
            "storage_key": relative_key(item),
            "size": item.size,
            "content_type": item.content_type,
            "metadata": item.metadata,
            "store_permanently": item.store_permanently,
            "expires_at": item.expires_at,
            "created_at": item.created_at,
            "updated_at": item.updated_at,
            "download_url": self._storage.download_url(item.storage_key, item.filename),
            "processing": {
                "state": p.state.value,
                "error": p.error,
                "probe": p.probe,
                "thumbnail_url": self._storage.download_url(p.thumbnail_key, "thumbnail.jpg")
                if p.thumbnail_key
                else None,
                "hls": {
                    "playlist_key": p.hls_playlist_key.removeprefix(f"tenants/{item.tenant_id}/"),
                    "segments": p.hls_segment_count,
                }
                if p.hls_playlist_key
                else None,
                "updated_at": p.updated_at,
            },
        }
