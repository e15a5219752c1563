"""The media catalog (v0): every file that landed, per tenant."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Router

from api_routes.auth import current_tenant
from mediabatch import container
from mediabatch.errors import ValidationFailed

router = Router()


@router.get("/api/v0/media/<media_id>")
def get_media(media_id: str) -> dict[str, Any]:
    return container.media_catalog().get(current_tenant(router).tenant_id, media_id)


@router.get("/api/v0/media")
def list_media() -> dict[str, Any]:
    event = router.current_event
    limit = event.get_query_string_value("limit", "50") or "50"
    if not limit.isdigit():
        raise ValidationFailed("limit must be an integer", details=[{"field": "limit", "message": "not an integer"}])
    return container.media_catalog().list(
        current_tenant(router).tenant_id,
        folder=event.get_query_string_value("folder"),
        limit=int(limit),
        cursor=event.get_query_string_value("cursor"),
    )
