"""Delete and copy media items, one or a batch, and read the audit log.

Items of a batch run concurrently (a bounded pool) but never share state: the result of each
id is what it would be alone, and results come back in request order. A failure in one item is
its own 500 result, never the batch's."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from mediabatch.catalog.models import MediaItem, Processing, ProcessingState
from mediabatch.clock import now_iso, parse_iso
from mediabatch.errors import NotFound, ValidationFailed
from mediabatch.operations.models import (
    MAX_AUDIT_PAGE,
    NOT_FOUND_MESSAGE,
    Actor,
    AuditAction,
    AuditEntry,
    AuditPage,
    AuditQuery,
    AuditResult,
    CopyResult,
    DeleteResult,
    Outcome,
    time_ordered_id,
)
from mediabatch.operations.ports import AuditLog, EventPublisher, MediaRecords, ObjectStorage
from mediabatch.operations.requests import checked_ids, is_media_id
from mediabatch.operations.storage_plan import copy_key, objects_of

logger = logging.getLogger(__name__)

WORKERS = 8
TIME_RESERVE_SECONDS = 5.0  # no item starts with less left: its answer must still get out
DELETE_FAILED = "delete failed; the item is no longer listed and repeating the delete finishes it"
COPY_FAILED = "copy failed; nothing was created"
NOT_ATTEMPTED = "not attempted: the request ran out of time; send this id again"

T = TypeVar("T")
Remaining = Callable[[], float]


class MediaOperations:
    def __init__(
        self,
        records: MediaRecords,
        storage: ObjectStorage,
        audit: AuditLog,
        events: EventPublisher,
        *,
        workers: int = WORKERS,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
        new_entry_id: Callable[[], str] = time_ordered_id,
        now: Callable[[], str] = now_iso,
    ) -> None:
        self._records = records
        self._storage = storage
        self._audit = audit
        self._events = events
        self._workers = workers
        self._new_id = new_id
        self._new_entry_id = new_entry_id
        self._now = now

    # ------------------------------------------------------------------ use cases
    def delete_many(
        self, actor: Actor, ids: Sequence[object], remaining_seconds: Remaining | None = None
    ) -> list[DeleteResult]:
        """`remaining_seconds` is the time the caller has left (the Lambda's): items that would
        start too late are answered as not attempted instead of being cut off half done."""
        return self._each(
            checked_ids(ids),
            lambda media_id: self._delete(actor, media_id),
            lambda media_id: DeleteResult(media_id, Outcome.FAILED, NOT_ATTEMPTED),
            remaining_seconds,
        )

    def copy_many(
        self, actor: Actor, ids: Sequence[object], remaining_seconds: Remaining | None = None
    ) -> list[CopyResult]:
        return self._each(
            checked_ids(ids),
            lambda media_id: self._copy(actor, media_id),
            lambda media_id: CopyResult(media_id, Outcome.FAILED, error=NOT_ATTEMPTED),
            remaining_seconds,
        )

    def delete_one(self, actor: Actor, media_id: str) -> None:
        """The single DELETE: the same steps as one item of a batch; a missing id (or another
        tenant's, or not an id at all) is `media_not_found`, like reading it."""
        result = self._delete(actor, media_id) if is_media_id(media_id) else None
        if result is None or result.outcome is Outcome.NOT_FOUND:
            raise NotFound(f"media {media_id} not found", code="media_not_found")
        if result.outcome is Outcome.FAILED:
            raise RuntimeError(result.error)

    def audit_log(self, tenant_id: str, query: AuditQuery) -> AuditPage:
        _check_query(query)
        entries, cursor = self._audit.list(tenant_id, query)
        return AuditPage(entries, cursor)

    # ------------------------------------------------------------------ one item
    def _delete(self, actor: Actor, requested: str) -> DeleteResult:
        media_id = requested.lower()
        try:
            item = self._records.mark_deleting(actor.tenant_id, media_id)
            if item is None:
                return self._not_found_delete(actor, requested)
            stored = objects_of(item)
            if stored.keys:
                self._storage.delete(stored.keys)
            for prefix in stored.prefixes:
                self._storage.delete_prefix(prefix)
            entry = self._entry(actor, AuditAction.MEDIA_DELETE, media_id, AuditResult.SUCCESS)
            if not self._records.remove_deleting(actor.tenant_id, media_id, entry):
                return self._not_found_delete(actor, requested)  # a concurrent request finished it
        except Exception:
            logger.exception("delete of %s failed", media_id)
            self._record_failure(actor, AuditAction.MEDIA_DELETE, media_id, AuditResult.FAILED)
            return DeleteResult(requested, Outcome.FAILED, DELETE_FAILED)
        self._announce("file.deleted", _deleted_detail(item))
        return DeleteResult(requested, Outcome.DELETED)

    def _copy(self, actor: Actor, requested: str) -> CopyResult:
        media_id = requested.lower()
        try:
            source = self._records.get(actor.tenant_id, media_id)
            if source is None:
                self._record_failure(actor, AuditAction.MEDIA_COPY, media_id, AuditResult.NOT_FOUND)
                return CopyResult(requested, Outcome.NOT_FOUND, error=NOT_FOUND_MESSAGE)
            copy = self._copy_of(source)
            self._storage.copy_object(source.storage_key, copy.storage_key, source.size)
            entry = self._entry(actor, AuditAction.MEDIA_COPY, media_id, AuditResult.SUCCESS, {"new_id": copy.id})
            try:
                self._records.create(copy, entry)
            except Exception:
                self._storage.delete([copy.storage_key])  # no bytes without a record
                raise
        except Exception:
            logger.exception("copy of %s failed", media_id)
            self._record_failure(actor, AuditAction.MEDIA_COPY, media_id, AuditResult.FAILED)
            return CopyResult(requested, Outcome.FAILED, error=COPY_FAILED)
        self._announce("file.uploaded", _copied_detail(copy, source))
        return CopyResult(requested, Outcome.COPIED, new_id=copy.id)

    def _copy_of(self, source: MediaItem) -> MediaItem:
        """Same file name, title, type, folder and metadata (user and type: the probe); a new
        id and key, kept permanently; HLS and thumbnail are not copied (processing not run)."""
        new_id, now = self._new_id(), self._now()
        return source.model_copy(
            update={
                "id": new_id,
                "storage_key": copy_key(source, new_id),
                "metadata": dict(source.metadata),
                "store_permanently": True,
                "expires_at": None,
                "created_at": now,
                "updated_at": now,
                "processing": Processing(
                    state=ProcessingState.NOT_REQUESTED, probe=source.processing.probe, updated_at=now
                ),
            },
            deep=True,
        )

    # ------------------------------------------------------------------ helpers
    def _each(
        self, ids: list[str], run: Callable[[str], T], skipped: Callable[[str], T], remaining: Remaining | None
    ) -> list[T]:
        def one(media_id: str) -> T:
            if remaining is not None and remaining() < TIME_RESERVE_SECONDS:
                return skipped(media_id)
            return run(media_id)

        if len(ids) == 1 or self._workers <= 1:
            return [one(i) for i in ids]
        with ThreadPoolExecutor(min(self._workers, len(ids)), thread_name_prefix="media-op") as pool:
            return list(pool.map(one, ids))  # map keeps request order

    def _not_found_delete(self, actor: Actor, requested: str) -> DeleteResult:
        self._record_failure(actor, AuditAction.MEDIA_DELETE, requested.lower(), AuditResult.NOT_FOUND)
        return DeleteResult(requested, Outcome.NOT_FOUND, NOT_FOUND_MESSAGE)

    def _entry(
        self,
        actor: Actor,
        action: AuditAction,
        target: str,
        result: AuditResult,
        details: dict[str, str] | None = None,
    ) -> AuditEntry:
        return AuditEntry(
            tenant_id=actor.tenant_id,
            entry_id=self._new_entry_id(),
            time=self._now(),
            actor_key_id=actor.key_id,
            action=action,
            target=target,
            result=result,
            details=details or {},
        )

    def _record_failure(self, actor: Actor, action: AuditAction, target: str, result: AuditResult) -> None:
        """Attempts that changed nothing are logged too, best effort: the result stands anyway."""
        try:
            self._audit.record(self._entry(actor, action, target, result))
        except Exception:
            logger.exception("audit entry for %s %s not written", action, target)

    def _announce(self, detail_type: str, detail: dict[str, object]) -> None:
        """After the change is done and audited: a lost event is logged, the result stands."""
        try:
            self._events.publish(detail_type, detail)
        except Exception:
            logger.exception("%s for %s not published", detail_type, detail.get("media_id"))


def _deleted_detail(item: MediaItem) -> dict[str, object]:
    return {
        "tenant_id": item.tenant_id,
        "media_id": item.id,
        "filename": item.filename,
        "size": item.size,
        "content_type": item.content_type,
        "folder": item.folder,
    }


def _copied_detail(copy: MediaItem, source: MediaItem) -> dict[str, object]:
    return {
        "tenant_id": copy.tenant_id,
        "media_id": copy.id,
        "filename": copy.filename,
        "size": copy.size,
        "content_type": copy.content_type,
        "initiator": {"type": "copy", "source_media_id": source.id},
    }


def _check_query(query: AuditQuery) -> None:
    if not 1 <= query.limit <= MAX_AUDIT_PAGE:
        raise ValidationFailed(
            f"limit must be between 1 and {MAX_AUDIT_PAGE}",
            details=[{"field": "limit", "message": f"between 1 and {MAX_AUDIT_PAGE}"}],
        )
    for name in ("since", "until"):
        value = getattr(query, name)
        if value is None:
            continue
        try:
            parse_iso(value)
        except ValueError as exc:
            raise ValidationFailed(
                f"{name} must be an ISO 8601 UTC time like 2026-01-31T12:00:00Z",
                details=[{"field": name, "message": "format YYYY-MM-DDTHH:MM:SSZ"}],
            ) from exc
    if query.since and query.until and query.since > query.until:
        raise ValidationFailed("since must not be after until", details=[{"field": "since", "message": "after until"}])
