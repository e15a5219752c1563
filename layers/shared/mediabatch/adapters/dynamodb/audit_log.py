"""The audit log in DynamoDB: one item per entry, `pk = TENANT#t#AUDIT`, `sk = <time>#<entry id>`
(a tenant's entries in time order in one partition), expiring through the table's TTL
attribute `expires_at_epoch` after RETENTION_DAYS."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

from mediabatch.adapters.dynamodb.bulk import batch_write
from mediabatch.adapters.dynamodb.codec import from_item, to_item, value
from mediabatch.clock import parse_iso
from mediabatch.errors import ValidationFailed
from mediabatch.operations.models import AuditAction, AuditEntry, AuditQuery, AuditResult

RETENTION_DAYS = 400
_PAGE_READ = 100  # items read per query while filling a page filtered by action


def audit_pk(tenant_id: str) -> str:
    return f"TENANT#{tenant_id}#AUDIT"


def audit_item(entry: AuditEntry) -> dict[str, Any]:
    return to_item(
        {
            "pk": audit_pk(entry.tenant_id),
            "sk": f"{entry.time}#{entry.entry_id}",
            "entry_id": entry.entry_id,
            "time": entry.time,
            "actor_key_id": entry.actor_key_id,
            "action": entry.action.value,
            "target": entry.target,
            "result": entry.result.value,
            "details": entry.details or None,
            "expires_at_epoch": int(parse_iso(entry.time).timestamp()) + RETENTION_DAYS * 86400,
        }
    )


def audit_put_request(table: str, entry: AuditEntry) -> dict[str, Any]:
    """The Put of an audit entry, for use inside a transaction."""
    return {"Put": {"TableName": table, "Item": audit_item(entry)}}


def _entry(tenant_id: str, item: dict[str, Any]) -> AuditEntry:
    plain = from_item(item)
    return AuditEntry(
        tenant_id=tenant_id,
        entry_id=str(plain["entry_id"]),
        time=str(plain["time"]),
        actor_key_id=str(plain.get("actor_key_id", "")),
        action=AuditAction(plain["action"]),
        target=str(plain["target"]),
        result=AuditResult(plain["result"]),
        details={str(k): str(v) for k, v in (plain.get("details") or {}).items()},
    )


class AuditLogTable:
    def __init__(self, table_name: str, dynamodb: Any) -> None:
        self.table = table_name
        self._ddb = dynamodb

    def record(self, entry: AuditEntry) -> None:
        self._ddb.put_item(TableName=self.table, Item=audit_item(entry))

    def record_many(self, entries: Sequence[AuditEntry]) -> None:
        """25 entries a call (BatchWriteItem): each entry is a put of its own, unrelated to the
        others, so the batch needs no transaction."""
        batch_write(self._ddb, self.table, [{"PutRequest": {"Item": audit_item(e)}} for e in entries])

    def list(self, tenant_id: str, query: AuditQuery) -> tuple[list[AuditEntry], str | None]:
        """Newest first. Reads one entry past the page to know whether another page exists (an
        action filter applies after DynamoDB's Limit, so it reads on until it knows)."""
        low, high = _sk_range(query)
        kwargs = self._query(tenant_id, query, low, high)
        if query.cursor:
            start = _decode_cursor(query.cursor, tenant_id)
            if not low <= start["sk"]["S"] <= high:  # the filters changed between pages
                raise ValidationFailed("cursor is not valid", code="invalid_cursor")
            kwargs["ExclusiveStartKey"] = start
        wanted = query.limit + 1
        found: list[dict[str, Any]] = []
        while len(found) < wanted:
            page = self._ddb.query(**kwargs, Limit=_PAGE_READ if query.action else wanted - len(found))
            found.extend(page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        entries = found[: query.limit]
        more = len(found) > query.limit
        return [_entry(tenant_id, i) for i in entries], _encode_cursor(entries[-1]) if more else None

    def _query(self, tenant_id: str, query: AuditQuery, low: str, high: str) -> dict[str, Any]:
        condition = "pk = :pk"
        values: dict[str, Any] = {":pk": value(audit_pk(tenant_id))}
        if query.since or query.until:
            condition += " AND sk BETWEEN :from AND :to"
            values[":from"], values[":to"] = value(low), value(high)
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": condition,
            "ScanIndexForward": False,
            "ConsistentRead": True,
        }
        if query.action:
            kwargs["FilterExpression"] = "#a = :action"
            kwargs["ExpressionAttributeNames"] = {"#a": "action"}
            values[":action"] = value(query.action.value)
        kwargs["ExpressionAttributeValues"] = values
        return kwargs


def _sk_range(query: AuditQuery) -> tuple[str, str]:
    """The sort keys `since`..`until` cover, both inclusive ('~' sorts after every id character)."""
    return query.since or "0", (query.until or "9999") + "#~"


def _encode_cursor(item: dict[str, Any]) -> str:
    plain = {"pk": item["pk"]["S"], "sk": item["sk"]["S"]}
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode()


def _decode_cursor(cursor: str, tenant_id: str) -> dict[str, Any]:
    try:
        plain = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        key = {k: {"S": str(plain[k])} for k in ("pk", "sk")}
    except (ValueError, KeyError, TypeError) as exc:
        raise ValidationFailed("cursor is not valid", code="invalid_cursor") from exc
    if key["pk"]["S"] != audit_pk(tenant_id):  # a cursor never crosses tenants
        raise ValidationFailed("cursor is not valid", code="invalid_cursor")
    return key
