"""The media catalog (`/api/v0/media`): list, get, delete and copy media items."""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import quote

from mediabatch_client.resources._base import WireModel, iterate
from mediabatch_client.transport import Transport

__all__ = [
    "CopyResult",
    "CopyResults",
    "DeleteResult",
    "DeleteResults",
    "Hls",
    "Media",
    "MediaItem",
    "MediaPage",
    "Processing",
]


class Hls(WireModel):
    wire_schema = "HlsOut"
    playlist_key: str
    segments: int | None


class Processing(WireModel):
    wire_schema = "ProcessingOut"
    state: str
    error: str | None
    probe: dict[str, Any] | None
    thumbnail_url: str | None
    hls: Hls | None
    updated_at: str | None


class MediaItem(WireModel):
    wire_schema = "MediaItemOut"
    id: str
    type: str
    filename: str
    title: str
    folder: str
    storage_key: str
    size: int
    content_type: str
    metadata: dict[str, Any]
    store_permanently: bool
    expires_at: str | None
    created_at: str
    updated_at: str
    download_url: str
    processing: Processing


class MediaPage(WireModel):
    wire_schema = "MediaListOut"
    items: list[MediaItem]
    next_cursor: str | None

    def page_items(self) -> list[MediaItem]:
        return self.items


class DeleteResult(WireModel):
    """One id of a batch delete: status 204 deleted, 404 not found, 500 failed (with `error`)."""

    wire_schema = "DeleteItemOut"
    id: str
    status: int
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 204


class CopyResult(WireModel):
    """One id of a batch copy: status 201 copied (`new_id`), 404 not found, 500 failed."""

    wire_schema = "CopyItemOut"
    source_id: str
    new_id: str | None
    status: int
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 201


class DeleteResults(WireModel):
    wire_schema = "BatchDeleteOut"
    results: list[DeleteResult]


class CopyResults(WireModel):
    wire_schema = "BatchCopyOut"
    results: list[CopyResult]


class Media:
    """`client.media`: the media catalog."""

    MAX_BATCH = 50  # ids per delete_many / copy_many call (the server's limit)

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def list(self, *, folder: str | None = None, limit: int = 50, cursor: str | None = None) -> MediaPage:
        params = {"folder": folder, "limit": limit, "cursor": cursor}
        return MediaPage.model_validate(self._t.request("GET", "/api/v0/media", params=params))

    def iter(self, *, folder: str | None = None, page_size: int = 100) -> Iterator[MediaItem]:
        """Every item (of `folder`), page after page."""
        return iterate(lambda cursor: self.list(folder=folder, limit=page_size, cursor=cursor))

    def get(self, media_id: str) -> MediaItem:
        return MediaItem.model_validate(self._t.request("GET", f"/api/v0/media/{quote(media_id, safe='')}"))

    def delete(self, media_id: str) -> None:
        """DELETE /api/v0/media/{id}; raises MediaNotFound when there is no such item."""
        self._t.request("DELETE", f"/api/v0/media/{quote(media_id, safe='')}")

    def delete_many(self, ids: Sequence[str]) -> builtins.list[DeleteResult]:
        """POST /api/v0/media/batch/delete, 50 ids a call: one result per id, in order."""
        return [
            result
            for chunk in _chunks(ids, self.MAX_BATCH)
            for result in DeleteResults.model_validate(
                self._t.request("POST", "/api/v0/media/batch/delete", json={"ids": chunk}, safe=True)
            ).results
        ]

    def copy_many(self, ids: Sequence[str]) -> builtins.list[CopyResult]:
        """POST /api/v0/media/batch/copy, 50 ids a call: one result per id, in order (not retried
        on a lost answer: a second call would copy again)."""
        return [
            result
            for chunk in _chunks(ids, self.MAX_BATCH)
            for result in CopyResults.model_validate(
                self._t.request("POST", "/api/v0/media/batch/copy", json={"ids": chunk})
            ).results
        ]


def _chunks(ids: Sequence[str], size: int) -> list[list[str]]:
    return [list(ids[i : i + size]) for i in range(0, len(ids), size)]
