"""The event types tenants can subscribe to, and how a subscription's filters match them.

These are the `detail-type`s the product publishes on its EventBridge bus (source
`mediabatch`): a filter is one of them, a family wildcard (`batch.*`, `job.*`, `file.*`) or
`*` (everything)."""

from __future__ import annotations

from collections.abc import Iterable

from mediabatch.errors import ValidationFailed

EVENT_TYPES: tuple[str, ...] = (
    "batch.completed",
    "batch.failed",
    "batch.cancelled",
    "job.completed",
    "job.failed",
    "job.cancelled",
    "file.uploaded",
    "file.deleted",
)
FAMILIES: tuple[str, ...] = tuple(sorted({t.split(".", 1)[0] for t in EVENT_TYPES}))
WILDCARDS: tuple[str, ...] = ("*", *(f"{family}.*" for family in FAMILIES))
FILTERS: tuple[str, ...] = (*EVENT_TYPES, *WILDCARDS)


def normalized_filters(filters: Iterable[str]) -> list[str]:
    """The filters, stripped and without repeats (first occurrence order); ValidationFailed
    `invalid_event_type` names every one that is neither an event type nor a wildcard."""
    cleaned = list(dict.fromkeys(f.strip() for f in filters))
    unknown = [f for f in cleaned if f not in FILTERS]
    if unknown:
        raise ValidationFailed(
            f"unknown event types: {', '.join(repr(u) for u in unknown)}; "
            f"use one of {', '.join(EVENT_TYPES)} or a wildcard ({', '.join(WILDCARDS)})",
            details=[{"field": "events", "message": f"unknown event type {u!r}"} for u in unknown],
            code="invalid_event_type",
        )
    if not cleaned:
        raise ValidationFailed(
            "subscribe to at least one event type",
            details=[{"field": "events", "message": "empty"}],
            code="invalid_event_type",
        )
    return cleaned


def matches(filters: Iterable[str], event_type: str) -> bool:
    family = event_type.split(".", 1)[0]
    return any(f in ("*", event_type, f"{family}.*") for f in filters)
