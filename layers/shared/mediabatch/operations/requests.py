"""Checks on the ids a batch request names, before anything is touched."""

from __future__ import annotations

import re
from collections.abc import Sequence

from mediabatch.errors import ValidationFailed
from mediabatch.operations.models import MAX_BATCH

BATCH_SIZE_EXCEEDED = "BATCH_SIZE_EXCEEDED"
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def is_media_id(value: object) -> bool:
    return isinstance(value, str) and bool(_UUID.fullmatch(value))


def checked_ids(ids: Sequence[object]) -> list[str]:
    """The ids, if there are 1 to MAX_BATCH distinct UUIDs; otherwise a 400-kind error naming
    every bad entry as `ids[i]`. Duplicates are refused: one id, one result, one side effect
    (a second delete of the same id could only report 404, a second copy is rarely meant)."""
    if len(ids) > MAX_BATCH:
        raise ValidationFailed(
            f"at most {MAX_BATCH} ids per request, got {len(ids)}",
            code=BATCH_SIZE_EXCEEDED,
            details=[{"field": "ids", "message": f"at most {MAX_BATCH} ids, got {len(ids)}"}],
        )
    if not ids:
        raise ValidationFailed(
            "ids must name at least one media id", details=[{"field": "ids", "message": "at least one id"}]
        )
    problems: list[dict[str, str]] = []
    first_seen: dict[str, int] = {}
    for i, value in enumerate(ids):
        if not is_media_id(value):
            problems.append({"field": f"ids[{i}]", "message": f"not a media id (UUID): {value!r}"})
            continue
        assert isinstance(value, str)
        earlier = first_seen.setdefault(value.lower(), i)
        if earlier != i:
            problems.append({"field": f"ids[{i}]", "message": f"duplicate of ids[{earlier}]"})
    if problems:
        summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems[:5])
        raise ValidationFailed(f"invalid ids: {summary}", details=problems)
    return [str(v) for v in ids]
