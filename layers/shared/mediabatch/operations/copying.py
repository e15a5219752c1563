"""A copy batch, step by step for all its items at once.

1. read every source (one consistent batch read);
2. server-side copy of each file to a key of its own under the new id (one call per item,
   concurrently: S3 has no multi-object copy); an item that would start with too little time
   left is not attempted;
3. write the new records with their audit entries (one transaction for the batch, item by item
   if it is refused); a copy whose record could not be written has its bytes deleted again;
4. publish `file.uploaded` (initiator `copy`) for each copy, ten a call, and write the audit
   entries of the attempts that changed nothing."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from mediabatch.catalog.models import MediaItem, Processing, ProcessingState
from mediabatch.operations.batch_tools import BatchTools
from mediabatch.operations.models import (
    NOT_FOUND_MESSAGE,
    Actor,
    AuditAction,
    AuditEntry,
    AuditResult,
    CopyResult,
    Outcome,
)
from mediabatch.operations.storage_plan import copy_key

logger = logging.getLogger(__name__)

COPY_FAILED = "copy failed; nothing was created"
NOT_ATTEMPTED = "not attempted: the request ran out of time; send this id again"
TIME_RESERVE_SECONDS = 5.0  # no item starts with less left: its answer must still get out

Remaining = Callable[[], float]


class CopyBatch:
    def __init__(
        self, tools: BatchTools, actor: Actor, requested: Sequence[str], remaining: Remaining | None = None
    ) -> None:
        """`requested`: distinct media ids as the caller sent them (any case); `remaining`: the
        seconds the caller has left."""
        self._tools = tools
        self._actor = actor
        self._remaining = remaining
        self._as_sent = {r.lower(): r for r in requested}
        self._sources: dict[str, MediaItem] = {}
        self._copies: dict[str, MediaItem] = {}  # by source id: copies still on their way
        self._results: dict[str, CopyResult] = {}
        self._attempts: list[AuditEntry] = []

    def run(self) -> dict[str, CopyResult]:
        """The result of each requested id, by the id as sent."""
        try:
            self._read()
            self._copy_bytes()
            self._write_records()
        except Exception:
            logger.exception("a copy step failed as a whole")
            self._settle([i for i in self._copies if i not in self._results])
            for media_id in self._as_sent:
                if media_id not in self._results:
                    self._fail(media_id, "the step failed as a whole")
        done = [(self._copies[i], self._sources[i]) for i in self._as_sent if i in self._copies]
        self._tools.announce([("file.uploaded", _copied_detail(copy, source)) for copy, source in done])
        self._tools.record_attempts(self._attempts)
        return {self._as_sent[i]: result for i, result in self._results.items()}

    # ------------------------------------------------------------------ steps
    def _read(self) -> None:
        self._sources = self._tools.records.get_many(self._actor.tenant_id, list(self._as_sent))
        for media_id in self._as_sent:
            if media_id not in self._sources:
                self._results[media_id] = CopyResult(
                    self._as_sent[media_id], Outcome.NOT_FOUND, error=NOT_FOUND_MESSAGE
                )
                self._attempts.append(
                    self._tools.entry(self._actor, AuditAction.MEDIA_COPY, media_id, AuditResult.NOT_FOUND)
                )

    def _copy_bytes(self) -> None:
        ids = [i for i in self._as_sent if i in self._sources]
        copied = self._tools.concurrently(self._copy_one, ids)
        for media_id, outcome in zip(ids, copied, strict=True):
            if isinstance(outcome, MediaItem):
                self._copies[media_id] = outcome
            elif outcome is None:
                self._results[media_id] = CopyResult(self._as_sent[media_id], Outcome.FAILED, error=NOT_ATTEMPTED)
            else:
                self._fail(media_id, str(outcome))

    def _copy_one(self, media_id: str) -> MediaItem | None:
        """The copy's bytes, and the record it is to get; None when too late to start."""
        if self._remaining is not None and self._remaining() < TIME_RESERVE_SECONDS:
            return None
        source = self._sources[media_id]
        copy = self._copy_of(source)
        self._tools.storage.copy_object(source.storage_key, copy.storage_key, source.size)
        return copy

    def _write_records(self) -> None:
        if not self._copies:
            return
        entries = [
            (
                copy,
                self._tools.entry(
                    self._actor, AuditAction.MEDIA_COPY, media_id, AuditResult.SUCCESS, {"new_id": copy.id}
                ),
            )
            for media_id, copy in self._copies.items()
        ]
        not_written = self._tools.records.create_many(entries)
        refused = [media_id for media_id, copy in self._copies.items() if copy.id in not_written]
        self._undo(refused, "record not written")
        for media_id, copy in list(self._copies.items()):
            if copy.id in not_written:
                self._fail(media_id, not_written[copy.id].reason)
            else:
                self._results[media_id] = CopyResult(self._as_sent[media_id], Outcome.COPIED, new_id=copy.id)

    # ------------------------------------------------------------------ outcomes
    def _settle(self, pending: list[str]) -> None:
        """After a step failed as a whole, whether the record write took is unknown: its answer
        may have been lost after the transaction committed. The records are read back: a copy
        whose record exists is copied; only the others lose their bytes. If even the read
        fails, the bytes stay (logged): bytes without a record can be swept, a record without
        bytes is a broken file for the user."""
        if not pending:
            return
        try:
            found = self._tools.records.get_many(self._actor.tenant_id, [self._copies[i].id for i in pending])
        except Exception:
            logger.exception("copies kept, their records unknown: %s", [self._copies[i].storage_key for i in pending])
            return
        for media_id in pending:
            if self._copies[media_id].id in found:
                self._results[media_id] = CopyResult(
                    self._as_sent[media_id], Outcome.COPIED, new_id=self._copies[media_id].id
                )
        self._undo([i for i in pending if i not in self._results], "the step failed as a whole")

    def _undo(self, media_ids: list[str], why: str) -> None:
        """No bytes without a record: the copies of `media_ids` go again (failures logged)."""
        keys = [self._copies[i].storage_key for i in media_ids if i in self._copies]
        if not keys:
            return
        try:
            left = self._tools.storage.delete_keys(keys)
        except Exception:
            logger.exception("copies without a record not deleted (%s): %s", why, keys)
            return
        for key, reason in left.items():
            logger.error("copy without a record not deleted (%s): %s: %s", why, key, reason)

    def _fail(self, media_id: str, reason: str) -> None:
        logger.error("copy of %s failed: %s", media_id, reason)
        self._copies.pop(media_id, None)
        self._results[media_id] = CopyResult(self._as_sent[media_id], Outcome.FAILED, error=COPY_FAILED)
        self._attempts.append(self._tools.entry(self._actor, AuditAction.MEDIA_COPY, media_id, AuditResult.FAILED))

    def _copy_of(self, source: MediaItem) -> MediaItem:
        """Same file name, title, type, folder and metadata (user and type: the probe); a new
        id and key, kept permanently; HLS and thumbnail are not copied (processing not run)."""
        new_id, now = self._tools.new_id(), self._tools.now()
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


def _copied_detail(copy: MediaItem, source: MediaItem) -> dict[str, Any]:
    return {
        "tenant_id": copy.tenant_id,
        "media_id": copy.id,
        "filename": copy.filename,
        "size": copy.size,
        "content_type": copy.content_type,
        "initiator": {"type": "copy", "source_media_id": source.id},
    }
