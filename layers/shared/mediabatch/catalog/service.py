"""Register, read and list media items."""

from __future__ import annotations

import re
from typing import Any

from mediabatch.catalog.models import LinkedMedia, MediaItem, MediaPage, Processing, ProcessingState, media_type_for
from mediabatch.catalog.ports import LinkSigner, MediaItemRepository
from mediabatch.clock import now_iso
from mediabatch.errors import NotFound, ValidationFailed

MAX_PAGE = 100
_MEDIA_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


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
    def __init__(self, items: MediaItemRepository, links: LinkSigner) -> None:
        self._items = items
        self._links = links

    def get_item(self, tenant_id: str, media_id: str) -> MediaItem:
        item = self._items.get(tenant_id, media_id) if _MEDIA_ID.fullmatch(media_id) else None
        if item is None:
            raise NotFound(f"media {media_id} not found", code="media_not_found")
        return item

    def get(self, tenant_id: str, media_id: str) -> LinkedMedia:
        return self.linked(self.get_item(tenant_id, media_id))

    def list(self, tenant_id: str, *, folder: str | None, limit: int, cursor: str | None) -> MediaPage:
        if not 1 <= limit <= MAX_PAGE:
            raise ValidationFailed(
                f"limit must be between 1 and {MAX_PAGE}",
                details=[{"field": "limit", "message": f"between 1 and {MAX_PAGE}"}],
            )
        items, next_cursor = self._items.list(tenant_id, folder=folder, limit=limit, cursor=cursor)
        return MediaPage([self.linked(i) for i in items], next_cursor)

    def linked(self, item: MediaItem) -> LinkedMedia:
        thumbnail = item.processing.thumbnail_key
        return LinkedMedia(
            item=item,
            download_url=self._links.download_url(item.storage_key, item.filename),
            thumbnail_url=self._links.download_url(thumbnail, "thumbnail.jpg") if thumbnail else None,
        )
