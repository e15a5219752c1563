"""Fakes of mediabatch.catalog.ports."""

from __future__ import annotations

from mediabatch.catalog.models import MediaItem


class InMemoryMediaItems:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], MediaItem] = {}

    def put(self, item: MediaItem) -> None:
        self.items[(item.tenant_id, item.id)] = item

    def get(self, tenant_id: str, media_id: str) -> MediaItem | None:
        return self.items.get((tenant_id, media_id))

    def list(
        self, tenant_id: str, *, folder: str | None, limit: int, cursor: str | None
    ) -> tuple[list[MediaItem], str | None]:
        mine = sorted(
            (i for (t, _), i in self.items.items() if t == tenant_id and (folder is None or i.folder == folder)),
            key=lambda i: (i.folder, i.created_at, i.id),
        )
        start = 0
        if cursor is not None:
            owner, _, offset = cursor.partition(":")
            if owner != tenant_id:
                raise ValueError("cursor of another tenant")
            start = int(offset)
        page = mine[start : start + limit]
        more = start + limit < len(mine)
        return page, f"{tenant_id}:{start + limit}" if more else None


class FakeLinkSigner:
    """Links that say what they point at, so a test can check which object was signed."""

    def download_url(self, key: str, filename: str, ttl_seconds: int | None = None) -> str:
        return f"https://signed.test/{key}?filename={filename}"
