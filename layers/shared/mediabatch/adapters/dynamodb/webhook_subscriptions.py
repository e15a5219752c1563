"""Webhook subscriptions in DynamoDB: one item per subscription under the tenant's partition
`TENANT#t#WEBHOOKS` (sort key `SUB#id`), so one Query lists them all."""

from __future__ import annotations

from typing import Any

from mediabatch.adapters.dynamodb.codec import from_item, to_item, value
from mediabatch.webhooks.models import WebhookSubscription


def _pk(tenant_id: str) -> str:
    return f"TENANT#{tenant_id}#WEBHOOKS"


def _key(tenant_id: str, subscription_id: str) -> dict[str, Any]:
    return {"pk": value(_pk(tenant_id)), "sk": value(f"SUB#{subscription_id}")}


def _subscription(item: dict[str, Any]) -> WebhookSubscription:
    data = from_item(item)
    return WebhookSubscription(
        id=data["id"],
        tenant_id=data["tenant_id"],
        url=data["url"],
        events=list(data["events"]),
        created_at=data["created_at"],
    )


class WebhookSubscriptionTable:
    def __init__(self, table_name: str, dynamodb: Any) -> None:
        self.table = table_name
        self._ddb = dynamodb

    def add(self, subscription: WebhookSubscription) -> None:
        item = {
            "pk": _pk(subscription.tenant_id),
            "sk": f"SUB#{subscription.id}",
            "id": subscription.id,
            "tenant_id": subscription.tenant_id,
            "url": subscription.url,
            "events": subscription.events,
            "created_at": subscription.created_at,
        }
        self._ddb.put_item(TableName=self.table, Item=to_item(item), ConditionExpression="attribute_not_exists(pk)")

    def get(self, tenant_id: str, subscription_id: str) -> WebhookSubscription | None:
        item = self._ddb.get_item(TableName=self.table, Key=_key(tenant_id, subscription_id), ConsistentRead=True).get(
            "Item"
        )
        return _subscription(item) if item else None

    def list(self, tenant_id: str) -> list[WebhookSubscription]:
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :sub)",
            "ExpressionAttributeValues": {":pk": value(_pk(tenant_id)), ":sub": value("SUB#")},
            "ConsistentRead": True,
        }
        found: list[WebhookSubscription] = []
        while True:
            page = self._ddb.query(**kwargs)
            found += [_subscription(i) for i in page.get("Items", [])]
            if not page.get("LastEvaluatedKey"):
                return sorted(found, key=lambda s: (s.created_at, s.id))
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def remove(self, tenant_id: str, subscription_id: str) -> bool:
        old = self._ddb.delete_item(
            TableName=self.table, Key=_key(tenant_id, subscription_id), ReturnValues="ALL_OLD"
        ).get("Attributes")
        return bool(old)
