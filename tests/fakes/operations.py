"""Fakes of mediabatch.operations.ports: the records, the bucket, the audit log, the bus."""

from __future__ import annotations

import threading
from typing import Any

from mediabatch.catalog.models import MediaItem
from mediabatch.operations.models import AuditEntry, AuditQuery


class InMemoryMediaRecords:
    """Items by (tenant, id), with the `deleting` mark kept apart like the table's DELETING key."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], MediaItem] = {}
        self.deleting: dict[tuple[str, str], MediaItem] = {}
        self.audit: list[AuditEntry] = []  # entries written together with a record change
        self.fail_create_for: set[str] = set()  # source file names whose copy record cannot be written
        self._lock = threading.Lock()

    def put(self, item: MediaItem) -> None:
        self.items[(item.tenant_id, item.id)] = item

    def get(self, tenant_id: str, media_id: str) -> MediaItem | None:
        return self.items.get((tenant_id, media_id))

    def mark_deleting(self, tenant_id: str, media_id: str) -> MediaItem | None:
        with self._lock:
            item = self.items.pop((tenant_id, media_id), None)
            if item is not None:
                self.deleting[(tenant_id, media_id)] = item
            return self.deleting.get((tenant_id, media_id))

    def remove_deleting(self, tenant_id: str, media_id: str, audit: AuditEntry) -> bool:
        with self._lock:
            if self.deleting.pop((tenant_id, media_id), None) is None:
                return False
            self.audit.append(audit)
            return True

    def create(self, item: MediaItem, audit: AuditEntry) -> None:
        with self._lock:
            if item.filename in self.fail_create_for:
                raise RuntimeError("injected: record not written")
            if (item.tenant_id, item.id) in self.items:
                raise RuntimeError("condition failed: item exists")
            self.items[(item.tenant_id, item.id)] = item
            self.audit.append(audit)


class InMemoryBucket:
    """Objects as bytes; `fail_deletes_of` makes deleting a key raise (a storage outage)."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.fail_deletes_of: set[str] = set()
        self.fail_copies_of: set[str] = set()
        self._lock = threading.Lock()

    def copy_object(self, source_key: str, key: str, size: int) -> None:
        with self._lock:
            if source_key in self.fail_copies_of:
                raise RuntimeError("injected: copy failed")
            if key in self.objects:
                raise RuntimeError(f"{key} exists: never overwritten")
            self.objects[key] = self.objects[source_key]

    def delete(self, keys: list[str]) -> None:
        with self._lock:
            for key in keys:
                if key in self.fail_deletes_of:
                    raise RuntimeError("injected: storage unavailable")
                self.objects.pop(key, None)

    def delete_prefix(self, prefix: str) -> int:
        keys = [k for k in list(self.objects) if k.startswith(prefix)]
        self.delete(keys)
        return len(keys)


class InMemoryAuditLog:
    def __init__(self) -> None:
        self.entries: list[AuditEntry] = []
        self._lock = threading.Lock()

    def record(self, entry: AuditEntry) -> None:
        with self._lock:
            self.entries.append(entry)

    def list(self, tenant_id: str, query: AuditQuery) -> tuple[list[AuditEntry], str | None]:
        mine = sorted(
            (
                e
                for e in self.entries
                if e.tenant_id == tenant_id
                and (query.action is None or e.action is query.action)
                and (query.since is None or e.time >= query.since)
                and (query.until is None or e.time <= query.until)
            ),
            key=lambda e: (e.time, e.entry_id),
            reverse=True,
        )
        start = 0
        if query.cursor is not None:
            owner, _, offset = query.cursor.partition(":")
            if owner != tenant_id:
                raise ValueError("cursor of another tenant")
            start = int(offset)
        more = start + query.limit < len(mine)
        return mine[start : start + query.limit], f"{tenant_id}:{start + query.limit}" if more else None


class RecordingPublisher:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()

    def publish(self, detail_type: str, detail: dict[str, Any]) -> None:
        with self._lock:
            self.events.append((detail_type, detail))
