"""Batch downloads (seed: batch-downloads-guide.md)."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router

from api_routes.auth import current_tenant
from mediabatch import container
from mediabatch.downloads.models import BatchDownloadRequest

router = Router()


@router.post("/api/v1/batch/download")
def create_batch() -> Response[str]:
    request = BatchDownloadRequest.model_validate(router.current_event.json_body or {})
    idempotency_key = router.current_event.headers.get("idempotency-key")
    summary = container.create_batch()(
        current_tenant(router).tenant_id, idempotency_key, request, router.lambda_context
    )
    return Response(
        status_code=202,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps(summary),
        headers={"Location": f"/api/v1/batch/{summary['batch_id']}"},
    )


@router.get("/api/v1/batch/<batch_id>")
def get_batch(batch_id: str) -> dict[str, Any]:
    return container.batch_download_service().get(current_tenant(router).tenant_id, batch_id)


@router.delete("/api/v1/batch/<batch_id>")
def cancel_batch(batch_id: str) -> dict[str, Any]:
    return container.batch_download_service().cancel(current_tenant(router).tenant_id, batch_id)
