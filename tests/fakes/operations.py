"""Fakes of mediabatch.operations.ports: the records, the bucket, the audit log, the bus.

Each counts its calls by method name (`calls`), so a test can see how many round trips a batch
would make; the bulk methods go item by item through the single-item ones, so a test can make
one item fail by overriding those (or with the `fail_*` sets)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from mediabatch.catalog.models import MediaItem
from mediabatch.operations.models import AuditEntry, AuditQuery
from mediabatch.operations.ports import ItemFailed

T = TypeVar("T")


def _each(step: Callable[..., T], *args: Any) -> T | ItemFailed:
    try:
        return step(*args)
    except Exception as exc:
        return ItemFailed(str(exc))


class InMemoryMediaRecords:
    """Items by (tenant, id), with the `deleting` mark kept apart like the table's DELETING key."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], MediaItem] = {}
        self.deleting: dict[tuple[str, str], MediaItem] = {}
        self.audit: list[AuditEntry] = []  # entries written together with a record change
        self.fail_create_for: set[str] = set()  # source file names whose copy record cannot be written
        self.fail_marks_of: set[str] = set()  # media ids whose mark cannot be written
        self.lose_create_answer = False  # create_many writes, then its answer is lost (raises)
        self.fail_reads = False  # get_many raises
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()

    def put(self, item: MediaItem) -> None:
        self.items[(item.tenant_id, item.id)] = item

    def get(self, tenant_id: str, media_id: str) -> MediaItem | None:
        return self.items.get((tenant_id, media_id))

    def get_many(self, tenant_id: str, media_ids: Sequence[str]) -> dict[str, MediaItem]:
        self.calls["get_many"] += 1
        if self.fail_reads:
            raise ConnectionError("injected: read failed")
        return {i: item for i in media_ids if (item := self.get(tenant_id, i)) is not None}

    def mark_deleting_many(self, tenant_id: str, media_ids: Sequence[str]) -> dict[str, MediaItem | ItemFailed | None]:
        self.calls["mark_deleting_many"] += 1
        return {i: _each(self.mark_deleting, tenant_id, i) for i in media_ids}

    def remove_deleting_many(self, tenant_id: str, audits: Mapping[str, AuditEntry]) -> dict[str, bool | ItemFailed]:
        self.calls["remove_deleting_many"] += 1
        return {i: _each(self.remove_deleting, tenant_id, i, entry) for i, entry in audits.items()}

    def create_many(self, items: Sequence[tuple[MediaItem, AuditEntry]]) -> dict[str, ItemFailed]:
        self.calls["create_many"] += 1
        outcomes = {item.id: _each(self.create, item, audit) for item, audit in items}
        if self.lose_create_answer:
            raise ConnectionError("injected: the answer was lost after the write")
        return {i: o for i, o in outcomes.items() if isinstance(o, ItemFailed)}

    def mark_deleting(self, tenant_id: str, media_id: str) -> MediaItem | None:
        if media_id in self.fail_marks_of:
            raise RuntimeError("injected: mark not written")
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
    """Objects as bytes; `fail_deletes_of` keys are answered as not deleted (S3's per-key
    errors), listing a prefix in `fail_lists_of` raises, copying from `fail_copies_of` raises."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.fail_deletes_of: set[str] = set()
        self.fail_lists_of: set[str] = set()
        self.fail_copies_of: set[str] = set()
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()

    def copy_object(self, source_key: str, key: str, size: int) -> None:
        with self._lock:
            self.calls["copy_object"] += 1
            if source_key in self.fail_copies_of:
                raise RuntimeError("injected: copy failed")
            if key in self.objects:
                raise RuntimeError(f"{key} exists: never overwritten")
            self.objects[key] = self.objects[source_key]

    def list_keys(self, prefix: str) -> list[str]:
        with self._lock:
            self.calls["list_keys"] += 1
            if prefix in self.fail_lists_of:
                raise RuntimeError("injected: listing failed")
            return [k for k in self.objects if k.startswith(prefix)]

    def delete_keys(self, keys: Sequence[str]) -> dict[str, str]:
        with self._lock:
            self.calls["delete_keys"] += 1
            failed = {k: "InternalError: injected" for k in keys if k in self.fail_deletes_of}
            for key in keys:
                if key not in failed:
                    self.objects.pop(key, None)
            return failed


class InMemoryAuditLog:
    def __init__(self) -> None:
        self.entries: list[AuditEntry] = []
        self._lock = threading.Lock()

    def record_many(self, entries: Sequence[AuditEntry]) -> None:
        with self._lock:
            self.entries.extend(entries)

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
    """Records what it is given; events whose media id is in `refuse_ids` are not taken."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.refuse_ids: set[str] = set()
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()

    def publish_many(self, events: Sequence[tuple[str, dict[str, Any]]]) -> dict[int, str]:
        with self._lock:
            self.calls["publish_many"] += 1
            refused = {
                n: "injected: refused" for n, (_, d) in enumerate(events) if d.get("media_id") in self.refuse_ids
            }
            self.events.extend(e for n, e in enumerate(events) if n not in refused)
            return refused
