"""What the reconciler sees of a batch's workflow, and what one pass did."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class RunState(StrEnum):
    """The state machine execution of a batch, as the reconciler needs to know it."""

    MISSING = "missing"  # never started, or forgotten (the local cloud after a restart)
    RUNNING = "running"
    ENDED = "ended"  # ended in any way; the batch should be terminal by now


@dataclass
class ReconcileReport:
    """Batch ids per action taken in one pass (a batch may appear under several)."""

    started: list[str] = field(default_factory=list)
    requeued_jobs: int = 0
    failed: list[str] = field(default_factory=list)
    announced: list[str] = field(default_factory=list)
    finalized: list[str] = field(default_factory=list)
