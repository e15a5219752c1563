"""Results of media operations and the audit entries they leave (no wire names, no statuses)."""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass, field
from enum import StrEnum

MAX_BATCH = 50  # ids per batch request (the seed's limit)
MAX_AUDIT_PAGE = 100


class Outcome(StrEnum):
    """What happened to one requested id; the API turns it into a per-item status."""

    DELETED = "deleted"
    COPIED = "copied"
    NOT_FOUND = "not_found"
    FAILED = "failed"


class AuditAction(StrEnum):
    MEDIA_DELETE = "media.delete"
    MEDIA_COPY = "media.copy"


class AuditResult(StrEnum):
    SUCCESS = "success"
    NOT_FOUND = "not_found"
    FAILED = "failed"


NOT_FOUND_MESSAGE = "Media not found"


def time_ordered_id() -> str:
    """A UUIDv7 (RFC 9562): ids made later sort later (to the millisecond), so audit entries of
    one second keep the order they happened in."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & (2**48 - 1)) << 80 | 0x7 << 76 | (rand >> 68 & 0xFFF) << 64 | 0b10 << 62 | rand & (2**62 - 1)
    return str(uuid.UUID(int=value))


@dataclass(frozen=True)
class Actor:
    """Who asks: the tenant and a stable, non-secret id of the API key used."""

    tenant_id: str
    key_id: str


@dataclass(frozen=True)
class DeleteResult:
    media_id: str  # as requested
    outcome: Outcome
    error: str | None = None


@dataclass(frozen=True)
class CopyResult:
    source_id: str  # as requested
    outcome: Outcome
    new_id: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class AuditEntry:
    tenant_id: str
    entry_id: str
    time: str  # ISO 8601 UTC, seconds
    actor_key_id: str
    action: AuditAction
    target: str  # the media id acted on
    result: AuditResult
    details: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AuditQuery:
    limit: int
    cursor: str | None = None
    action: AuditAction | None = None
    since: str | None = None  # inclusive, ISO 8601 UTC
    until: str | None = None  # inclusive, ISO 8601 UTC


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    next_cursor: str | None
