"""Hybrid batch uploads (seed: batch-upload-frontend.md), in the seed's `{success, data}` envelope."""

from __future__ import annotations

import base64
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Router

from api_routes.auth import current_tenant
from mediabatch import container
from mediabatch.catalog.models import LinkedMedia
from mediabatch.errors import ValidationFailed
from mediabatch.uploads.models import InitRequest
from schemas.media import MediaItemOut

router = Router()


def ok(data: Any) -> dict[str, Any]:
    if isinstance(data, LinkedMedia):
        data = MediaItemOut.of(data).model_dump(mode="json")
    return {"success": True, "data": data}


@router.post("/api/v1/videos/batch/init")
def init_uploads() -> dict[str, Any]:
    request = InitRequest.model_validate(router.current_event.json_body or {})
    return ok(container.upload_service().init(current_tenant(router).tenant_id, request))


@router.post("/api/v1/videos/batch/chunk/<upload_id>/<chunk_index>")
def put_chunk(upload_id: str, chunk_index: str) -> dict[str, Any]:
    offset = router.current_event.get_query_string_value("offset", "0") or "0"
    if not chunk_index.isdigit() or not offset.isdigit():
        raise ValidationFailed("chunkIndex and offset must be non-negative integers", code="invalid_chunk_index")
    body = chunk_body(router.current_event.headers.get("content-type", ""), raw_body(router))
    return ok(
        container.upload_service().put_chunk(
            current_tenant(router).tenant_id, upload_id, int(chunk_index), int(offset), body
        )
    )


@router.get("/api/v1/videos/batch/progress/<upload_id>")
def progress(upload_id: str) -> dict[str, Any]:
    return ok(container.upload_service().progress(current_tenant(router).tenant_id, upload_id))


@router.post("/api/v1/videos/batch/retry/<upload_id>")
def retry(upload_id: str) -> dict[str, Any]:
    limit = router.current_event.get_query_string_value("limit", "1000") or "1000"
    after = router.current_event.get_query_string_value("after")
    if not limit.isdigit() or (after is not None and not after.isdigit()):
        raise ValidationFailed(
            "limit and after must be non-negative integers",
            details=[{"field": "limit" if not limit.isdigit() else "after", "message": "not a non-negative integer"}],
        )
    return ok(
        container.upload_service().retry(
            current_tenant(router).tenant_id, upload_id, int(limit), int(after) if after is not None else None
        )
    )


@router.post("/api/v1/videos/batch/complete/<upload_id>")
def complete(upload_id: str) -> dict[str, Any]:
    return ok(container.upload_service().complete(current_tenant(router).tenant_id, upload_id))


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
