"""What media operations need from the outside world.

Every method takes a whole batch: a 50-item request costs a handful of round trips (one read,
one transaction per step, one multi-object delete, events ten at a time) instead of six per
item. Per-item outcomes come back per id, so one item's failure never fails the others; an
exception out of a method means the call as a whole failed (every item in it)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from mediabatch.catalog.models import MediaItem
from mediabatch.operations.models import AuditEntry, AuditQuery


@dataclass(frozen=True)
class ItemFailed:
    """One item of a bulk call did not happen (the others did, or failed on their own)."""

    reason: str


class MediaRecords(Protocol):
    """Media items of a tenant, with the two-step delete that keeps the catalog honest: an item
    is first marked `deleting` (no longer readable), its bytes go, then its record goes."""

    def get_many(self, tenant_id: str, media_ids: Sequence[str]) -> dict[str, MediaItem]:
        """The readable items among `media_ids` (consistent reads), by id; missing ids are absent."""
        ...

    def mark_deleting_many(self, tenant_id: str, media_ids: Sequence[str]) -> dict[str, MediaItem | ItemFailed | None]:
        """Mark each item `deleting` (conditional writes) and return it; an item already marked
        (an earlier attempt that crashed) is returned as it is; None if there is neither."""
        ...

    def remove_deleting_many(self, tenant_id: str, audits: Mapping[str, AuditEntry]) -> dict[str, bool | ItemFailed]:
        """For each media id: remove its marked record and write its audit entry, atomically
        (the two together or neither); False if the record is already gone (another request
        finished the same delete)."""
        ...

    def create_many(self, items: Sequence[tuple[MediaItem, AuditEntry]]) -> dict[str, ItemFailed]:
        """Write each new item (never over an existing one) with its audit entry, atomically per
        item; the items (by id) that were not written."""
        ...


class ObjectStorage(Protocol):
    """The bucket holding media bytes."""

    def copy_object(self, source_key: str, key: str, size: int) -> None:
        """Server-side copy of `size` bytes (multipart copy above the single-copy limit); raises
        if `key` already holds an object: a copy never overwrites."""
        ...

    def list_keys(self, prefix: str) -> list[str]:
        """Every key that starts with `prefix`."""
        ...

    def delete_keys(self, keys: Sequence[str]) -> dict[str, str]:
        """Delete `keys` (any number); the keys that could not be deleted, with the reason."""
        ...


class AuditLog(Protocol):
    def record_many(self, entries: Sequence[AuditEntry]) -> None: ...

    def list(self, tenant_id: str, query: AuditQuery) -> tuple[list[AuditEntry], str | None]:
        """Newest first; the cursor is opaque and bound to the tenant."""
        ...


class EventPublisher(Protocol):
    def publish_many(self, events: Sequence[tuple[str, dict[str, Any]]]) -> dict[int, str]:
        """Publish (detail type, detail) pairs in order; the positions not published, with why."""
        ...
