"""What the catalog needs from the outside world."""

from __future__ import annotations

from typing import Protocol

from mediabatch.catalog.models import MediaItem


class MediaItemRepository(Protocol):
    """Media items by tenant (the DynamoDB table, or an in-memory fake)."""

    def get(self, tenant_id: str, media_id: str) -> MediaItem | None: ...

    def list(
        self, tenant_id: str, *, folder: str | None, limit: int, cursor: str | None
    ) -> tuple[list[MediaItem], str | None]:
        """One page, newest folder order; the cursor is opaque and bound to the tenant."""
        ...


class LinkSigner(Protocol):
    """Time-limited links to stored objects (presigned GETs)."""

    def download_url(self, key: str, filename: str, ttl_seconds: int | None = None) -> str: ...
