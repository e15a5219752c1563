"""Where an item's bytes live: what a delete removes and where a copy goes.

Processing writes derived files next to the media file (`<dir>/thumbnail.jpg`, `<dir>/hls/...`,
see `processing.service._media_dir`). Uploads give every item a folder of its own
(`media/<id>/<file>`): that whole folder goes, derived files not yet recorded included.
Downloaded files share their batch folder, so there only the item's own keys go."""

from __future__ import annotations

from dataclasses import dataclass

from mediabatch.catalog.models import MediaItem
from mediabatch.paths import tenant_key


@dataclass(frozen=True)
class StoredObjects:
    keys: list[str]
    prefixes: list[str]


def objects_of(item: MediaItem) -> StoredObjects:
    directory = item.storage_key.rsplit("/", 1)[0]
    keys = [item.storage_key]
    prefixes: list[str] = []
    if directory.endswith(f"/{item.id}"):
        prefixes.append(directory + "/")
    if item.processing.thumbnail_key:
        keys.append(item.processing.thumbnail_key)
    playlist = item.processing.hls_playlist_key
    if playlist:
        hls_dir = playlist.rsplit("/", 1)[0] + "/"
        if not any(hls_dir.startswith(p) for p in prefixes):
            prefixes.append(hls_dir)
    # Keys inside a folder that goes anyway need no request of their own.
    return StoredObjects(keys=[k for k in keys if not k.startswith(tuple(prefixes))], prefixes=prefixes)


def copy_key(item: MediaItem, new_id: str) -> str:
    """A key of the copy's own, under its new id: it can never overwrite another file."""
    return tenant_key(item.tenant_id, f"media/{new_id}/{item.storage_key.rsplit('/', 1)[-1]}")
