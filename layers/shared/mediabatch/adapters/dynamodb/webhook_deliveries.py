"""The webhook delivery log in DynamoDB: one item per delivery (`TENANT#t#WHDELIVERY#id`,
sort key `DELIVERY`) holding its event and the list of its attempts (appended atomically),
listed per endpoint, newest first, through the `ByFolder` index (`gsi1pk =
TENANT#t#WEBHOOK#endpoint#DELIVERIES`, `gsi1sk = created_at|id`). `expires_at_epoch` (the
table's TTL attribute) is pushed to `retention` after every attempt."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from mediabatch.adapters.dynamodb.codec import from_item, value
from mediabatch.errors import ValidationFailed
from mediabatch.webhooks.models import (
    Delivery,
    DeliveryAttempt,
    DeliveryPage,
    DeliveryState,
    DeliveryTask,
    WebhookEvent,
)

INDEX = "ByFolder"
_UPDATE = (
    "SET tenant_id = if_not_exists(tenant_id, :tenant), #endpoint = if_not_exists(#endpoint, :endpoint), "
    "event_json = if_not_exists(event_json, :event), created_at = if_not_exists(created_at, :at), "
    "gsi1pk = if_not_exists(gsi1pk, :gsi1pk), gsi1sk = if_not_exists(gsi1sk, :gsi1sk), "
    "attempts = list_append(if_not_exists(attempts, :empty), :attempt), #state = :state, "
    "updated_at = :at, expires_at_epoch = :expires, delivery_id = :id"
)


def _pk(tenant_id: str, delivery_id: str) -> str:
    return f"TENANT#{tenant_id}#WHDELIVERY#{delivery_id}"


def _index_pk(tenant_id: str, endpoint: str) -> str:
    return f"TENANT#{tenant_id}#WEBHOOK#{endpoint}#DELIVERIES"


class WebhookDeliveryTable:
    def __init__(self, table_name: str, dynamodb: Any, *, retention_seconds: int, clock: Callable[[], float]) -> None:
        self.table = table_name
        self._ddb = dynamodb
        self._retention = retention_seconds
        self._clock = clock

    def record_attempt(self, task: DeliveryTask, attempt: DeliveryAttempt) -> int:
        entry = {
            "status_code": attempt.status_code,
            "latency_ms": attempt.latency_ms,
            "error": attempt.error,
            "at": attempt.at,
            "state": attempt.state.value,
        }
        result = self._ddb.update_item(
            TableName=self.table,
            Key={"pk": value(_pk(task.tenant_id, task.delivery_id)), "sk": value("DELIVERY")},
            UpdateExpression=_UPDATE,
            ExpressionAttributeNames={"#endpoint": "endpoint", "#state": "state"},
            ExpressionAttributeValues={
                ":tenant": value(task.tenant_id),
                ":endpoint": value(task.endpoint),
                ":event": value(json.dumps(task.event.to_eventbridge(), default=str)),
                ":at": value(attempt.at),
                ":gsi1pk": value(_index_pk(task.tenant_id, task.endpoint)),
                ":gsi1sk": value(f"{attempt.at}|{task.delivery_id}"),
                ":empty": {"L": []},
                ":attempt": {"L": [value(entry)]},
                ":state": value(attempt.state.value),
                ":expires": value(int(self._clock()) + self._retention),
                ":id": value(task.delivery_id),
            },
            ReturnValues="ALL_NEW",
        )
        return len(result["Attributes"]["attempts"]["L"])

    def get(self, tenant_id: str, delivery_id: str) -> Delivery | None:
        item = self._ddb.get_item(
            TableName=self.table,
            Key={"pk": value(_pk(tenant_id, delivery_id)), "sk": value("DELIVERY")},
            ConsistentRead=True,
        ).get("Item")
        return _delivery(item) if item else None

    def list_for_endpoint(self, tenant_id: str, endpoint: str, *, limit: int, cursor: str | None) -> DeliveryPage:
        index_pk = _index_pk(tenant_id, endpoint)
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": INDEX,
            "KeyConditionExpression": "gsi1pk = :pk",
            "ExpressionAttributeValues": {":pk": value(index_pk)},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if cursor:
            kwargs["ExclusiveStartKey"] = _decode_cursor(cursor, index_pk)
        page = self._ddb.query(**kwargs)
        last = page.get("LastEvaluatedKey")
        return DeliveryPage([_delivery(i) for i in page.get("Items", [])], _encode_cursor(last) if last else None)


def _delivery(item: dict[str, Any]) -> Delivery:
    data = from_item(item)
    attempts = [
        DeliveryAttempt(
            number=n,
            status_code=a.get("status_code"),
            latency_ms=int(a.get("latency_ms", 0)),
            error=a.get("error"),
            at=a["at"],
            state=DeliveryState(a["state"]),
        )
        for n, a in enumerate(data.get("attempts", []), start=1)
    ]
    return Delivery(
        id=data["delivery_id"],
        tenant_id=data["tenant_id"],
        endpoint=data["endpoint"],
        event=WebhookEvent.from_eventbridge(json.loads(data["event_json"])),
        state=DeliveryState(data["state"]),
        created_at=data["created_at"],
        updated_at=data["updated_at"],
        attempts=attempts,
    )


def _encode_cursor(key: dict[str, Any]) -> str:
    plain = {k: v["S"] for k, v in key.items()}
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode()


def _decode_cursor(cursor: str, index_pk: str) -> dict[str, Any]:
    try:
        plain = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        key = {k: {"S": str(plain[k])} for k in ("pk", "sk", "gsi1pk", "gsi1sk")}
    except (ValueError, KeyError, TypeError) as exc:
        raise ValidationFailed("cursor is not valid", code="invalid_cursor") from exc
    if key["gsi1pk"]["S"] != index_pk:  # a cursor never crosses tenants or subscriptions
        raise ValidationFailed("cursor is not valid", code="invalid_cursor")
    return key
