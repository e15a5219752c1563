"""Where moto is a weaker cloud than AWS in ways our correctness depends on, make it as strong
as AWS documents, and nothing more.

DynamoDB: moto applies UpdateItem as read-modify-write with no lock, and TransactWriteItems
snapshots whole tables and restores them when any condition fails, undoing other clients'
writes made in between. Concurrent Lambdas (Map items, here threads) then lose counter updates.
On AWS every write is atomic and transactions are serializable, so the local cloud serialises
DynamoDB writes (and the reads that transactions and conditions depend on) with one lock.

Two costs of moto grow with use and are removed without changing behaviour: a transaction
deep-copies every table it touches (so it slowed down as a test session filled the table; here
conditions are checked first and only the touched items are kept for rollback), and every
request lists moto's package folder from disk (cached).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

_lock = threading.RLock()
_patched = False
_conflicts_to_inject = 0


def inject_transaction_conflicts(count: int) -> None:
    """Make the next `count` TransactWriteItems calls fail with TransactionConflict, as AWS
    does under contention (moto never does): lets tests prove the retry path."""
    global _conflicts_to_inject
    with _lock:
        _conflicts_to_inject = count


def _serialised(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _lock:
            return method(*args, **kwargs)

    return wrapper


# One planned write of a transaction: (operation type, operation, item key, item before it).
_Planned = tuple[str, dict[str, Any], dict[str, Any], Any]


def _transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
    """moto's TransactWriteItems semantics (same errors, same cancellation reasons), checking
    every condition before writing anything; runs under the lock, so nothing changes between
    the check and the writes. Rolls back only the items it touched if a write fails."""
    from moto.dynamodb.exceptions import TooManyTransactionsException, TransactionCanceledException

    global _conflicts_to_inject
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    if _conflicts_to_inject > 0:
        _conflicts_to_inject -= 1
        raise TransactionCanceledException(
            [("TransactionConflict", "Transaction is ongoing for the item", None)] * len(transact_items)
        )
    planned, reasons = _check_transaction(self, transact_items)
    if any(code is not None for code, _, _ in reasons):
        raise TransactionCanceledException(reasons)
    _apply_transaction(self, planned)


def _check_transaction(
    self: Any, transact_items: list[dict[str, Any]]
) -> tuple[list[_Planned], list[tuple[str | None, str | None, Any]]]:
    """Every operation with the item it touches as it is now, and one cancellation reason per
    operation (all None when every condition holds)."""
    import copy

    from moto.dynamodb.exceptions import MultipleTransactionsException, TransactWriteSingleOpException

    seen: set[tuple[str, str]] = set()
    reasons: list[tuple[str | None, str | None, Any]] = []
    planned: list[_Planned] = []
    for entry in transact_items:
        if len(entry) > 1:
            raise TransactWriteSingleOpException
        op_type, op = next(iter(entry.items()))
        if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
            raise ValueError("Unsupported transaction operation")
        key = _key_of(self.get_table(op["TableName"]), op_type, op)
        marker = (str(op["TableName"]), str(dict(sorted(key.items()))))
        if marker in seen:
            raise MultipleTransactionsException()
        seen.add(marker)
        current = self.get_item(op["TableName"], key)
        reasons.append(_condition_failure(op, current))
        planned.append((op_type, op, key, copy.deepcopy(current)))
    return planned, reasons


def _key_of(table: Any, op_type: str, op: dict[str, Any]) -> dict[str, Any]:
    if op_type != "Put":
        return dict(op["Key"])
    key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = op["Item"][table.range_key_attr]
    return key


def _condition_failure(op: dict[str, Any], current: Any) -> tuple[str | None, str | None, Any]:
    """moto's cancellation reason for `op` against the item as it is now ((None,)*3 if none)."""
    from moto.dynamodb.comparisons import get_filter_expression

    condition = op.get("ConditionExpression")
    if condition is None or get_filter_expression(
        condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
    ).expr(current):
        return None, None, None
    wants_old = op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current
    return (
        "ConditionalCheckFailed",
        "The conditional request failed",
        current.to_json()["Attributes"] if wants_old else None,
    )


def _apply_transaction(self: Any, planned: list[_Planned]) -> None:
    """Write every planned operation; if one fails, put back the items already written."""
    done: list[tuple[dict[str, Any], dict[str, Any], Any]] = []
    try:
        for op_type, op, key, before in planned:
            if op_type == "ConditionCheck":
                continue
            _write(self, op_type, op, key)
            done.append((op, key, before))
    except Exception:
        for op, key, before in reversed(done):
            if before is None:
                self.delete_item(op["TableName"], key)
            else:
                self.put_item(op["TableName"], before.to_json()["Attributes"])
        raise


def _write(self: Any, op_type: str, op: dict[str, Any], key: dict[str, Any]) -> None:
    names, values = op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
    if op_type == "Put":
        self.put_item(op["TableName"], op["Item"], expression_attribute_names=names, expression_attribute_values=values)
    elif op_type == "Delete":
        self.delete_item(op["TableName"], key, expression_attribute_names=names, expression_attribute_values=values)
    else:
        self.update_item(
            op["TableName"],
            key,
            update_expression=op["UpdateExpression"],
            expression_attribute_names=names,
            expression_attribute_values=values,
        )


def make_dynamodb_writes_atomic() -> None:
    global _patched
    if _patched:
        return
    from moto import backends
    from moto.dynamodb.models import DynamoDBBackend

    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules
    DynamoDBBackend.transact_write_items = _transact_write_items  # type: ignore[method-assign]

    for name in (
        "put_item",
        "update_item",
        "delete_item",
        "transact_write_items",
        "get_item",
        "transact_get_items",
        "execute_transaction",
        "execute_statement",
        "batch_write_item",
        "query",
        "scan",
    ):
        if hasattr(DynamoDBBackend, name):
            setattr(DynamoDBBackend, name, _serialised(getattr(DynamoDBBackend, name)))
    _patched = True
