"""What media operations need from the outside world."""

from __future__ import annotations

from typing import Any, Protocol

from mediabatch.catalog.models import MediaItem
from mediabatch.operations.models import AuditEntry, AuditQuery


class MediaRecords(Protocol):
    """Media items of a tenant, with the two-step delete that keeps the catalog honest: an item
    is first marked `deleting` (no longer readable), its bytes go, then its record goes."""

    def get(self, tenant_id: str, media_id: str) -> MediaItem | None: ...

    def mark_deleting(self, tenant_id: str, media_id: str) -> MediaItem | None:
        """Mark the item `deleting` (conditional write) and return it; an item already marked
        (an earlier attempt that crashed) is returned as it is; None if there is neither."""
        ...

    def remove_deleting(self, tenant_id: str, media_id: str, audit: AuditEntry) -> bool:
        """Remove the marked record and write `audit`, atomically; False if it is already gone
        (another request finished the same delete)."""
        ...

    def create(self, item: MediaItem, audit: AuditEntry) -> None:
        """Write a new item (never over an existing one) and `audit`, atomically."""
        ...


class ObjectStorage(Protocol):
    """The bucket holding media bytes."""

    def copy_object(self, source_key: str, key: str, size: int) -> None:
        """Server-side copy of `size` bytes (multipart copy above the single-copy limit); raises
        if `key` already holds an object: a copy never overwrites."""
        ...

    def delete(self, keys: list[str]) -> None: ...

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object whose key starts with `prefix`; how many there were."""
        ...


class AuditLog(Protocol):
    def record(self, entry: AuditEntry) -> None: ...

    def list(self, tenant_id: str, query: AuditQuery) -> tuple[list[AuditEntry], str | None]:
        """Newest first; the cursor is opaque and bound to the tenant."""
        ...


class EventPublisher(Protocol):
    def publish(self, detail_type: str, detail: dict[str, Any]) -> None: ...
