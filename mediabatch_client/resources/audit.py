"""The audit log (`/api/v0/audit`): who deleted or copied what, newest first."""

from __future__ import annotations

from collections.abc import Iterator

from mediabatch_client.resources._base import WireModel, iterate
from mediabatch_client.transport import Transport

__all__ = ["Audit", "AuditEntry", "AuditPage"]


class AuditEntry(WireModel):
    wire_schema = "AuditEntryOut"
    id: str
    time: str
    actor_key_id: str
    action: str
    target: str
    result: str
    details: dict[str, str]


class AuditPage(WireModel):
    wire_schema = "AuditListOut"
    entries: list[AuditEntry]
    next_cursor: str | None

    def page_items(self) -> list[AuditEntry]:
        return self.entries


class Audit:
    """`client.audit`: the tenant's audit log."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def list(
        self,
        *,
        limit: int = 50,
        cursor: str | None = None,
        action: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> AuditPage:
        """`action`: media.delete or media.copy; `since`/`until`: ISO 8601 times, inclusive."""
        params = {"limit": limit, "cursor": cursor, "action": action, "since": since, "until": until}
        return AuditPage.model_validate(self._t.request("GET", "/api/v0/audit", params=params))

    def iter(
        self, *, action: str | None = None, since: str | None = None, until: str | None = None, page_size: int = 100
    ) -> Iterator[AuditEntry]:
        return iterate(
            lambda cursor: self.list(limit=page_size, cursor=cursor, action=action, since=since, until=until)
        )
