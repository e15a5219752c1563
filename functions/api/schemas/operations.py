"""Batch delete and copy (v0) wire shapes (seed: media-batch-operations.md)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, SerializerFunctionWrapHandler, model_serializer

from mediabatch.operations.models import MAX_BATCH, CopyResult, DeleteResult, Outcome

# Per-item statuses, as the seed names them.
DELETE_STATUS = {Outcome.DELETED: 204, Outcome.NOT_FOUND: 404, Outcome.FAILED: 500}
COPY_STATUS = {Outcome.COPIED: 201, Outcome.NOT_FOUND: 404, Outcome.FAILED: 500}


class MediaIdsIn(BaseModel):
    # Items are checked by the service (so every bad one is named as `ids[i]`, and more than
    # MAX_BATCH answers BATCH_SIZE_EXCEEDED, not a generic validation error).
    ids: list[Any] = Field(
        description=f"1 to {MAX_BATCH} distinct media UUIDs; more is 400 BATCH_SIZE_EXCEEDED",
        json_schema_extra={"minItems": 1, "maxItems": MAX_BATCH, "items": {"type": "string", "format": "uuid"}},
    )


class _WithoutEmptyError(BaseModel):
    """`error` is present only when there is one (the seed's successful entries have none)."""

    @model_serializer(mode="wrap")
    def _drop_empty_error(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if data.get("error") is None:
            data.pop("error", None)
        return data


class DeleteItemOut(_WithoutEmptyError):
    id: str
    status: int = Field(description="204 deleted, 404 not found, 500 failed")
    error: str | None = None

    @classmethod
    def of(cls, result: DeleteResult) -> DeleteItemOut:
        return cls(id=result.media_id, status=DELETE_STATUS[result.outcome], error=result.error)


class CopyItemOut(_WithoutEmptyError):
    source_id: str
    new_id: str | None = Field(description="the copy's id; null unless status is 201")
    status: int = Field(description="201 copied, 404 not found, 500 failed")
    error: str | None = None

    @classmethod
    def of(cls, result: CopyResult) -> CopyItemOut:
        return cls(
            source_id=result.source_id, new_id=result.new_id, status=COPY_STATUS[result.outcome], error=result.error
        )


class BatchDeleteOut(BaseModel):
    results: list[DeleteItemOut] = Field(description="one per requested id, in request order")

    @classmethod
    def of(cls, results: list[DeleteResult]) -> BatchDeleteOut:
        return cls(results=[DeleteItemOut.of(r) for r in results])


class BatchCopyOut(BaseModel):
    results: list[CopyItemOut] = Field(description="one per requested id, in request order")

    @classmethod
    def of(cls, results: list[CopyResult]) -> BatchCopyOut:
        return cls(results=[CopyItemOut.of(r) for r in results])
