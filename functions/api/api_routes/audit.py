"""The tenant's audit log (v0): who deleted or copied what, and when."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from api_routes.auth import current_tenant
from mediabatch import container
from mediabatch.operations.models import MAX_AUDIT_PAGE, AuditAction, AuditQuery
from schemas.audit import AuditListOut

router = Router()


@router.get("/api/v0/audit", summary="The audit log, newest first", tags=["audit"])
def list_audit(
    limit: Annotated[int, Query(ge=1, le=MAX_AUDIT_PAGE, description="entries per page")] = 50,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page")] = None,
    action: Annotated[AuditAction | None, Query(description="only this action")] = None,
    since: Annotated[str | None, Query(description="from this time, inclusive (2026-01-31T12:00:00Z)")] = None,
    until: Annotated[str | None, Query(description="up to this time, inclusive")] = None,
) -> AuditListOut:
    query = AuditQuery(limit=limit, cursor=cursor, action=action, since=since, until=until)
    return AuditListOut.of(container.media_operations().audit_log(current_tenant(router).tenant_id, query))
