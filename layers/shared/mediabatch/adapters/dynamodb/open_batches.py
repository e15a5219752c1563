"""The `OpenBatches` index: a sparse index of the batch items still open.

A batch is open while it is queued or running, or terminal and not yet announced. Its item
carries `open_tenant` (the tenant id) exactly then: every write that opens a batch sets it and
the write that closes it (announced after its terminal status) removes it, in that same write.
So the index holds only open batches, and the reconciler (a scan of the index) and the running-
jobs quota (a query of one tenant's partition) read those, not the whole history.

Batches written before the index lack the attribute. Until one full pass of the old filtered scan
of the table has tagged every open one (`scan_and_backfill`, run by the reconciler) a marker item
is absent and both readers keep the old read; the first pass to finish writes it, once.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from mediabatch.adapters.dynamodb.codec import error_code, value
from mediabatch.downloads.models import BatchRecord, BatchStatus

OPEN_INDEX = "OpenBatches"
OPEN_KEY = "open_tenant"
BACKFILL_MARKER = {"pk": value("MIGRATION#open-batches-index"), "sk": value("DONE")}

# The open rule as a condition / filter on a batch item; its values in OPEN_VALUES.
OPEN_RULE = "(#s IN (:q, :r) OR announced = :false)"
OPEN_NAMES = {"#s": "status"}
OPEN_VALUES = {
    ":q": value(BatchStatus.QUEUED.value),
    ":r": value(BatchStatus.RUNNING.value),
    ":false": value(False),
}

# Tables whose backfill this process saw done (it is never undone): one read per process.
_backfilled: set[str] = set()


def is_open(batch: BatchRecord) -> bool:
    return not batch.status.is_terminal or not batch.announced


def open_fields(batch: BatchRecord) -> dict[str, str]:
    """The index attribute of a new batch item: present when it is open."""
    return {OPEN_KEY: batch.tenant_id} if is_open(batch) else {}


def backfilled(ddb: Any, table: str) -> bool:
    if table in _backfilled:
        return True
    if "Item" in ddb.get_item(TableName=table, Key=BACKFILL_MARKER, ConsistentRead=True):
        _backfilled.add(table)
        return True
    return False


def scan_index(ddb: Any, table: str) -> Iterator[dict[str, Any]]:
    """Every item of the sparse index (a scan of it reads only its own items)."""
    for page in ddb.get_paginator("scan").paginate(TableName=table, IndexName=OPEN_INDEX):
        yield from page.get("Items", [])


def scan_and_backfill(ddb: Any, table: str) -> Iterator[dict[str, Any]]:
    """The open batch items by the read before the index (a filtered scan of the whole table),
    tagging each that lacks the attribute; the marker is written once the scan is complete."""
    for page in ddb.get_paginator("scan").paginate(
        TableName=table,
        FilterExpression=f"sk = :batch AND {OPEN_RULE}",
        ExpressionAttributeNames=OPEN_NAMES,
        ExpressionAttributeValues={":batch": value("BATCH"), **OPEN_VALUES},
    ):
        for item in page.get("Items", []):
            if OPEN_KEY not in item:
                _tag(ddb, table, item)
            yield item
    ddb.put_item(TableName=table, Item={**BACKFILL_MARKER, "done_by": value("reconciler")})
    _backfilled.add(table)


def _tag(ddb: Any, table: str, item: dict[str, Any]) -> None:
    """Set the attribute on an item still open (it may have closed since the scan read it)."""
    try:
        ddb.update_item(
            TableName=table,
            Key={"pk": item["pk"], "sk": item["sk"]},
            UpdateExpression="SET #o = :tenant",
            ConditionExpression=f"attribute_exists(pk) AND {OPEN_RULE}",
            ExpressionAttributeNames={**OPEN_NAMES, "#o": OPEN_KEY},
            ExpressionAttributeValues={**OPEN_VALUES, ":tenant": item["tenant_id"]},
        )
    except ClientError as exc:
        if error_code(exc) != "ConditionalCheckFailedException":
            raise
    else:
        item[OPEN_KEY] = item["tenant_id"]


def untag_if_closed(ddb: Any, table: str, item: dict[str, Any]) -> None:
    """Remove the attribute from an item the index still holds though it is closed (an announce
    that raced a retry round: see BatchTable.mark_announced)."""
    try:
        ddb.update_item(
            TableName=table,
            Key={"pk": item["pk"], "sk": item["sk"]},
            UpdateExpression="REMOVE #o",
            ConditionExpression=f"attribute_exists(pk) AND NOT {OPEN_RULE}",
            ExpressionAttributeNames={**OPEN_NAMES, "#o": OPEN_KEY},
            ExpressionAttributeValues=OPEN_VALUES,
        )
    except ClientError as exc:
        if error_code(exc) != "ConditionalCheckFailedException":
            raise
