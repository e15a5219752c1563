"""BatchGetItem and BatchWriteItem over any number of keys or writes, with their leftovers.

Both calls may succeed while leaving part of the request undone (`UnprocessedKeys`,
`UnprocessedItems`: throttling, the 16 MB answer limit). botocore retries a call that failed,
never the leftovers of one that succeeded, so they are sent again here, with jittered
exponential backoff (as AWS advises), a bounded number of times; what is still left then
raises. (tenacity would say the same in more lines and is not in the layer's requirements.)"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from typing import Any

GET_LIMIT = 100  # keys per BatchGetItem
WRITE_LIMIT = 25  # writes per BatchWriteItem
TRANSACTION_LIMIT = 100  # actions per TransactWriteItems
ATTEMPTS = 8


class LeftUnprocessed(RuntimeError):
    """DynamoDB kept leaving part of a batch undone."""


def batch_get(ddb: Any, table: str, keys: Sequence[dict[str, Any]], *, consistent: bool = True) -> list[dict[str, Any]]:
    """The items (raw attribute maps) found for `keys`, in no particular order."""
    found: list[dict[str, Any]] = []

    def send(pending: dict[str, Any]) -> dict[str, Any]:
        answer = ddb.batch_get_item(RequestItems=pending)
        found.extend(answer.get("Responses", {}).get(table, []))
        return dict(answer.get("UnprocessedKeys") or {})

    for start in range(0, len(keys), GET_LIMIT):
        chunk = list(keys[start : start + GET_LIMIT])
        _until_done(send, {table: {"Keys": chunk, "ConsistentRead": consistent}})
    return found


def batch_write(ddb: Any, table: str, requests: Sequence[dict[str, Any]]) -> None:
    """Write requests (`{"PutRequest": ...}` / `{"DeleteRequest": ...}`), 25 a call. Each
    write is atomic on its own, the batch is not: for writes that stand alone (audit entries)."""

    def send(pending: dict[str, Any]) -> dict[str, Any]:
        return dict(ddb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {})

    for start in range(0, len(requests), WRITE_LIMIT):
        _until_done(send, {table: list(requests[start : start + WRITE_LIMIT])})


def _until_done(send: Callable[[dict[str, Any]], dict[str, Any]], request: dict[str, Any]) -> None:
    pending = request
    for attempt in range(ATTEMPTS):
        pending = send(pending)
        if not pending:
            return
        if attempt < ATTEMPTS - 1:
            time.sleep(random.uniform(0, 0.05 * 2**attempt))  # noqa: S311 - jitter, not security
    raise LeftUnprocessed(f"DynamoDB left part of a batch unprocessed after {ATTEMPTS} attempts")
