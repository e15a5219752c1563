"""The sparse `OpenBatches` index against the local cloud's DynamoDB: it holds a batch exactly
while it is open (queued, running, or terminal and not announced), the running-jobs quota and the
reconciler read only it, and batches written before it are backfilled by one pass."""

from __future__ import annotations

import time
from typing import Any

import pytest

from localcloud import LocalCloud
from mediabatch import container
from mediabatch.adapters.dynamodb import open_batches as open_index
from mediabatch.adapters.dynamodb.batches import BatchTable, batch_pk, batches_index_pk
from mediabatch.adapters.dynamodb.codec import to_item
from mediabatch.adapters.dynamodb.quota_counters import QuotaCounterTable
from mediabatch.downloads.models import BatchRecord, BatchStatus, JobStatus
from tests.integration.conftest import MakeBatch, build_batch

pytestmark = pytest.mark.integration


class RecordingClient:
    """The real DynamoDB client, remembering each read (its parameters and what it counted)."""

    def __init__(self, ddb: Any) -> None:
        self._ddb = ddb
        self.reads: list[tuple[str, dict[str, Any], int]] = []

    def query(self, **params: Any) -> Any:
        page = self._ddb.query(**params)
        self.reads.append(("query", params, page["ScannedCount"]))
        return page

    def get_paginator(self, name: str) -> Any:
        real = self._ddb.get_paginator(name)
        reads = self.reads

        class Pages:
            def paginate(self, **params: Any) -> Any:
                for page in real.paginate(**params):
                    reads.append((name, params, page["ScannedCount"]))
                    yield page

        return Pages()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ddb, name)


@pytest.fixture
def ddb(cloud: LocalCloud) -> Any:
    return cloud.client("dynamodb")


@pytest.fixture
def table() -> str:
    return container.settings().table_name


@pytest.fixture
def backfilled(store: BatchTable) -> None:
    """The session's table past its one backfill (the first reconciler pass does it)."""
    for _ in store.open_batches():
        pass


def indexed(ddb: Any, table: str, tenant_id: str) -> dict[str, dict[str, Any]]:
    """The tenant's items in the sparse index, by batch id (read directly)."""
    items = ddb.query(
        TableName=table,
        IndexName=open_index.OPEN_INDEX,
        KeyConditionExpression="open_tenant = :t",
        ExpressionAttributeValues={":t": {"S": tenant_id}},
    )["Items"]
    return {i["batch_id"]["S"]: i for i in items}


def close(store: BatchTable, batch: BatchRecord) -> None:
    store.set_terminal(batch.tenant_id, batch.batch_id, BatchStatus.COMPLETED)
    store.mark_announced(batch.tenant_id, batch.batch_id, for_round=1)


def test_only_open_batches_are_indexed_and_read(
    backfilled: None, store: BatchTable, make_batch: MakeBatch, ddb: Any, table: str, tenant_id: str
) -> None:
    for _ in range(30):
        finished, _ = make_batch(2)
        close(store, finished)
    queued, _ = make_batch(3)
    running, (first, _) = make_batch(2)
    store.start_job(first)
    unannounced, _ = make_batch(4)
    store.set_terminal(tenant_id, unannounced.batch_id, BatchStatus.FAILED)
    time.sleep(0.2)  # the index is eventually consistent (DynamoDB Local: at once)

    assert set(indexed(ddb, table, tenant_id)) == {queued.batch_id, running.batch_id, unannounced.batch_id}

    reader = RecordingClient(ddb)
    assert QuotaCounterTable(table, reader).unfinished_jobs(tenant_id, stop_at=100) == 3 + 2
    (kind, params, scanned) = reader.reads[0]
    assert (kind, params["IndexName"], scanned) == ("query", open_index.OPEN_INDEX, 3)  # not the 30 finished

    scanner = RecordingClient(ddb)
    found = {b.batch_id: b for b in BatchTable(table, scanner).open_batches() if b.tenant_id == tenant_id}
    assert set(found) == {queued.batch_id, running.batch_id, unannounced.batch_id}
    assert found[running.batch_id].status is BatchStatus.RUNNING and found[running.batch_id].running_jobs == 1
    assert found[unannounced.batch_id].announced is False
    assert {p.get("IndexName") for _, p, _ in scanner.reads} == {open_index.OPEN_INDEX}
    every = [i for page in ddb.get_paginator("scan").paginate(TableName=table, IndexName=open_index.OPEN_INDEX)
             for i in page["Items"]]  # fmt: skip
    assert all(i["status"]["S"] in ("queued", "running") or not i["announced"]["BOOL"] for i in every)


def test_a_closed_batch_leaves_the_index_and_a_reopened_one_comes_back(
    backfilled: None, store: BatchTable, make_batch: MakeBatch, ddb: Any, table: str, tenant_id: str
) -> None:
    counters = container.quota_counter_table()
    batch, (job,) = make_batch(1)
    store.start_job(job)
    store.finish_job(job, JobStatus.FAILED, error="HTTP Error 503")
    ended = store.set_terminal(tenant_id, batch.batch_id, BatchStatus.FAILED)
    assert ended is not None
    assert set(indexed(ddb, table, tenant_id)) == {batch.batch_id}  # not announced yet

    store.mark_announced(tenant_id, batch.batch_id, for_round=1)
    assert indexed(ddb, table, tenant_id) == {}
    assert counters.unfinished_jobs(tenant_id, stop_at=100) == 0

    failed = store.get_batch_with_jobs(tenant_id, batch.batch_id)
    assert failed is not None
    reopened = store.reopen(failed[0], failed[1])
    assert reopened is not None and reopened.status is BatchStatus.QUEUED
    assert indexed(ddb, table, tenant_id)[batch.batch_id]["round"]["N"] == "2"
    assert counters.unfinished_jobs(tenant_id, stop_at=100) == 1
    assert batch.batch_id in {b.batch_id for b in store.open_batches()}


def test_a_late_announce_of_an_earlier_round_neither_closes_nor_hides_the_newer_round(
    backfilled: None, store: BatchTable, make_batch: MakeBatch, ddb: Any, table: str, tenant_id: str
) -> None:
    batch, (job,) = make_batch(1)
    store.start_job(job)
    store.finish_job(job, JobStatus.FAILED, error="HTTP Error 503")
    ended = store.set_terminal(tenant_id, batch.batch_id, BatchStatus.FAILED)
    assert ended is not None
    found = store.get_batch_with_jobs(tenant_id, batch.batch_id)
    assert found is not None and store.reopen(ended, found[1]) is not None

    store.mark_announced(tenant_id, batch.batch_id, for_round=1)  # the first round's announce, after the retry

    after = store.get_batch(tenant_id, batch.batch_id)
    assert after is not None and (after.status, after.announced) == (BatchStatus.QUEUED, False)
    assert set(indexed(ddb, table, tenant_id)) == {batch.batch_id}

    # Round 2 ends; the first round's mark comes later still: round 2 stays to be announced.
    found = store.get_batch_with_jobs(tenant_id, batch.batch_id)
    assert found is not None
    (again,) = found[1]
    store.start_job(again)
    store.finish_job(again, JobStatus.COMPLETED)
    assert store.set_terminal(tenant_id, batch.batch_id, BatchStatus.COMPLETED) is not None
    store.mark_announced(tenant_id, batch.batch_id, for_round=1)
    pending = store.get_batch(tenant_id, batch.batch_id)
    assert pending is not None and (pending.round, pending.announced) == (2, False)
    assert batch.batch_id in {b.batch_id for b in store.open_batches()}  # the reconciler would announce it

    store.mark_announced(tenant_id, batch.batch_id, for_round=2)
    done = store.get_batch(tenant_id, batch.batch_id)
    assert done is not None and done.announced and indexed(ddb, table, tenant_id) == {}


def _put_old_shape(ddb: Any, table: str, batch: BatchRecord) -> None:
    """A batch item as written before the index: without `open_tenant`."""
    listed = {"gsi1pk": batches_index_pk(batch.tenant_id), "gsi1sk": f"{batch.created_at}#0#{batch.batch_id}"}
    item = {"pk": batch_pk(batch.tenant_id, batch.batch_id), "sk": "BATCH", **listed, **batch.model_dump(mode="json")}
    ddb.put_item(TableName=table, Item=to_item(item))


def test_batches_written_before_the_index_are_backfilled_by_one_pass(
    store: BatchTable, ddb: Any, table: str, tenant_id: str
) -> None:
    ddb.delete_item(TableName=table, Key=open_index.BACKFILL_MARKER)
    open_index._backfilled.clear()  # a process that has not seen the marker yet
    old_open, _ = build_batch(tenant_id, 2)
    old_closed = build_batch(tenant_id, 5)[0].model_copy(update={"status": BatchStatus.COMPLETED, "queued_jobs": 0})
    old_unannounced = build_batch(tenant_id, 1)[0].model_copy(
        update={"status": BatchStatus.FAILED, "queued_jobs": 0, "announced": False}
    )
    for batch in (old_open, old_closed, old_unannounced):
        _put_old_shape(ddb, table, batch)
    assert indexed(ddb, table, tenant_id) == {}
    # Before the backfill the quota still counts them (from the tenant's whole list).
    assert container.quota_counter_table().unfinished_jobs(tenant_id, stop_at=100) == 2

    first = RecordingClient(ddb)
    found = {b.batch_id for b in BatchTable(table, first).open_batches() if b.tenant_id == tenant_id}

    assert found == {old_open.batch_id, old_unannounced.batch_id}
    assert {p.get("IndexName") for _, p, _ in first.reads} == {None}  # the table, once
    assert set(indexed(ddb, table, tenant_id)) == {old_open.batch_id, old_unannounced.batch_id}
    assert "Item" in ddb.get_item(TableName=table, Key=open_index.BACKFILL_MARKER)

    open_index._backfilled.clear()  # another process: it reads the marker
    second = RecordingClient(ddb)
    again = {b.batch_id for b in BatchTable(table, second).open_batches() if b.tenant_id == tenant_id}

    assert again == found
    assert {p.get("IndexName") for _, p, _ in second.reads} == {open_index.OPEN_INDEX}
    assert container.quota_counter_table().unfinished_jobs(tenant_id, stop_at=100) == 2
