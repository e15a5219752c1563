"""Tenant records in the main DynamoDB table: the tenants domain's TenantKeyStore. Keys are
`APIKEY#<sha256>` (one item per API key) and `TENANT#<id>` / `WEBHOOK_SECRET`."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from mediabatch.clock import now_iso


class TenantTable:
    def __init__(self, table_name: str, dynamodb: Any) -> None:
        self._table = table_name
        self._ddb = dynamodb

    def put_api_key(self, key_hash: str, tenant_id: str) -> None:
        self._ddb.put_item(
            TableName=self._table,
            Item={
                "pk": {"S": f"APIKEY#{key_hash}"},
                "sk": {"S": "APIKEY"},
                "tenant_id": {"S": tenant_id},
                "created_at": {"S": now_iso()},
            },
        )

    def tenant_for_key_hash(self, key_hash: str) -> str | None:
        item = self._ddb.get_item(
            TableName=self._table, Key={"pk": {"S": f"APIKEY#{key_hash}"}, "sk": {"S": "APIKEY"}}
        ).get("Item")
        return item["tenant_id"]["S"] if item else None

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
    def _secret_key(tenant_id: str) -> dict[str, Any]:
        return {"pk": {"S": f"TENANT#{tenant_id}"}, "sk": {"S": "WEBHOOK_SECRET"}}
