"""Claims on storage keys in DynamoDB (`TENANT#t#KEY`, sk = the tenant-relative key): the first
job to claim a key owns it, so no two jobs (or batches) ever write the same S3 object."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from mediabatch.adapters.dynamodb.codec import error_code, to_item, value


def keys_pk(tenant_id: str) -> str:
    return f"TENANT#{tenant_id}#KEY"


class StorageKeyTable:
    def __init__(self, table_name: str, dynamodb: Any) -> None:
        self._table = table_name
        self._ddb = dynamodb

    def reserve(self, tenant_id: str, key: str, owner: str) -> bool:
        """Claim `key` for `owner`; True if it is now (or already was) theirs."""
        try:
            self._ddb.put_item(
                TableName=self._table,
                Item=to_item({"pk": keys_pk(tenant_id), "sk": key, "owner": owner}),
                ConditionExpression="attribute_not_exists(pk) OR #o = :owner",
                ExpressionAttributeNames={"#o": "owner"},
                ExpressionAttributeValues={":owner": value(owner)},
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def release(self, tenant_id: str, key: str, owner: str) -> None:
        """Give a claimed key back (the job that claimed it stored nothing there)."""
        try:
            self._ddb.delete_item(
                TableName=self._table,
                Key={"pk": value(keys_pk(tenant_id)), "sk": value(key)},
                ConditionExpression="#o = :owner",
                ExpressionAttributeNames={"#o": "owner"},
                ExpressionAttributeValues={":owner": value(owner)},
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
