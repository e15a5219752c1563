"""Small helpers for the low-level DynamoDB client: plain Python <-> attribute values."""

from __future__ import annotations

import random
import time
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def _to_dynamo(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _to_dynamo(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_to_dynamo(v) for v in value]
    return value


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_dynamo(v) for v in value]
    return value


def to_item(data: dict[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(_to_dynamo(v)) for k, v in data.items() if v is not None}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _from_dynamo(_deserializer.deserialize(v)) for k, v in item.items()}


def value(v: Any) -> dict[str, Any]:
    return _serializer.serialize(_to_dynamo(v))  # type: ignore[no-any-return]


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def cancellation_codes(exc: ClientError) -> list[str]:
    """Per-item reasons of a cancelled transaction ('None' where that item was fine)."""
    reasons = exc.response.get("CancellationReasons") or []
    return [str(r.get("Code", "None")) for r in reasons]


_TRANSIENT = frozenset(
    {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"}
)


def transact_write(ddb: Any, items: list[dict[str, Any]], attempts: int = 6) -> None:
    """TransactWriteItems, retried with jittered backoff while it is cancelled only because of
    contention (transactions on one batch item conflict when jobs start together; botocore
    does not retry a cancelled transaction). A failed condition is never retried: it raises."""
    for attempt in range(attempts):
        try:
            ddb.transact_write_items(TransactItems=items)
            return
        except ClientError as exc:
            codes = set(cancellation_codes(exc)) - {"None"}
            transient = (codes and codes <= _TRANSIENT) or error_code(exc) in _TRANSIENT
            if not transient or attempt == attempts - 1:
                raise
            time.sleep(random.uniform(0, 0.05 * 2**attempt))  # noqa: S311 - jitter, not security
