"""Admit or refuse a tenant's request to start batch work.

Creation rate: a fixed window per tenant (`WindowLimit`), counted with one atomic conditional
write per request; a request that then creates nothing gives its unit back, so refused and
invalid requests never use up a tenant's allowance. Running jobs: counted from the tenant's
unfinished batches at admission, so nothing has to be decremented when a job ends (no drift,
nothing to repair after a crash)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from mediabatch.errors import TooManyRequests
from mediabatch.quotas.models import Admission, WindowLimit
from mediabatch.quotas.ports import UnfinishedJobs, WindowCounters

CREATION_SCOPE = "batch_create"
# How long a counter outlives its window before the table's TTL may remove it.
COUNTER_GRACE_SECONDS = 3600
# A tenant at its running-jobs limit waits for jobs to end: no date to promise, so a poll hint.
RUNNING_JOBS_RETRY_AFTER_SECONDS = 30


class QuotaService:
    def __init__(
        self,
        counters: WindowCounters,
        jobs: UnfinishedJobs,
        *,
        creation: WindowLimit,
        max_running_jobs: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._counters = counters
        self._jobs = jobs
        self._creation = creation
        self._max_running_jobs = max_running_jobs
        self._clock = clock

    def admit_creation(self, tenant_id: str) -> Admission | None:
        """Take one creation from the tenant's current window (None when the limit is off);
        raises TooManyRequests `rate_limited` when the window is used up."""
        limit = self._creation
        if not limit.enabled:
            return None
        now = self._clock()
        start = limit.window_start(now)
        scope = f"{tenant_id}#QUOTA#{CREATION_SCOPE}"
        expires = start + limit.window_seconds + COUNTER_GRACE_SECONDS
        if self._counters.take(scope, start, limit.limit, expires):
            return Admission(scope, start)
        retry_after = max(1, math.ceil(start + limit.window_seconds - now))
        raise TooManyRequests(
            f"too many batches created: at most {limit.limit} per {limit.window_seconds} s; "
            f"retry after {retry_after} s",
            retry_after_seconds=retry_after,
            details={"limit": limit.limit, "window_seconds": limit.window_seconds},
        )

    def release(self, admission: Admission | None) -> None:
        """The admitted request created nothing: its unit goes back to the window."""
        if admission is not None:
            self._counters.give_back(admission.scope, admission.window_start)

    def check_running_jobs(self, tenant_id: str) -> None:
        """Raises TooManyRequests `too_many_running_jobs` when the tenant's queued and running
        jobs have reached the limit (0: no limit). A batch admitted below the limit may take
        the tenant past it by its own jobs: the limit stops new batches, not jobs of one."""
        limit = self._max_running_jobs
        if limit <= 0:
            return
        unfinished = self._jobs.unfinished_jobs(tenant_id, stop_at=limit)
        if unfinished >= limit:
            raise TooManyRequests(
                f"too many jobs not yet finished: at most {limit} queued or running jobs per tenant; "
                "retry when some have finished",
                retry_after_seconds=RUNNING_JOBS_RETRY_AFTER_SECONDS,
                details={"limit": limit},
                code="too_many_running_jobs",
            )
