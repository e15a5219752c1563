"""A delete batch, step by step for all its items at once (a single DELETE is a batch of one).

1. mark every item `deleting` (one read, one transaction: no longer readable, kept for a retry);
2. list each item's folders (one call per folder, concurrently), then delete every key of every
   item in one multi-object delete; a key that could not go fails only its own item;
3. remove the marked records together with their audit entries (one transaction);
4. publish `file.deleted` for each deleted item (ten a call) and write the audit entries of
   the attempts that changed nothing.

An item that fails at a step leaves the batch there: its mark stays (it is not readable, and
repeating the delete finishes it), and the next steps run for the others only. A step whose
call fails as a whole fails the items still in it, in the same way. So the crash safety of one
item alone holds for every item: no readable record points at missing bytes, and bytes lose
their record only after they are gone."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from mediabatch.catalog.models import MediaItem
from mediabatch.operations.batch_tools import BatchTools
from mediabatch.operations.models import (
    NOT_FOUND_MESSAGE,
    Actor,
    AuditAction,
    AuditEntry,
    AuditResult,
    DeleteResult,
    Outcome,
)
from mediabatch.operations.ports import ItemFailed
from mediabatch.operations.storage_plan import objects_of

logger = logging.getLogger(__name__)

DELETE_FAILED = "delete failed; the item is no longer listed and repeating the delete finishes it"


class DeleteBatch:
    def __init__(self, tools: BatchTools, actor: Actor, requested: Sequence[str]) -> None:
        """`requested`: distinct media ids as the caller sent them (any case)."""
        self._tools = tools
        self._actor = actor
        self._as_sent = {r.lower(): r for r in requested}
        self._pending = list(self._as_sent)  # ids still on their way (lower case)
        self._items: dict[str, MediaItem] = {}  # marked items still on their way
        self._results: dict[str, DeleteResult] = {}
        self._attempts: list[AuditEntry] = []  # entries of attempts that changed nothing

    def run(self) -> dict[str, DeleteResult]:
        """The result of each requested id, by the id as sent."""
        self._step(self._mark)
        self._step(self._delete_bytes)
        self._step(self._remove_records)
        deleted = [self._items[i] for i in self._as_sent if i in self._items]
        self._tools.announce([("file.deleted", _deleted_detail(item)) for item in deleted])
        self._tools.record_attempts(self._attempts)
        return {self._as_sent[i]: result for i, result in self._results.items()}

    # ------------------------------------------------------------------ steps
    def _mark(self) -> None:
        marked = self._tools.records.mark_deleting_many(self._actor.tenant_id, self._pending)
        for media_id in self._pending:
            outcome = marked.get(media_id, ItemFailed("no answer for this id"))
            if isinstance(outcome, MediaItem):
                self._items[media_id] = outcome
            elif outcome is None:
                self._not_found(media_id)
            else:
                self._fail(media_id, outcome.reason)
        self._pending = []

    def _delete_bytes(self) -> None:
        plans = {media_id: objects_of(item) for media_id, item in self._items.items()}
        folders = [(media_id, prefix) for media_id, plan in plans.items() for prefix in plan.prefixes]
        listed = self._tools.concurrently(self._tools.storage.list_keys, [prefix for _, prefix in folders])
        keys = {media_id: list(plan.keys) for media_id, plan in plans.items()}
        for (media_id, prefix), found in zip(folders, listed, strict=True):
            if isinstance(found, Exception):
                self._fail(media_id, f"listing {prefix}: {found}")
            else:
                keys[media_id].extend(found)
        survivors = [media_id for media_id in keys if media_id in self._items]
        not_deleted = self._tools.storage.delete_keys([k for media_id in survivors for k in keys[media_id]])
        for media_id in survivors:
            stuck = [k for k in keys[media_id] if k in not_deleted]
            if stuck:
                self._fail(media_id, f"{len(stuck)} objects not deleted, e.g. {stuck[0]}: {not_deleted[stuck[0]]}")

    def _remove_records(self) -> None:
        entries = {
            media_id: self._tools.entry(self._actor, AuditAction.MEDIA_DELETE, media_id, AuditResult.SUCCESS)
            for media_id in self._items
        }
        removed = self._tools.records.remove_deleting_many(self._actor.tenant_id, entries)
        for media_id in entries:
            outcome = removed.get(media_id, ItemFailed("no answer for this id"))
            if outcome is True:
                self._results[media_id] = DeleteResult(self._as_sent[media_id], Outcome.DELETED)
            elif outcome is False:  # a concurrent request finished the same delete
                del self._items[media_id]
                self._not_found(media_id)
            else:
                self._fail(media_id, outcome.reason if isinstance(outcome, ItemFailed) else repr(outcome))

    # ------------------------------------------------------------------ outcomes
    def _step(self, step: Callable[[], None]) -> None:
        """Run a step for the items still on their way; if its call fails as a whole, they fail."""
        if not (self._pending or self._items):
            return
        try:
            step()
        except Exception:
            logger.exception("a delete step failed for %d items", len(self._pending) + len(self._items))
            for media_id in [*self._pending, *self._items]:
                self._fail(media_id, "the step failed as a whole")
            self._pending = []

    def _not_found(self, media_id: str) -> None:
        self._results[media_id] = DeleteResult(self._as_sent[media_id], Outcome.NOT_FOUND, NOT_FOUND_MESSAGE)
        self._attempts.append(self._tools.entry(self._actor, AuditAction.MEDIA_DELETE, media_id, AuditResult.NOT_FOUND))

    def _fail(self, media_id: str, reason: str) -> None:
        logger.error("delete of %s failed: %s", media_id, reason)
        self._items.pop(media_id, None)
        self._results[media_id] = DeleteResult(self._as_sent[media_id], Outcome.FAILED, DELETE_FAILED)
        self._attempts.append(self._tools.entry(self._actor, AuditAction.MEDIA_DELETE, media_id, AuditResult.FAILED))


def _deleted_detail(item: MediaItem) -> dict[str, Any]:
    return {
        "tenant_id": item.tenant_id,
        "media_id": item.id,
        "filename": item.filename,
        "size": item.size,
        "content_type": item.content_type,
        "folder": item.folder,
    }
