"""Creation windows and the running-jobs limit, through in-memory counters."""

from __future__ import annotations

import pytest

from mediabatch.errors import TooManyRequests
from mediabatch.quotas.models import WindowLimit
from mediabatch.quotas.service import QuotaService
from tests.fakes.quotas import FixedUnfinishedJobs, InMemoryWindowCounters


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(1_000_020.0)  # 20 s into a 60 s window (1_000_000 is not a multiple of 60)


def service(
    clock: Clock, *, limit: int = 3, window: int = 60, max_running: int = 0, jobs: FixedUnfinishedJobs | None = None
) -> QuotaService:
    return QuotaService(
        InMemoryWindowCounters(),
        jobs or FixedUnfinishedJobs(),
        creation=WindowLimit(limit, window),
        max_running_jobs=max_running,
        clock=clock,
    )


def test_a_tenant_gets_its_limit_per_window_then_429_with_the_seconds_to_wait(clock: Clock) -> None:
    quotas = service(clock, limit=3, window=60)
    for _ in range(3):
        quotas.admit_creation("t1")

    with pytest.raises(TooManyRequests) as refused:
        quotas.admit_creation("t1")

    window_end = (int(clock.now) // 60 + 1) * 60
    assert refused.value.code == "rate_limited"
    assert refused.value.retry_after_seconds == window_end - int(clock.now)
    assert refused.value.details == {"limit": 3, "window_seconds": 60}


def test_another_tenant_is_not_affected(clock: Clock) -> None:
    quotas = service(clock, limit=1)
    quotas.admit_creation("t1")
    with pytest.raises(TooManyRequests):
        quotas.admit_creation("t1")

    assert quotas.admit_creation("t2") is not None


def test_the_next_window_admits_again(clock: Clock) -> None:
    quotas = service(clock, limit=1, window=10)
    quotas.admit_creation("t1")
    with pytest.raises(TooManyRequests):
        quotas.admit_creation("t1")

    clock.now += 10

    assert quotas.admit_creation("t1") is not None


def test_a_released_admission_gives_its_unit_back(clock: Clock) -> None:
    quotas = service(clock, limit=1)
    admission = quotas.admit_creation("t1")
    quotas.release(admission)

    assert quotas.admit_creation("t1") is not None


def test_retry_after_is_at_least_one_second(clock: Clock) -> None:
    clock.now = 59.7  # 0.3 s before the window ends
    quotas = service(clock, limit=1, window=60)
    quotas.admit_creation("t1")

    with pytest.raises(TooManyRequests) as refused:
        quotas.admit_creation("t1")

    assert refused.value.retry_after_seconds == 1


def test_counters_expire_after_their_window(clock: Clock) -> None:
    counters = InMemoryWindowCounters()
    quotas = QuotaService(counters, FixedUnfinishedJobs(), creation=WindowLimit(5, 60), max_running_jobs=0, clock=clock)
    quotas.admit_creation("t1")

    [(scope, start)] = counters.expiry
    assert counters.expiry[(scope, start)] > start + 60


def test_a_limit_of_zero_is_off(clock: Clock) -> None:
    quotas = service(clock, limit=0)

    assert [quotas.admit_creation("t1") for _ in range(500)] == [None] * 500


def test_running_jobs_at_the_limit_are_refused_below_it_admitted(clock: Clock) -> None:
    jobs = FixedUnfinishedJobs()
    quotas = service(clock, max_running=10, jobs=jobs)
    jobs.by_tenant = {"busy": 10, "calm": 9}

    quotas.check_running_jobs("calm")
    with pytest.raises(TooManyRequests) as refused:
        quotas.check_running_jobs("busy")

    assert refused.value.code == "too_many_running_jobs"
    assert refused.value.retry_after_seconds > 0
    assert ("busy", 10) in jobs.asked  # the store may stop counting at the limit


def test_no_running_jobs_limit_reads_nothing(clock: Clock) -> None:
    jobs = FixedUnfinishedJobs()
    service(clock, max_running=0, jobs=jobs).check_running_jobs("t1")

    assert jobs.asked == []
