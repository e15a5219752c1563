"""Batch downloads (seed: batch-downloads-guide.md)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from api_routes.auth import current_tenant
from api_routes.idempotency import run_idempotent
from mediabatch import container
from mediabatch.downloads.models import BatchDownloadRequest, BatchStatus
from mediabatch.downloads.service import MAX_PAGE
from schemas.batches import BatchListOut, BatchOut, BatchSummaryOut

router = Router()


@router.post(
    "/api/v1/batch/download",
    summary="Download up to 100 URLs as one batch",
    tags=["batches"],
    responses={
        202: {
            "description": "Accepted: the batch is queued; poll the URL in the Location header",
            "content": {"application/json": {"model": BatchSummaryOut}},
        }
    },
)
def create_batch(request: Annotated[BatchDownloadRequest, Body()]) -> Response[BatchSummaryOut]:
    tenant_id = current_tenant(router).tenant_id
    summary = run_idempotent(
        "batch.create",
        tenant_id,
        router.current_event.headers.get("idempotency-key"),
        request.model_dump(mode="json"),
        lambda: BatchSummaryOut.of(container.batch_download_service().create(tenant_id, request)).model_dump(
            mode="json"
        ),
        lambda_context=router.lambda_context,
    )
    return Response(
        status_code=202,
        content_type=content_types.APPLICATION_JSON,
        body=BatchSummaryOut.model_validate(summary),
        headers={"Location": f"/api/v1/batch/{summary['batch_id']}"},
    )


@router.get("/api/v1/batch", summary="The tenant's batches, newest first", tags=["batches"])
def list_batches(
    status: Annotated[BatchStatus | None, Query(description="only batches in this status")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="batches per page")] = 20,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page")] = None,
) -> BatchListOut:
    page = container.batch_download_service().list_batches(
        current_tenant(router).tenant_id, status=status, limit=limit, cursor=cursor
    )
    return BatchListOut.of(page)


@router.get("/api/v1/batch/<batch_id>", summary="A batch with its jobs", tags=["batches"])
def get_batch(batch_id: str) -> BatchOut:
    return BatchOut.of_details(container.batch_download_service().get(current_tenant(router).tenant_id, batch_id))


@router.delete("/api/v1/batch/<batch_id>", summary="Cancel a batch", tags=["batches"])
def cancel_batch(batch_id: str) -> BatchOut:
    return BatchOut.of_details(container.batch_download_service().cancel(current_tenant(router).tenant_id, batch_id))


@router.post(
    "/api/v1/batch/<batch_id>/retry",
    summary="Run the failed and cancelled jobs of a finished batch again, in place",
    tags=["batches"],
    responses={
        200: {
            "description": "The batch, queued again with its failed and cancelled jobs",
            "content": {"application/json": {"model": BatchOut}},
        },
        409: {"description": "the batch is still running, or has no failed or cancelled job"},
    },
)
def retry_batch(batch_id: str) -> BatchOut:
    return BatchOut.of_details(container.batch_download_service().retry(current_tenant(router).tenant_id, batch_id))
