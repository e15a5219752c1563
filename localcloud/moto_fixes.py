"""Where moto is a weaker cloud than AWS in ways our correctness depends on, make it as strong
as AWS documents, and nothing more.

DynamoDB: moto applies UpdateItem as read-modify-write with no lock, and TransactWriteItems
snapshots whole tables and restores them when any condition fails, undoing other clients'
writes made in between. Concurrent Lambdas (Map items, here threads) then lose counter updates.
On AWS every write is atomic and transactions are serializable, so the local cloud serialises
DynamoDB writes (and the reads that transactions and conditions depend on) with one lock.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

_lock = threading.RLock()
_patched = False


def _serialised(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _lock:
            return method(*args, **kwargs)

    return wrapper


def make_dynamodb_writes_atomic() -> None:
    global _patched
    if _patched:
        return
    from moto.dynamodb.models import DynamoDBBackend

    for name in ("put_item", "update_item", "delete_item", "transact_write_items", "get_item",
                 "transact_get_items", "execute_transaction", "execute_statement", "batch_write_item", "query",
                 "scan"):
        if hasattr(DynamoDBBackend, name):
            setattr(DynamoDBBackend, name, _serialised(getattr(DynamoDBBackend, name)))
    _patched = True
