"""Delete and copy media items (v0), one or up to 50 at a time (seed: media-batch-operations.md)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from api_routes.auth import current_tenant
from api_routes.idempotency import run_idempotent
from mediabatch import container
from mediabatch.operations.models import Actor
from schemas.operations import BatchCopyOut, BatchDeleteOut, MediaIdsIn

router = Router()


def _actor() -> Actor:
    tenant = current_tenant(router)
    return Actor(tenant.tenant_id, tenant.key_id)


def _remaining_seconds() -> float:
    """Time this invocation has left (the function's timeout, 29 s, is the API's)."""
    return float(router.lambda_context.get_remaining_time_in_millis()) / 1000.0


@router.post("/api/v0/media/batch/delete", summary="Delete up to 50 media items", tags=["media"])
def delete_batch(request: Annotated[MediaIdsIn, Body()]) -> BatchDeleteOut:
    return BatchDeleteOut.of(container.media_operations().delete_many(_actor(), request.ids, _remaining_seconds))


@router.post("/api/v0/media/batch/copy", summary="Copy up to 50 media items", tags=["media"])
def copy_batch(request: Annotated[MediaIdsIn, Body()]) -> BatchCopyOut:
    """Copies create media items: a retry with the same Idempotency-Key gets the first copies."""
    actor = _actor()

    def copy() -> dict[str, Any]:
        copies = container.media_operations().copy_many(actor, request.ids, _remaining_seconds)
        return BatchCopyOut.of(copies).model_dump(mode="json")

    results = run_idempotent(
        "media.copy",
        actor.tenant_id,
        router.current_event.headers.get("idempotency-key"),
        request.model_dump(mode="json"),
        copy,
        lambda_context=router.lambda_context,
    )
    return BatchCopyOut.model_validate(results)


@router.delete("/api/v0/media/<media_id>", summary="Delete one media item", tags=["media"])
def delete_media(media_id: str) -> Response[str]:
    container.media_operations().delete_one(_actor(), media_id)
    return Response(status_code=204, body="")
