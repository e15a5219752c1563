"""Audit log (v0) wire shapes."""

from __future__ import annotations

from pydantic import BaseModel, Field

from mediabatch.operations.models import AuditEntry, AuditPage


class AuditEntryOut(BaseModel):
    id: str
    time: str = Field(description="ISO 8601 UTC")
    actor_key_id: str = Field(description="first 12 hex digits of the SHA-256 of the API key used")
    action: str = Field(description="media.delete or media.copy")
    target: str = Field(description="the media id acted on")
    result: str = Field(description="success, not_found or failed")
    details: dict[str, str] = Field(description="e.g. new_id of a copy")

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditEntryOut:
        return cls(
            id=entry.entry_id,
            time=entry.time,
            actor_key_id=entry.actor_key_id,
            action=entry.action.value,
            target=entry.target,
            result=entry.result.value,
            details=entry.details,
        )


class AuditListOut(BaseModel):
    entries: list[AuditEntryOut] = Field(description="newest first")
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last page")

    @classmethod
    def of(cls, page: AuditPage) -> AuditListOut:
        return cls(entries=[AuditEntryOut.of(e) for e in page.entries], next_cursor=page.next_cursor)
