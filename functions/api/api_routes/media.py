"""The media catalog (v0): every file that landed, per tenant."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from api_routes.auth import current_tenant
from mediabatch import container
from mediabatch.catalog.service import MAX_PAGE
from schemas.media import MediaItemOut, MediaListOut

router = Router()


@router.get("/api/v0/media/<media_id>", summary="One media item", tags=["media"])
def get_media(media_id: str) -> MediaItemOut:
    return MediaItemOut.of(container.media_catalog().get(current_tenant(router).tenant_id, media_id))


@router.get("/api/v0/media", summary="List media items, newest first within a folder", tags=["media"])
def list_media(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="items per page")] = 50,
    folder: Annotated[str | None, Query(description="only items in this folder")] = None,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page")] = None,
) -> MediaListOut:
    page = container.media_catalog().list(current_tenant(router).tenant_id, folder=folder, limit=limit, cursor=cursor)
    return MediaListOut.of(page)
