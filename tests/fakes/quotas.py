"""Fakes of mediabatch.quotas.ports."""

from __future__ import annotations


class InMemoryWindowCounters:
    def __init__(self) -> None:
        self.counts: dict[tuple[str, int], int] = {}
        self.expiry: dict[tuple[str, int], int] = {}

    def take(self, scope: str, window_start: int, limit: int, expires_at_epoch: int) -> bool:
        key = (scope, window_start)
        if self.counts.get(key, 0) >= limit:
            return False
        self.counts[key] = self.counts.get(key, 0) + 1
        self.expiry[key] = expires_at_epoch
        return True

    def give_back(self, scope: str, window_start: int) -> None:
        key = (scope, window_start)
        if self.counts.get(key, 0) > 0:
            self.counts[key] -= 1


class FixedUnfinishedJobs:
    """Unfinished jobs per tenant, as the tests set them."""

    def __init__(self) -> None:
        self.by_tenant: dict[str, int] = {}
        self.asked: list[tuple[str, int]] = []

    def unfinished_jobs(self, tenant_id: str, *, stop_at: int) -> int:
        self.asked.append((tenant_id, stop_at))
        return self.by_tenant.get(tenant_id, 0)
