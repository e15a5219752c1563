"""Hybrid batch uploads (seed: batch-upload-frontend.md), in the seed's `{success, data}` envelope."""

from __future__ import annotations

import base64
from email.parser import BytesParser
from email.policy import HTTP
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from api_routes.auth import current_tenant
from api_routes.idempotency import run_idempotent
from mediabatch import container
from mediabatch.errors import ValidationFailed
from mediabatch.uploads.models import InitRequest
from mediabatch.uploads.service import MAX_PAGE
from schemas.media import MediaItemOut
from schemas.uploads import (
    ChunkReceiptOut,
    ChunkUrlOut,
    Envelope,
    OpenUploadsOut,
    UploadProgressOut,
    UploadSessionOut,
)

router = Router()
TAGS = ["uploads"]


@router.post("/api/v1/videos/batch/init", summary="Open uploads for up to 5 files", tags=TAGS)
def init_uploads(request: Annotated[InitRequest, Body()]) -> Envelope[list[UploadSessionOut]]:
    """With `Idempotency-Key`, a retried init answers the sessions of the first one (their URLs may
    have expired by then: `/retry` signs fresh ones) instead of opening new ones."""
    tenant_id = current_tenant(router).tenant_id

    def init() -> dict[str, Any]:
        uploads = container.upload_service().init(tenant_id, request)
        return Envelope(data=[UploadSessionOut.of(u) for u in uploads]).model_dump(mode="json", by_alias=True)

    body = run_idempotent(
        "uploads.init",
        tenant_id,
        idempotency_key(),
        request.model_dump(mode="json"),
        init,
        lambda_context=router.lambda_context,
    )
    return Envelope[list[UploadSessionOut]].model_validate(body)


@router.post(
    "/api/v1/videos/batch/chunk/<upload_id>/<chunk_index>",
    summary="Send a chunk (or a piece of one) through the server",
    tags=TAGS,
)
def put_chunk(
    upload_id: str,
    chunk_index: str,
    offset: Annotated[str, Query(description="where this piece starts within the chunk (bytes)")] = "0",
) -> Envelope[ChunkReceiptOut]:
    body = chunk_body(router.current_event.headers.get("content-type", ""), raw_body(router))
    receipt = container.upload_service().put_chunk(
        current_tenant(router).tenant_id, upload_id, non_negative(chunk_index), non_negative(offset), body
    )
    return Envelope(data=ChunkReceiptOut.of(receipt))


@router.get("/api/v1/videos/batch/uploads", summary="Uploads not completed yet, newest first", tags=TAGS)
def list_open_uploads(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="uploads per page")] = 20,
    cursor: Annotated[str | None, Query(description="`nextCursor` of the previous page")] = None,
) -> Envelope[OpenUploadsOut]:
    page = container.upload_service().open_uploads(current_tenant(router).tenant_id, limit=limit, cursor=cursor)
    return Envelope(data=OpenUploadsOut.of(page))


@router.get("/api/v1/videos/batch/progress/<upload_id>", summary="Progress of one upload", tags=TAGS)
def get_progress(upload_id: str) -> Envelope[UploadProgressOut]:
    progress = container.upload_service().progress(current_tenant(router).tenant_id, upload_id)
    return Envelope(data=UploadProgressOut.of(progress))


@router.post("/api/v1/videos/batch/retry/<upload_id>", summary="Fresh URLs for the chunks still lacking", tags=TAGS)
def retry_chunks(
    upload_id: str,
    limit: Annotated[int | None, Query(description="at most this many URLs (1-1000, the default)")] = None,
    after: Annotated[int | None, Query(ge=0, description="only chunks after this index (a cursor)")] = None,
) -> Envelope[list[ChunkUrlOut]]:
    urls = container.upload_service().retry(current_tenant(router).tenant_id, upload_id, limit, after)
    return Envelope(data=[ChunkUrlOut.of(u) for u in urls])


@router.post("/api/v1/videos/batch/complete/<upload_id>", summary="Register the uploaded file", tags=TAGS)
def complete_upload(upload_id: str) -> Envelope[MediaItemOut]:
    tenant_id = current_tenant(router).tenant_id

    def complete() -> dict[str, Any]:
        media = container.upload_service().complete(tenant_id, upload_id)
        return Envelope(data=MediaItemOut.of(media)).model_dump(mode="json", by_alias=True)

    body = run_idempotent(
        "uploads.complete",
        tenant_id,
        idempotency_key(),
        {"upload_id": upload_id},
        complete,
        lambda_context=router.lambda_context,
    )
    return Envelope[MediaItemOut].model_validate(body)


def idempotency_key() -> str | None:
    return router.current_event.headers.get("idempotency-key")


def raw_body(r: Router) -> bytes:
    event = r.current_event
    if not event.body:
        return b""
    return base64.b64decode(event.body) if event.is_base64_encoded else event.body.encode()


def chunk_body(content_type: str, body: bytes) -> bytes:
    """The chunk: the raw body, or the `chunk` field of a multipart/form-data body (the seed's
    FormData variant)."""
    if not content_type.lower().startswith("multipart/form-data"):
        return body
    message = BytesParser(policy=HTTP).parsebytes(f"content-type: {content_type}\r\n\r\n".encode() + body)
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == "chunk":
            payload = part.get_payload(decode=True)
            return payload if isinstance(payload, bytes) else b""
    raise ValidationFailed("multipart body has no 'chunk' field", code="invalid_piece")


def non_negative(text: str) -> int:
    """chunkIndex and offset keep their documented code (`invalid_chunk_index`), whatever is wrong."""
    if not text.isdigit():
        raise ValidationFailed("chunkIndex and offset must be non-negative integers", code="invalid_chunk_index")
    return int(text)
