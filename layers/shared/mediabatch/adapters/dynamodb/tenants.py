"""Tenant records in the main DynamoDB table: the tenants domain's TenantKeyStore.

* `APIKEY#<sha256>` / `APIKEY`: one item per API key (its tenant, key id, prefix, creation and
  revocation times), listed per tenant through the `ByFolder` index (`TENANT#<id>#APIKEYS`).
* `TENANT#<id>` / `TENANT`: the tenant; `TENANT#<id>` / `WEBHOOK_SECRET`: its signing secret."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from mediabatch.adapters.dynamodb.codec import error_code
from mediabatch.adapters.dynamodb.index_pages import INDEX
from mediabatch.clock import now_iso
from mediabatch.tenants.api_keys import key_id_of
from mediabatch.tenants.models import ApiKeyRecord, TenantRecord


def api_keys_index_pk(tenant_id: str) -> str:
    return f"TENANT#{tenant_id}#APIKEYS"


class TenantTable:
    def __init__(self, table_name: str, dynamodb: Any) -> None:
        self._table = table_name
        self._ddb = dynamodb

    def put_api_key(self, key_hash: str, tenant_id: str, *, prefix: str = "", created_at: str = "") -> None:
        created_at = created_at or now_iso()
        key_id = key_id_of(key_hash)
        self._ddb.put_item(
            TableName=self._table,
            Item={
                "pk": {"S": f"APIKEY#{key_hash}"},
                "sk": {"S": "APIKEY"},
                "tenant_id": {"S": tenant_id},
                "created_at": {"S": created_at},
                "key_id": {"S": key_id},
                "prefix": {"S": prefix},
                "gsi1pk": {"S": api_keys_index_pk(tenant_id)},
                "gsi1sk": {"S": f"{created_at}#{key_id}"},
            },
        )

    def tenant_for_key_hash(self, key_hash: str) -> str | None:
        item = self._ddb.get_item(
            TableName=self._table,
            Key={"pk": {"S": f"APIKEY#{key_hash}"}, "sk": {"S": "APIKEY"}},
            ConsistentRead=True,
        ).get("Item")
        if not item or "revoked_at" in item:
            return None
        return str(item["tenant_id"]["S"])

    def create_tenant(self, tenant_id: str, created_at: str) -> bool:
        try:
            self._ddb.put_item(
                TableName=self._table,
                Item={**self._tenant_key(tenant_id), "tenant_id": {"S": tenant_id}, "created_at": {"S": created_at}},
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def get_tenant(self, tenant_id: str) -> TenantRecord | None:
        item = self._ddb.get_item(TableName=self._table, Key=self._tenant_key(tenant_id), ConsistentRead=True).get(
            "Item"
        )
        return TenantRecord(tenant_id, item["created_at"]["S"]) if item else None

    def list_api_keys(self, tenant_id: str) -> list[ApiKeyRecord]:
        return [_key_record(item) for item in self._key_items(tenant_id)]

    def revoke_api_key(self, tenant_id: str, key_id: str, revoked_at: str) -> ApiKeyRecord | None:
        """Finds the key's item through the tenant's key list (the key id is a prefix of the
        hash, not the item's key), then marks it with a conditional write."""
        found = next((r for r in self._key_items(tenant_id) if r["key_id"]["S"] == key_id), None)
        if found is None:
            return None
        try:
            updated = self._ddb.update_item(
                TableName=self._table,
                Key={"pk": found["pk"], "sk": found["sk"]},
                UpdateExpression="SET revoked_at = :at",
                ConditionExpression="attribute_exists(pk) AND tenant_id = :tenant AND attribute_not_exists(revoked_at)",
                ExpressionAttributeValues={":at": {"S": revoked_at}, ":tenant": {"S": tenant_id}},
                ReturnValues="ALL_NEW",
            )["Attributes"]
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            updated = self._ddb.get_item(
                TableName=self._table, Key={"pk": found["pk"], "sk": found["sk"]}, ConsistentRead=True
            ).get("Item")
            if not updated or updated["tenant_id"]["S"] != tenant_id:
                return None
        return _key_record(updated)

    def _key_items(self, tenant_id: str) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": INDEX,
            "KeyConditionExpression": "gsi1pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": api_keys_index_pk(tenant_id)}},
        }
        items: list[dict[str, Any]] = []
        while True:
            page = self._ddb.query(**kwargs)
            items.extend(page.get("Items", []))
            if not page.get("LastEvaluatedKey"):
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def get_webhook_secret(self, tenant_id: str) -> str | None:
        item = self._ddb.get_item(TableName=self._table, Key=self._secret_key(tenant_id), ConsistentRead=True).get(
            "Item"
        )
        return item["secret"]["S"] if item else None

    def create_webhook_secret_if_absent(self, tenant_id: str, secret: str) -> str:
        try:
            self._ddb.put_item(
                TableName=self._table,
                Item={**self._secret_key(tenant_id), "secret": {"S": secret}, "updated_at": {"S": now_iso()}},
                ConditionExpression="attribute_not_exists(pk)",
            )
            return secret
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
        existing = self.get_webhook_secret(tenant_id)
        assert existing is not None
        return existing

    def set_webhook_secret(self, tenant_id: str, secret: str) -> None:
        self._ddb.put_item(
            TableName=self._table,
            Item={**self._secret_key(tenant_id), "secret": {"S": secret}, "updated_at": {"S": now_iso()}},
        )

    @staticmethod
    def _tenant_key(tenant_id: str) -> dict[str, Any]:
        return {"pk": {"S": f"TENANT#{tenant_id}"}, "sk": {"S": "TENANT"}}

    @staticmethod
    def _secret_key(tenant_id: str) -> dict[str, Any]:
        return {"pk": {"S": f"TENANT#{tenant_id}"}, "sk": {"S": "WEBHOOK_SECRET"}}


def _key_record(item: dict[str, Any]) -> ApiKeyRecord:
    return ApiKeyRecord(
        tenant_id=item["tenant_id"]["S"],
        key_id=item["key_id"]["S"],
        prefix=item.get("prefix", {}).get("S", ""),
        created_at=item["created_at"]["S"],
        revoked_at=item["revoked_at"]["S"] if "revoked_at" in item else None,
    )
