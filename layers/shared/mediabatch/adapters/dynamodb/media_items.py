"""Media items in DynamoDB: one item per media (`TENANT#t#MEDIA#id`), listed by folder through
the `ByFolder` index (`gsi1pk = TENANT#t#MEDIA`, `gsi1sk = folder|created_at|id`)."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from mediabatch.adapters.dynamodb.audit_log import audit_put_request
from mediabatch.adapters.dynamodb.bulk import TRANSACTION_LIMIT, batch_get
from mediabatch.adapters.dynamodb.codec import cancellation_codes, from_item, to_item, transact_write, value
from mediabatch.catalog.models import MediaItem
from mediabatch.errors import ValidationFailed
from mediabatch.operations.models import AuditEntry
from mediabatch.operations.ports import ItemFailed
from mediabatch.processing.models import ProcessingChange

logger = logging.getLogger(__name__)

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
    #
    # The *_many methods do a whole batch in one BatchGetItem and one TransactWriteItems per 50
    # items (two actions each, the transaction limit is 100). A transaction is all or nothing:
    # when it is cancelled (one item changed since it was read: another request deleted it,
    # ...) the items of that chunk go again one by one, so one item never fails the others.
    def get_many(self, tenant_id: str, media_ids: Sequence[str]) -> dict[str, MediaItem]:
        keys = [_key(tenant_id, media_id, "MEDIA") for media_id in media_ids]
        return {
            _media_id(raw): MediaItem.model_validate(from_item(raw)) for raw in batch_get(self._ddb, self.table, keys)
        }

    def mark_deleting_many(self, tenant_id: str, media_ids: Sequence[str]) -> dict[str, MediaItem | ItemFailed | None]:
        keys = [_key(tenant_id, i, sk) for i in media_ids for sk in ("MEDIA", DELETING)]
        found = {(_media_id(raw), raw["sk"]["S"]): raw for raw in batch_get(self._ddb, self.table, keys)}
        results: dict[str, MediaItem | ItemFailed | None] = {}
        to_mark: dict[str, dict[str, Any]] = {}
        for media_id in media_ids:
            if (media_id, "MEDIA") in found:
                to_mark[media_id] = found[(media_id, "MEDIA")]
            else:
                marked = found.get((media_id, DELETING))
                results[media_id] = _unmarked(marked) if marked else None
        for chunk in _chunks(list(to_mark), _PER_TRANSACTION):
            results.update(self._mark_chunk(tenant_id, {i: to_mark[i] for i in chunk}))
        return results

    def remove_deleting_many(self, tenant_id: str, audits: Mapping[str, AuditEntry]) -> dict[str, bool | ItemFailed]:
        results: dict[str, bool | ItemFailed] = {}
        for chunk in _chunks(list(audits), _PER_TRANSACTION):
            actions = [
                action
                for media_id in chunk
                for action in (
                    self._remove_marked(tenant_id, media_id),
                    audit_put_request(self.table, audits[media_id]),
                )
            ]
            try:
                transact_write(self._ddb, actions)
            except ClientError:
                results.update({i: _each(self.remove_deleting, tenant_id, i, audits[i]) for i in chunk})
            else:
                results.update(dict.fromkeys(chunk, True))
        return results

    def create_many(self, items: Sequence[tuple[MediaItem, AuditEntry]]) -> dict[str, ItemFailed]:
        failed: dict[str, ItemFailed] = {}
        for chunk in _chunks(list(items), _PER_TRANSACTION):
            actions = [
                action
                for item, audit in chunk
                for action in (media_put_request(self.table, item), audit_put_request(self.table, audit))
            ]
            try:
                transact_write(self._ddb, actions)
            except ClientError:
                for item, audit in chunk:
                    outcome = _each(self.create, item, audit)
                    if isinstance(outcome, ItemFailed):
                        failed[item.id] = outcome
        return failed

    # One item at a time: what a cancelled batch transaction falls back to.
    def mark_deleting(self, tenant_id: str, media_id: str) -> MediaItem | None:
        key = _key(tenant_id, media_id, "MEDIA")
        found = self._ddb.get_item(TableName=self.table, Key=key, ConsistentRead=True).get("Item")
        if found is not None:
            try:
                transact_write(self._ddb, _move_to_deleting(self.table, found))
            except ClientError as exc:
                if "ConditionalCheckFailed" not in cancellation_codes(exc):
                    raise  # else another request marked it first: read its mark below
            else:
                return MediaItem.model_validate(from_item(found))
        return self._deleting(tenant_id, media_id)

    def remove_deleting(self, tenant_id: str, media_id: str, audit: AuditEntry) -> bool:
        try:
            transact_write(self._ddb, [self._remove_marked(tenant_id, media_id), audit_put_request(self.table, audit)])
        except ClientError as exc:
            if "ConditionalCheckFailed" in cancellation_codes(exc):
                return False
            raise
        return True

    def create(self, item: MediaItem, audit: AuditEntry) -> None:
        transact_write(self._ddb, [media_put_request(self.table, item), audit_put_request(self.table, audit)])

    def _mark_chunk(self, tenant_id: str, found: dict[str, dict[str, Any]]) -> dict[str, MediaItem | ItemFailed | None]:
        try:
            transact_write(self._ddb, [a for raw in found.values() for a in _move_to_deleting(self.table, raw)])
        except ClientError:
            return {i: _each(self.mark_deleting, tenant_id, i) for i in found}
        return {i: _each(_unmarked, raw) for i, raw in found.items()}

    def _remove_marked(self, tenant_id: str, media_id: str) -> dict[str, Any]:
        return {
            "Delete": {
                "TableName": self.table,
                "Key": _key(tenant_id, media_id, DELETING),
                "ConditionExpression": _EXISTS,
            }
        }

    def _deleting(self, tenant_id: str, media_id: str) -> MediaItem | None:
        key = _key(tenant_id, media_id, DELETING)
        item = self._ddb.get_item(TableName=self.table, Key=key, ConsistentRead=True).get("Item")
        return _unmarked(item) if item is not None else None


_PER_TRANSACTION = TRANSACTION_LIMIT // 2  # items per transaction: two actions each
T = TypeVar("T")


def _key(tenant_id: str, media_id: str, sk: str) -> dict[str, Any]:
    return {"pk": value(media_pk(tenant_id, media_id)), "sk": value(sk)}


def _media_id(raw: dict[str, Any]) -> str:
    return str(raw["pk"]["S"]).rsplit("#", 1)[1]


def _move_to_deleting(table: str, found: dict[str, Any]) -> list[dict[str, Any]]:
    """The two actions that move a MEDIA item (as read) to its DELETING key."""
    marked = {k: v for k, v in found.items() if k not in ("gsi1pk", "gsi1sk")}
    marked.update({"sk": value(DELETING), "state": value("deleting")})
    key = {"pk": found["pk"], "sk": value("MEDIA")}
    return [
        {"Delete": {"TableName": table, "Key": key, "ConditionExpression": _EXISTS}},
        {"Put": {"TableName": table, "Item": marked, "ConditionExpression": _ABSENT}},
    ]


def _unmarked(raw: dict[str, Any]) -> MediaItem:
    """The media item a MEDIA or DELETING record holds."""
    plain = {k: v for k, v in from_item(raw).items() if k not in ("pk", "sk", "state", "gsi1pk", "gsi1sk")}
    return MediaItem.model_validate(plain)


def _each(step: Callable[..., T], *args: Any) -> T | ItemFailed:
    """One item's step on its own: its failure is its result, logged, never the batch's."""
    try:
        return step(*args)
    except Exception as exc:
        logger.exception("%s failed for one item of a batch", getattr(step, "__name__", "a step"))
        return ItemFailed(f"{type(exc).__name__}: {exc}")


def _chunks(values: list[T], size: int) -> list[list[T]]:
    return [values[i : i + size] for i in range(0, len(values), size)]


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
