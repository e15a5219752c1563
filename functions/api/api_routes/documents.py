"""Document batches (seed: batch-document-embedding-api.md): multipart uploads, presigned uploads
for files past API Gateway's 10 MB, job status, and search over a tenant's collections.

Errors of these routes have the seed's body, `{"detail": "..."}` (DetailError below), not the
API's envelope; authentication (401) keeps the envelope of every route."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any, TypeVar

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel, ValidationError

from api_routes.auth import current_tenant
from api_routes.errors import status_for
from api_routes.idempotency import run_idempotent
from api_routes.uploads import raw_body
from mediabatch import container
from mediabatch.documents.limits import NamedSize
from mediabatch.documents.service import IncomingFile
from mediabatch.errors import DomainError
from schemas.documents import (
    BatchJobStatusOut,
    CollectionDeletedOut,
    CollectionOut,
    CollectionsOut,
    DetailOut,
    PresignedJobOut,
    PresignIn,
    QueryIn,
    QueryOut,
    SearchResultOut,
    SingleJobStatusOut,
    StartBatchOut,
    StartEmbeddingOut,
    job_status,
    started,
)

router = Router()
TAGS = ["documents"]
M = TypeVar("M", bound=BaseModel)
_ERRORS: dict[int, OpenAPIResponse] = {
    400: {"description": "Invalid request", "content": {"application/json": {"model": DetailOut}}},
    404: {"description": "Not found (or another tenant's)", "content": {"application/json": {"model": DetailOut}}},
}
_CREATE_ERRORS: dict[int, OpenAPIResponse] = {
    **_ERRORS,
    500: {"description": "Error creating batch job: ...", "content": {"application/json": {"model": DetailOut}}},
}


class DetailError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


@router.exception_handler(DetailError)
def detail_response(exc: DetailError) -> Response[str]:
    return json_response(exc.status, {"detail": exc.detail})


@contextmanager
def seed_errors(unexpected: str | None = None) -> Iterator[None]:
    """Domain errors become `{"detail": message}` with their usual status; on create routes any
    other failure is the seed's 500 `Error creating batch job: ...`."""
    try:
        yield
    except DomainError as exc:
        raise DetailError(status_for(exc), exc.message) from exc
    except DetailError:
        raise
    except Exception as exc:
        if unexpected is None:
            raise
        raise DetailError(500, f"{unexpected}: {exc}") from exc


def json_response(status: int, body: Any) -> Response[str]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=json.dumps(body))


# ---------------------------------------------------------------------- multipart
def form_parts() -> list[Message]:
    content_type = router.current_event.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        raise DetailError(400, "Request must be multipart/form-data")
    message = BytesParser(policy=HTTP).parsebytes(f"content-type: {content_type}\r\n\r\n".encode() + raw_body(router))
    if not message.is_multipart():
        raise DetailError(400, "Request must be multipart/form-data")
    return list(message.iter_parts())


def field_name(part: Message) -> str | None:
    return part.get_param("name", header="content-disposition")  # type: ignore[return-value]


def uploaded(parts: list[Message], name: str) -> list[IncomingFile]:
    files = []
    for part in parts:
        if field_name(part) == name:
            payload = part.get_payload(decode=True)
            files.append(IncomingFile(part.get_filename() or "", payload if isinstance(payload, bytes) else b""))
    return files


def text_field(parts: list[Message], name: str) -> str | None:
    for part in parts:
        if field_name(part) == name and part.get_filename() is None:
            payload = part.get_payload(decode=True)
            text = payload.decode("utf-8", "replace").strip() if isinstance(payload, bytes) else ""
            return text or None
    return None


def create_job(scope: str, files: list[IncomingFile], collection_name: str | None, *, is_batch: bool) -> Response[str]:
    tenant_id = current_tenant(router).tenant_id
    payload = {
        "collection_name": collection_name,
        "files": [{"name": f.name, "sha256": hashlib.sha256(f.data).hexdigest()} for f in files],
    }

    def create() -> dict[str, Any]:
        job = container.document_service().create(tenant_id, files, collection_name, is_batch=is_batch)
        return started(job)

    with seed_errors("Error creating batch job"):
        body = run_idempotent(
            scope,
            tenant_id,
            router.current_event.headers.get("idempotency-key"),
            payload,
            create,
            lambda_context=router.lambda_context,
        )
    return json_response(202, body)


@router.post(
    "/api/start-embedding",
    summary="Embed one PDF or PPTX file (multipart: file, collection_name)",
    tags=TAGS,
    responses={
        202: {"description": "Accepted", "content": {"application/json": {"model": StartEmbeddingOut}}},
        **_CREATE_ERRORS,
    },
)
def start_embedding() -> Response[str]:
    parts = form_parts()
    files = uploaded(parts, "file")
    if len(files) != 1:
        raise DetailError(400, "Exactly one 'file' is required (use /api/start-embedding-batch for several)")
    return create_job("documents.single", files, text_field(parts, "collection_name"), is_batch=False)


@router.post(
    "/api/start-embedding-batch",
    summary="Embed 2-10 PDF or PPTX files into one collection (multipart: files, collection_name)",
    tags=TAGS,
    responses={
        202: {"description": "Accepted", "content": {"application/json": {"model": StartBatchOut}}},
        **_CREATE_ERRORS,
    },
)
def start_embedding_batch() -> Response[str]:
    parts = form_parts()
    return create_job("documents.batch", uploaded(parts, "files"), text_field(parts, "collection_name"), is_batch=True)


# ---------------------------------------------------------------------- presigned uploads
def json_body(model: type[M]) -> M:
    try:
        return model.model_validate_json(raw_body(router) or b"{}")
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise DetailError(400, f"Invalid request: {where}: {first['msg']}") from exc


@router.post(
    "/api/embedding-uploads",
    summary="Open a document job whose files are PUT straight to storage (files past the 10 MB request limit)",
    tags=TAGS,
    responses={
        201: {"description": "Created", "content": {"application/json": {"model": PresignedJobOut}}},
        **_CREATE_ERRORS,
    },
)
def init_embedding_uploads() -> Response[str]:
    request = json_body(PresignIn)
    tenant_id = current_tenant(router).tenant_id
    files = [NamedSize(f.name, f.size) for f in request.files]

    def create() -> dict[str, Any]:
        presigned = container.document_service().init_presigned(tenant_id, files, request.collection_name)
        return PresignedJobOut.of(presigned).model_dump(mode="json")

    with seed_errors("Error creating batch job"):
        body = run_idempotent(
            "documents.presign",
            tenant_id,
            router.current_event.headers.get("idempotency-key"),
            request.model_dump(mode="json"),
            create,
            lambda_context=router.lambda_context,
        )
    return json_response(201, body)


@router.post(
    "/api/embedding-uploads/<job_id>/start",
    summary="Start a presigned document job once its files are uploaded",
    tags=TAGS,
    responses={
        202: {"description": "Accepted", "content": {"application/json": {"model": StartBatchOut}}},
        **_CREATE_ERRORS,
    },
)
def start_embedding_uploads(job_id: str) -> Response[str]:
    with seed_errors("Error creating batch job"):
        job = container.document_service().start_presigned(current_tenant(router).tenant_id, job_id)
    return json_response(202, started(job))


# ---------------------------------------------------------------------- status
@router.get(
    "/api/job-status/<job_id>",
    summary="Status of a document job (single-file or batch shape)",
    tags=TAGS,
    responses={
        200: {
            "description": "The job: the batch shape has `is_batch: true`",
            "content": {"application/json": {"model": BatchJobStatusOut | SingleJobStatusOut}},
        },
        404: _ERRORS[404],
    },
)
def get_job_status(job_id: str) -> Response[str]:
    with seed_errors():
        found = container.document_service().status(current_tenant(router).tenant_id, job_id)
    return json_response(200, job_status(found))


# ---------------------------------------------------------------------- search and collections
def answered(call: Callable[[], M]) -> Response[str]:
    with seed_errors():
        return json_response(200, call().model_dump(mode="json"))


@router.post(
    "/api/collections/<collection_name>/query",
    summary="Search a collection by meaning (body: query, n_results)",
    tags=TAGS,
    responses={
        200: {"description": "Nearest chunks first", "content": {"application/json": {"model": QueryOut}}},
        **_ERRORS,
    },
)
def query_collection(collection_name: str) -> Response[str]:
    request = json_body(QueryIn)
    tenant_id = current_tenant(router).tenant_id

    def search() -> QueryOut:
        hits = container.document_service().search(tenant_id, collection_name, request.query, request.n_results)
        return QueryOut(
            collection_name=collection_name, query=request.query, results=[SearchResultOut.of(h) for h in hits]
        )

    return answered(search)


@router.get(
    "/api/collections",
    summary="The tenant's document collections",
    tags=TAGS,
    responses={200: {"description": "By name", "content": {"application/json": {"model": CollectionsOut}}}},
)
def list_collections() -> Response[str]:
    tenant_id = current_tenant(router).tenant_id
    return answered(
        lambda: CollectionsOut(
            collections=[CollectionOut.of(c) for c in container.document_service().collections(tenant_id)]
        )
    )


@router.delete(
    "/api/collections/<collection_name>",
    summary="Delete a collection and its chunks",
    tags=TAGS,
    responses={
        200: {"description": "Deleted", "content": {"application/json": {"model": CollectionDeletedOut}}},
        **_ERRORS,
    },
)
def delete_collection(collection_name: str) -> Response[str]:
    tenant_id = current_tenant(router).tenant_id

    def delete() -> CollectionDeletedOut:
        container.document_service().delete_collection(tenant_id, collection_name)
        return CollectionDeletedOut(name=collection_name)

    return answered(delete)
