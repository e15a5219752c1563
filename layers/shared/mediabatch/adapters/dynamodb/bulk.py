"""BatchGetItem and BatchWriteItem over any number of keys or writes, in calls of the sizes
DynamoDB takes. What a successful call leaves undone (`UnprocessedKeys`, `UnprocessedItems`:
throttling, the 16 MB answer limit) is sent again by codec's tenacity policy (botocore retries
a call that failed, never the leftovers of one that succeeded); what is still left raises
`UnprocessedError`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mediabatch.adapters.dynamodb.codec import UNPROCESSED_ATTEMPTS, UnprocessedError, batch_get_all, batch_write_all

GET_LIMIT = 100  # keys per BatchGetItem
WRITE_LIMIT = 25  # writes per BatchWriteItem
TRANSACTION_LIMIT = 100  # actions per TransactWriteItems
ATTEMPTS = UNPROCESSED_ATTEMPTS
LeftUnprocessed = UnprocessedError  # DynamoDB kept leaving part of a batch undone


def batch_get(ddb: Any, table: str, keys: Sequence[dict[str, Any]], *, consistent: bool = True) -> list[dict[str, Any]]:
    """The items (raw attribute maps) found for `keys`, in no particular order."""
    found: list[dict[str, Any]] = []
    for start in range(0, len(keys), GET_LIMIT):
        chunk = list(keys[start : start + GET_LIMIT])
        found.extend(batch_get_all(ddb, {table: {"Keys": chunk, "ConsistentRead": consistent}}).get(table, []))
    return found


def batch_write(ddb: Any, table: str, requests: Sequence[dict[str, Any]]) -> None:
    """Write requests (`{"PutRequest": ...}` / `{"DeleteRequest": ...}`), 25 a call. Each
    write is atomic on its own, the batch is not: for writes that stand alone (audit entries)."""
    for start in range(0, len(requests), WRITE_LIMIT):
        batch_write_all(ddb, {table: list(requests[start : start + WRITE_LIMIT])})
