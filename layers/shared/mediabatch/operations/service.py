"""Delete and copy media items, one or a batch, and read the audit log.

A batch goes step by step for all its items at once (deleting.py, copying.py): a few calls
per step whatever the number of items, instead of the same calls for each item. Items never
share state: the result of each id is what it would be alone, and results come back in
request order. A failure in one item is its own 500 result, never the batch's."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence

from mediabatch.clock import now_iso, parse_iso
from mediabatch.errors import NotFound, ValidationFailed
from mediabatch.operations.batch_tools import BatchTools
from mediabatch.operations.copying import COPY_FAILED, NOT_ATTEMPTED, TIME_RESERVE_SECONDS, CopyBatch, Remaining
from mediabatch.operations.deleting import DELETE_FAILED, DeleteBatch
from mediabatch.operations.models import (
    MAX_AUDIT_PAGE,
    Actor,
    AuditPage,
    AuditQuery,
    CopyResult,
    DeleteResult,
    Outcome,
    time_ordered_id,
)
from mediabatch.operations.ports import AuditLog, EventPublisher, MediaRecords, ObjectStorage
from mediabatch.operations.requests import checked_ids, is_media_id

logger = logging.getLogger(__name__)

# Calls that stay one per item (folder listings, server-side copies) at a time: 50 items in
# four waves; within the clients' 32 pooled connections.
WORKERS = 16
__all__ = ["COPY_FAILED", "DELETE_FAILED", "NOT_ATTEMPTED", "WORKERS", "MediaOperations"]


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
        self._tools = BatchTools(records, storage, audit, events, workers, new_id, new_entry_id, now)
        self._audit = audit

    # ------------------------------------------------------------------ use cases
    def delete_many(
        self, actor: Actor, ids: Sequence[object], remaining_seconds: Remaining | None = None
    ) -> list[DeleteResult]:
        """`remaining_seconds` is the time the caller has left (the Lambda's): items that would
        start too late are answered as not attempted instead of being cut off half done. All
        items of a batch start together (the first step marks them all), so the check is made
        for each before that step, in request order."""
        requested = checked_ids(ids)
        admitted = _admitted(requested, remaining_seconds)
        done = DeleteBatch(self._tools, actor, admitted).run()
        return [done.get(i) or DeleteResult(i, Outcome.FAILED, NOT_ATTEMPTED) for i in requested]

    def copy_many(
        self, actor: Actor, ids: Sequence[object], remaining_seconds: Remaining | None = None
    ) -> list[CopyResult]:
        """Each copy checks the time left just before its server-side copy, the long part."""
        requested = checked_ids(ids)
        done = CopyBatch(self._tools, actor, requested, remaining_seconds).run()
        return [done[i] for i in requested]

    def delete_one(self, actor: Actor, media_id: str) -> None:
        """The single DELETE: a batch of one; a missing id (or another tenant's, or not an id at
        all) is `media_not_found`, like reading it."""
        result = DeleteBatch(self._tools, actor, [media_id]).run()[media_id] if is_media_id(media_id) else None
        if result is None or result.outcome is Outcome.NOT_FOUND:
            raise NotFound(f"media {media_id} not found", code="media_not_found")
        if result.outcome is Outcome.FAILED:
            raise RuntimeError(result.error)

    def audit_log(self, tenant_id: str, query: AuditQuery) -> AuditPage:
        _check_query(query)
        entries, cursor = self._audit.list(tenant_id, query)
        return AuditPage(entries, cursor)


def _admitted(requested: list[str], remaining: Remaining | None) -> list[str]:
    """The ids that start: all, unless time runs short; from the first that would start with
    less than TIME_RESERVE_SECONDS left, none (time only runs down)."""
    if remaining is None:
        return requested
    for position in range(len(requested)):
        if remaining() < TIME_RESERVE_SECONDS:
            logger.warning(
                "%d of %d items not attempted: too little time left", len(requested) - position, len(requested)
            )
            return requested[:position]
    return requested


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
