"""What the quota service needs from the outside world."""

from __future__ import annotations

from typing import Protocol


class WindowCounters(Protocol):
    """Counters per (scope, window) that go away by themselves after the window (DynamoDB with
    a TTL, or a fake). Both calls must be atomic: concurrent requests share one counter."""

    def take(self, scope: str, window_start: int, limit: int, expires_at_epoch: int) -> bool:
        """Add one to the counter unless it has reached `limit`; True when one was added."""
        ...

    def give_back(self, scope: str, window_start: int) -> None:
        """Take one off again (never below zero)."""
        ...


class UnfinishedJobs(Protocol):
    """How many jobs of a tenant are queued or running, counted from the batches themselves."""

    def unfinished_jobs(self, tenant_id: str, *, stop_at: int) -> int:
        """The count, or any number ≥ `stop_at` once it is reached (the caller needs no more)."""
        ...
