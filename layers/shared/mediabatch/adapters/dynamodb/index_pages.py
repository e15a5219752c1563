"""Newest-first pages of one `ByFolder` index partition (gsi1pk), with a filter, that hold
`limit` items whenever that many match: DynamoDB applies `Limit` before the filter, so pages
are read until full, and the cursor points after the last item returned (not after the last
item read). Cursors are opaque and bound to their partition: one tenant's cursor is refused in
another's listing."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from mediabatch.errors import ValidationFailed

INDEX = "ByFolder"
_KEYS = ("pk", "sk", "gsi1pk", "gsi1sk")


@dataclass(frozen=True)
class IndexFilter:
    """A FilterExpression with its names and (already typed) values."""

    expression: str
    names: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)


def newest_first(
    ddb: Any, table: str, index_pk: str, *, limit: int, cursor: str | None, where: IndexFilter | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """Up to `limit` raw items of partition `index_pk`, newest (highest gsi1sk) first, and the
    cursor of the next page (None on the last)."""
    kwargs: dict[str, Any] = {
        "TableName": table,
        "IndexName": INDEX,
        "KeyConditionExpression": "gsi1pk = :gsi1pk",
        "ExpressionAttributeValues": {":gsi1pk": {"S": index_pk}},
        "ScanIndexForward": False,
        "Limit": limit,
    }
    if where is not None:
        kwargs["FilterExpression"] = where.expression
        kwargs["ExpressionAttributeValues"].update(where.values)
        if where.names:
            kwargs["ExpressionAttributeNames"] = where.names
    if cursor:
        kwargs["ExclusiveStartKey"] = decode_cursor(cursor, index_pk)
    items: list[dict[str, Any]] = []
    while True:
        page = ddb.query(**kwargs)
        items.extend(page.get("Items", []))
        last = page.get("LastEvaluatedKey")
        if len(items) >= limit or not last:
            break
        kwargs["ExclusiveStartKey"] = last
    if len(items) > limit or (len(items) == limit and last):
        items = items[:limit]
        return items, encode_cursor({k: items[-1][k] for k in _KEYS})
    return items, None


def encode_cursor(key: dict[str, Any]) -> str:
    plain = {k: v["S"] for k, v in key.items()}
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str, index_pk: str) -> dict[str, Any]:
    try:
        plain = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        key = {k: {"S": str(plain[k])} for k in _KEYS}
    except (ValueError, KeyError, TypeError) as exc:
        raise ValidationFailed("cursor is not valid", code="invalid_cursor") from exc
    if key["gsi1pk"]["S"] != index_pk:  # a cursor never crosses tenants
        raise ValidationFailed("cursor is not valid", code="invalid_cursor")
    return key
