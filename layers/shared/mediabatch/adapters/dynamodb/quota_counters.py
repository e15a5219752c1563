"""Quota windows in the main table: the quotas domain's WindowCounters and UnfinishedJobs.

A window is one item `TENANT#<scope>` / `WINDOW#<start>` (scope: `<tenant>#QUOTA#<name>`) with a number `n`, changed
only by conditional atomic `ADD`s (no read first, so concurrent requests never both take the
last unit) and removed by the table's TTL (`expires_at_epoch`) after its window."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from mediabatch.adapters.dynamodb.batches import batches_index_pk
from mediabatch.adapters.dynamodb.codec import error_code
from mediabatch.adapters.dynamodb.index_pages import INDEX
from mediabatch.adapters.dynamodb.open_batches import OPEN_INDEX, OPEN_KEY, backfilled
from mediabatch.downloads.models import BatchStatus


class QuotaCounterTable:
    def __init__(self, table_name: str, dynamodb: Any) -> None:
        self._table = table_name
        self._ddb = dynamodb

    def take(self, scope: str, window_start: int, limit: int, expires_at_epoch: int) -> bool:
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=self._key(scope, window_start),
                UpdateExpression="ADD n :one SET expires_at_epoch = :expires",
                ConditionExpression="attribute_not_exists(n) OR n < :limit",
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":limit": {"N": str(limit)},
                    ":expires": {"N": str(expires_at_epoch)},
                },
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def give_back(self, scope: str, window_start: int) -> None:
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=self._key(scope, window_start),
                UpdateExpression="ADD n :minus_one",
                ConditionExpression="n > :zero",
                ExpressionAttributeValues={":minus_one": {"N": "-1"}, ":zero": {"N": "0"}},
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise

    def unfinished_jobs(self, tenant_id: str, *, stop_at: int) -> int:
        """Queued and running jobs of the tenant's queued and running batches (of URLs and of
        shows), read from the tenant's partition of the sparse `OpenBatches` index: only its open
        batches, never its history (the filter drops the few terminal ones not yet announced).
        Until the backfill of older batches is done, from its whole batch list in `ByFolder`."""
        if backfilled(self._ddb, self._table):
            index, key = OPEN_INDEX, f"{OPEN_KEY} = :pk"
            pk = tenant_id
        else:
            index, key = INDEX, "gsi1pk = :pk"
            pk = batches_index_pk(tenant_id)
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": index,
            "KeyConditionExpression": key,
            "FilterExpression": "#s IN (:queued, :running)",
            "ProjectionExpression": "#s, queued_jobs, running_jobs",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": {
                ":pk": {"S": pk},
                ":queued": {"S": BatchStatus.QUEUED.value},
                ":running": {"S": BatchStatus.RUNNING.value},
            },
        }
        total = 0
        while True:
            page = self._ddb.query(**kwargs)
            for item in page.get("Items", []):
                total += int(item.get("queued_jobs", {}).get("N", "0")) + int(
                    item.get("running_jobs", {}).get("N", "0")
                )
            last = page.get("LastEvaluatedKey")
            if total >= stop_at or not last:
                return total
            kwargs["ExclusiveStartKey"] = last

    @staticmethod
    def _key(scope: str, window_start: int) -> dict[str, Any]:
        return {"pk": {"S": f"TENANT#{scope}"}, "sk": {"S": f"WINDOW#{window_start}"}}


def _number(item: dict[str, Any], name: str) -> int:
    return int(item.get(name, {}).get("N", "0"))
