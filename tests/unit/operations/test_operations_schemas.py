"""The seed's JSON for batch results and the audit log, built from the domain's results."""

from __future__ import annotations

from functions.api.schemas.audit import AuditListOut
from functions.api.schemas.operations import BatchCopyOut, BatchDeleteOut
from mediabatch.operations.models import (
    AuditAction,
    AuditEntry,
    AuditPage,
    AuditResult,
    CopyResult,
    DeleteResult,
    Outcome,
)

ID1, ID2, ID3 = (f"{n}50e8400-e29b-41d4-a716-446655440000" for n in (5, 6, 7))


def test_delete_results_carry_an_error_only_when_there_is_one() -> None:
    results = [
        DeleteResult(ID1, Outcome.DELETED),
        DeleteResult(ID2, Outcome.NOT_FOUND, "Media not found"),
        DeleteResult(ID3, Outcome.FAILED, "delete failed"),
    ]
    assert BatchDeleteOut.of(results).model_dump(mode="json") == {
        "results": [
            {"id": ID1, "status": 204},
            {"id": ID2, "status": 404, "error": "Media not found"},
            {"id": ID3, "status": 500, "error": "delete failed"},
        ]
    }


def test_copy_results_always_carry_new_id() -> None:
    results = [CopyResult(ID1, Outcome.COPIED, new_id=ID3), CopyResult(ID2, Outcome.NOT_FOUND, error="Media not found")]
    assert BatchCopyOut.of(results).model_dump(mode="json") == {
        "results": [
            {"source_id": ID1, "new_id": ID3, "status": 201},
            {"source_id": ID2, "new_id": None, "status": 404, "error": "Media not found"},
        ]
    }


def test_audit_entries_name_the_key_not_the_tenant() -> None:
    entry = AuditEntry(
        "t",
        "e1",
        "2026-11-30T10:00:00Z",
        "0123456789ab",
        AuditAction.MEDIA_COPY,
        ID1,
        AuditResult.SUCCESS,
        {"new_id": ID2},
    )
    assert AuditListOut.of(AuditPage([entry], "c")).model_dump(mode="json") == {
        "entries": [
            {
                "id": "e1",
                "time": "2026-11-30T10:00:00Z",
                "actor_key_id": "0123456789ab",
                "action": "media.copy",
                "target": ID1,
                "result": "success",
                "details": {"new_id": ID2},
            }
        ],
        "next_cursor": "c",
    }
