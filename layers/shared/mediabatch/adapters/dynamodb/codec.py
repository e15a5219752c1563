"""Small helpers for the low-level DynamoDB client: plain Python <-> attribute values."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError
from tenacity import (
    Retrying,
    retry_if_exception,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

UNPROCESSED_ATTEMPTS = 8
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


def _cancelled_by_contention(exc: BaseException) -> bool:
    if not isinstance(exc, ClientError):
        return False
    codes = set(cancellation_codes(exc)) - {"None"}
    return bool(codes and codes <= _TRANSIENT) or error_code(exc) in _TRANSIENT


def transact_write(ddb: Any, items: list[dict[str, Any]], attempts: int = 6) -> None:
    """TransactWriteItems, retried with jittered backoff while it is cancelled only because of
    contention (transactions on one batch item conflict when jobs start together; botocore
    does not retry a cancelled transaction). A failed condition is never retried: it raises."""
    for attempt in Retrying(
        stop=stop_after_attempt(attempts),
        wait=wait_random_exponential(multiplier=0.05, max=5),
        retry=retry_if_exception(_cancelled_by_contention),
        reraise=True,
    ):
        with attempt:
            ddb.transact_write_items(TransactItems=items)


def put_new(ddb: Any, table: str, item: dict[str, Any], *, marker: str) -> None:
    """PutItem of an item that must not exist yet (its pk is a fresh id). botocore sends a
    write again when its answer was lost (a read timeout after DynamoDB did it): if the item
    found then carries this write's own `marker` attribute (unique to the write), the condition
    failed on this very write, which is a success, not a clash."""
    try:
        ddb.put_item(TableName=table, Item=item, ConditionExpression="attribute_not_exists(pk)")
    except ClientError as exc:
        if error_code(exc) != "ConditionalCheckFailedException":
            raise
        key = {"pk": item["pk"], "sk": item["sk"]}
        found = ddb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item") or {}
        if found.get(marker) != item[marker]:
            raise


class UnprocessedError(RuntimeError):
    """DynamoDB kept leaving part of a batch read or write unprocessed (throttled)."""


def _sleep(seconds: float) -> None:
    time.sleep(seconds)  # a seam: unit tests of the leftovers replace it


def _until_processed(attempts: int) -> Retrying:
    """What DynamoDB leaves unprocessed is sent again after an exponential wait (as its SDKs do)."""
    return Retrying(
        stop=stop_after_attempt(attempts),
        wait=wait_random_exponential(multiplier=0.05, max=5),
        retry=retry_if_exception_type(UnprocessedError),
        sleep=lambda seconds: _sleep(seconds),
        reraise=True,
    )


def batch_write_all(ddb: Any, request_items: dict[str, Any], attempts: int = UNPROCESSED_ATTEMPTS) -> None:
    """BatchWriteItem until nothing is left unprocessed; raises UnprocessedError otherwise."""
    pending = request_items
    for attempt in _until_processed(attempts):
        with attempt:
            pending = ddb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
            if pending:
                raise UnprocessedError("DynamoDB kept returning unprocessed items")


def batch_get_all(
    ddb: Any, request_items: dict[str, Any], attempts: int = UNPROCESSED_ATTEMPTS
) -> dict[str, list[dict[str, Any]]]:
    """BatchGetItem until every key is read: the items found, per table. Raises
    UnprocessedError rather than answer as if a key it could not read were missing."""
    found: dict[str, list[dict[str, Any]]] = {}
    pending = request_items
    for attempt in _until_processed(attempts):
        with attempt:
            page = ddb.batch_get_item(RequestItems=pending)
            for table, items in page.get("Responses", {}).items():
                found.setdefault(table, []).extend(items)
            pending = page.get("UnprocessedKeys") or {}
            if pending:
                raise UnprocessedError("DynamoDB kept returning unprocessed keys")
    return found
