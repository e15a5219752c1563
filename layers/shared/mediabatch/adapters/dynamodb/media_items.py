"""Media items in DynamoDB: one item per media (`TENANT#t#MEDIA#id`), listed by folder through
the `ByFolder` index (`gsi1pk = TENANT#t#MEDIA`, `gsi1sk = folder|created_at|id`)."""

from __future__ import annotations

import base64
import json
from typing import Any

from botocore.exceptions import ClientError

from mediabatch.adapters.dynamodb.audit_log import audit_put_request
from mediabatch.adapters.dynamodb.codec import cancellation_codes, from_item, to_item, transact_write, value
from mediabatch.catalog.models import MediaItem
from mediabatch.errors import ValidationFailed
from mediabatch.operations.models import AuditEntry
from mediabatch.processing.models import ProcessingChange

INDEX = "ByFolder"
DELETING = "DELETING"  # sort key of an item being deleted (see mark_deleting)
_EXISTS, _ABSENT = "attribute_exists(pk)", "attribute_not_exists(pk)"


def media_pk(tenant_id: str, media_id: str) -> str:
    return f"TENANT#{tenant_id}#MEDIA#{media_id}"


def media_put_request(table: str, item: MediaItem) -> dict[str, Any]:
    """The Put of a new media item, for use inside a transaction."""
    return {
        "Put": {
            "TableName": table,
            "Item": to_item(
                {
                    "pk": media_pk(item.tenant_id, item.id),
                    "sk": "MEDIA",
                    "gsi1pk": f"TENANT#{item.tenant_id}#MEDIA",
                    "gsi1sk": f"{item.folder}|{item.created_at}|{item.id}",
                    **item.model_dump(mode="json"),
                }
            ),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }


class MediaItemTable:
    def __init__(self, table_name: str, dynamodb: Any) -> None:
        self.table = table_name
        self._ddb = dynamodb

    def get(self, tenant_id: str, media_id: str) -> MediaItem | None:
        item = self._ddb.get_item(
            TableName=self.table,
            Key={"pk": value(media_pk(tenant_id, media_id)), "sk": value("MEDIA")},
            ConsistentRead=True,
        ).get("Item")
        return MediaItem.model_validate(from_item(item)) if item else None

    def list(
        self, tenant_id: str, *, folder: str | None, limit: int, cursor: str | None
    ) -> tuple[list[MediaItem], str | None]:
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": INDEX,
            "Limit": limit,
            "ExpressionAttributeValues": {":pk": value(f"TENANT#{tenant_id}#MEDIA")},
        }
        if folder is None:
            kwargs["KeyConditionExpression"] = "gsi1pk = :pk"
        else:
            kwargs["KeyConditionExpression"] = "gsi1pk = :pk AND begins_with(gsi1sk, :folder)"
            kwargs["ExpressionAttributeValues"][":folder"] = value(f"{folder}|")
        if cursor:
            kwargs["ExclusiveStartKey"] = _decode_cursor(cursor, tenant_id)
        page = self._ddb.query(**kwargs)
        items = [MediaItem.model_validate(from_item(i)) for i in page.get("Items", [])]
        last = page.get("LastEvaluatedKey")
        return items, _encode_cursor(last) if last else None

    def update_processing(self, tenant_id: str, media_id: str, change: ProcessingChange, updated_at: str) -> None:
        """One write: the change's fields and `updated_at` inside `processing`, and the item's
        own `updated_at`; only on an item that exists."""
        fields = {**change.fields(), "updated_at": updated_at}
        names = {"#p": "processing", **{f"#f{i}": k for i, k in enumerate(fields)}}
        sets = [f"#p.#f{i} = :v{i}" for i in range(len(fields))] + ["updated_at = :now"]
        values = {f":v{i}": value(v) for i, v in enumerate(fields.values())}
        self._ddb.update_item(
            TableName=self.table,
            Key={"pk": value(media_pk(tenant_id, media_id)), "sk": value("MEDIA")},
            UpdateExpression="SET " + ", ".join(sets),
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={**values, ":now": value(updated_at)},
        )

    # ------------------------------------------------------------------ delete and copy (operations)
    # An item being deleted moves, in one conditional transaction, from sort key MEDIA to
    # DELETING: readers (get, the folder index, processing updates) no longer see it, while a
    # retry still finds what is left to remove. Its bytes go next, the DELETING record last.
    def mark_deleting(self, tenant_id: str, media_id: str) -> MediaItem | None:
        key = {"pk": value(media_pk(tenant_id, media_id)), "sk": value("MEDIA")}
        found = self._ddb.get_item(TableName=self.table, Key=key, ConsistentRead=True).get("Item")
        if found is not None:
            marked = {k: v for k, v in found.items() if k not in ("gsi1pk", "gsi1sk")}
            marked.update({"sk": value(DELETING), "state": value("deleting")})
            try:
                transact_write(
                    self._ddb,
                    [
                        {"Delete": {"TableName": self.table, "Key": key, "ConditionExpression": _EXISTS}},
                        {"Put": {"TableName": self.table, "Item": marked, "ConditionExpression": _ABSENT}},
                    ],
                )
            except ClientError as exc:
                if "ConditionalCheckFailed" not in cancellation_codes(exc):
                    raise  # else another request marked it first: read its mark below
            else:
                return MediaItem.model_validate(from_item(found))
        return self._deleting(tenant_id, media_id)

    def remove_deleting(self, tenant_id: str, media_id: str, audit: AuditEntry) -> bool:
        try:
            transact_write(
                self._ddb,
                [
                    {
                        "Delete": {
                            "TableName": self.table,
                            "Key": {"pk": value(media_pk(tenant_id, media_id)), "sk": value(DELETING)},
                            "ConditionExpression": "attribute_exists(pk)",
                        }
                    },
                    audit_put_request(self.table, audit),
                ],
            )
        except ClientError as exc:
            if "ConditionalCheckFailed" in cancellation_codes(exc):
                return False
            raise
        return True

    def create(self, item: MediaItem, audit: AuditEntry) -> None:
        transact_write(self._ddb, [media_put_request(self.table, item), audit_put_request(self.table, audit)])

    def _deleting(self, tenant_id: str, media_id: str) -> MediaItem | None:
        key = {"pk": value(media_pk(tenant_id, media_id)), "sk": value(DELETING)}
        item = self._ddb.get_item(TableName=self.table, Key=key, ConsistentRead=True).get("Item")
        if item is None:
            return None
        plain = {k: v for k, v in from_item(item).items() if k not in ("pk", "sk", "state")}
        return MediaItem.model_validate(plain)


def _encode_cursor(key: dict[str, Any]) -> str:
    plain = {k: v["S"] for k, v in key.items()}
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode()


def _decode_cursor(cursor: str, tenant_id: str) -> dict[str, Any]:
    try:
        plain = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        key = {k: {"S": str(plain[k])} for k in ("pk", "sk", "gsi1pk", "gsi1sk")}
    except (ValueError, KeyError, TypeError) as exc:
        raise ValidationFailed("cursor is not valid", code="invalid_cursor") from exc
    if key["gsi1pk"]["S"] != f"TENANT#{tenant_id}#MEDIA":  # a cursor never crosses tenants
        raise ValidationFailed("cursor is not valid", code="invalid_cursor")
    return key
