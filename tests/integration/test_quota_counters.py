"""Quota windows and the running-jobs count against the local cloud's DynamoDB: the
conditional ADD never lets two takers share the last unit, and the count follows the batches."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from localcloud import LocalCloud
from mediabatch import container
from mediabatch.adapters.dynamodb.batches import BatchTable
from mediabatch.downloads.models import BatchStatus
from tests.integration.conftest import MakeBatch

pytestmark = pytest.mark.integration


def test_concurrent_takers_get_exactly_the_limit(cloud: LocalCloud, tenant_id: str) -> None:
    counters = container.quota_counter_table()
    scope, start = f"{tenant_id}#QUOTA#test", int(time.time())
    with ThreadPoolExecutor(8) as pool:
        taken = list(pool.map(lambda _: counters.take(scope, start, 5, start + 3600), range(16)))

    assert taken.count(True) == 5
    counters.give_back(scope, start)
    assert counters.take(scope, start, 5, start + 3600) is True
    assert counters.take(scope, start, 5, start + 3600) is False


def test_giving_back_never_goes_below_zero(cloud: LocalCloud, tenant_id: str) -> None:
    counters = container.quota_counter_table()
    scope, start = f"{tenant_id}#QUOTA#test", 0
    counters.take(scope, start, 1, 3600)
    for _ in range(3):
        counters.give_back(scope, start)

    assert [counters.take(scope, start, 1, 3600) for _ in range(2)] == [True, False]


def test_unfinished_jobs_counts_active_batches_of_the_tenant_only(
    cloud: LocalCloud, store: BatchTable, make_batch: MakeBatch, tenant_id: str
) -> None:
    counters = container.quota_counter_table()
    make_batch(3)
    finished, _ = make_batch(4)
    store.set_terminal(tenant_id, finished.batch_id, BatchStatus.CANCELLED)

    assert counters.unfinished_jobs(tenant_id, stop_at=100) == 3  # not the finished batch's 4
    assert counters.unfinished_jobs(tenant_id + "-other", stop_at=100) == 0
