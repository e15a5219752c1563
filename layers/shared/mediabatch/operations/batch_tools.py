"""What a delete batch and a copy batch share: the ports, ids and time, a bounded pool, and the
best-effort tail (events, audit entries of attempts that changed nothing)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from mediabatch.operations.models import Actor, AuditAction, AuditEntry, AuditResult
from mediabatch.operations.ports import AuditLog, EventPublisher, MediaRecords, ObjectStorage

logger = logging.getLogger(__name__)

A = TypeVar("A")
T = TypeVar("T")


@dataclass(frozen=True)
class BatchTools:
    records: MediaRecords
    storage: ObjectStorage
    audit: AuditLog
    events: EventPublisher
    workers: int
    new_id: Callable[[], str]
    new_entry_id: Callable[[], str]
    now: Callable[[], str]

    def entry(
        self,
        actor: Actor,
        action: AuditAction,
        target: str,
        result: AuditResult,
        details: dict[str, str] | None = None,
    ) -> AuditEntry:
        return AuditEntry(
            tenant_id=actor.tenant_id,
            entry_id=self.new_entry_id(),
            time=self.now(),
            actor_key_id=actor.key_id,
            action=action,
            target=target,
            result=result,
            details=details or {},
        )

    def concurrently(self, step: Callable[[A], T], args: Sequence[A]) -> list[T | Exception]:
        """`step` on each argument, `workers` at a time; the results in the arguments' order, an
        exception being that argument's result (the others go on). For the calls that stay one
        per item (listing a folder, a server-side copy), whose waits overlap."""

        def guarded(arg: A) -> T | Exception:
            try:
                return step(arg)
            except Exception as exc:
                logger.exception("%s failed for one item of a batch", getattr(step, "__name__", "a step"))
                return exc

        if len(args) <= 1 or self.workers <= 1:
            return [guarded(a) for a in args]
        with ThreadPoolExecutor(min(self.workers, len(args)), thread_name_prefix="media-op") as pool:
            return list(pool.map(guarded, args))

    def announce(self, events: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """After the changes are done and audited: a lost event is logged, the results stand."""
        if not events:
            return
        try:
            lost = self.events.publish_many(events)
        except Exception:
            logger.exception("%d events not published", len(events))
            return
        for position, reason in lost.items():
            kind, detail = events[position]
            logger.error("%s for %s not published: %s", kind, detail.get("media_id"), reason)

    def record_attempts(self, entries: Sequence[AuditEntry]) -> None:
        """Attempts that changed nothing are logged too, best effort: the results stand anyway."""
        if not entries:
            return
        try:
            self.audit.record_many(entries)
        except Exception:
            logger.exception("%d audit entries not written (%s)", len(entries), ", ".join(e.target for e in entries))
