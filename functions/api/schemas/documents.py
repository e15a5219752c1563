"""Document batches wire shapes (seed: batch-document-embedding-api.md), plus search and
collections (beyond the seed)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from mediabatch.documents.models import (
    CollectionInfo,
    DocumentFile,
    DocumentJob,
    FileProgress,
    JobMetadata,
    JobView,
    PresignedJob,
    SearchHit,
)

SINGLE_MESSAGE = "Job created successfully. Use job_id to check status."


class DetailOut(BaseModel):
    """The seed's error body on these routes."""

    detail: str


class StartEmbeddingOut(BaseModel):
    job_id: str
    status: str = "queued"
    message: str = SINGLE_MESSAGE


class StartBatchOut(BaseModel):
    job_id: str
    status: str = "queued"
    total_files: int
    message: str

    @classmethod
    def of(cls, job: DocumentJob) -> StartBatchOut:
        n = len(job.files)
        return cls(job_id=job.job_id, total_files=n, message=f"Batch processing started for {n} files")


def started(job: DocumentJob) -> dict[str, Any]:
    """The 202 body of a create: the batch shape for a batch, the single one otherwise."""
    if job.is_batch:
        return StartBatchOut.of(job).model_dump(mode="json")
    return StartEmbeddingOut(job_id=job.job_id).model_dump(mode="json")


class FileProgressOut(BaseModel):
    current_step: str
    percentage: float
    chunks_processed: int
    total_chunks: int

    @classmethod
    def of(cls, p: FileProgress) -> FileProgressOut:
        return cls(
            current_step=p.current_step.value,
            percentage=p.percentage,
            chunks_processed=p.chunks_processed,
            total_chunks=p.total_chunks,
        )


class JobMetadataOut(BaseModel):
    total_chunks: int
    total_text_length: int
    processing_time_seconds: float
    successful_files: int
    failed_files: int

    @classmethod
    def of(cls, m: JobMetadata | None) -> JobMetadataOut | None:
        if m is None:
            return None
        return cls(
            total_chunks=m.total_chunks,
            total_text_length=m.total_text_length,
            processing_time_seconds=m.processing_time_seconds,
            successful_files=m.successful_files,
            failed_files=m.failed_files,
        )


class BatchFileOut(BaseModel):
    name: str
    status: Literal["pending", "processing", "completed", "failed"]
    chunks: int
    error: str | None

    @classmethod
    def of(cls, f: DocumentFile) -> BatchFileOut:
        return cls(name=f.name, status=f.status.value, chunks=f.chunks, error=f.error)


JobStatusValue = Literal["queued", "processing", "completed", "partially_completed", "failed"]


class SingleJobStatusOut(BaseModel):
    job_id: str
    status: JobStatusValue
    file_name: str
    file_type: str
    collection_name: str
    created_at: str
    started_at: str | None
    completed_at: str | None
    progress: FileProgressOut
    metadata: JobMetadataOut | None
    error: str | None

    @classmethod
    def of(cls, v: JobView) -> SingleJobStatusOut:
        job, (f,) = v.job, v.job.files
        return cls(
            job_id=job.job_id,
            status=v.status.value,
            file_name=f.name,
            file_type=f.kind.value,
            collection_name=job.collection_name,
            created_at=job.created_at,
            started_at=job.started_at,
            completed_at=job.completed_at,
            progress=FileProgressOut.of(f.progress),
            metadata=JobMetadataOut.of(v.metadata),
            error=f.error or job.error,
        )

    def wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class BatchJobStatusOut(BaseModel):
    job_id: str
    status: JobStatusValue
    is_batch: bool = True
    total_files: int
    processed_files: int
    current_file: str | None
    current_file_progress: FileProgressOut | None = Field(None, description="only while a file is being processed")
    overall_progress: float
    files: list[BatchFileOut]
    collection_name: str
    created_at: str
    started_at: str | None
    completed_at: str | None
    metadata: JobMetadataOut | None = Field(None, description="once the job has ended")
    error: str | None

    @classmethod
    def of(cls, v: JobView) -> BatchJobStatusOut:
        job = v.job
        return cls(
            job_id=job.job_id,
            status=v.status.value,
            total_files=len(job.files),
            processed_files=v.processed_files,
            current_file=v.current_file.name if v.current_file else None,
            current_file_progress=FileProgressOut.of(v.current_file.progress) if v.current_file else None,
            overall_progress=v.overall_progress,
            files=[BatchFileOut.of(f) for f in job.files],
            collection_name=job.collection_name,
            created_at=job.created_at,
            started_at=job.started_at,
            completed_at=job.completed_at,
            metadata=JobMetadataOut.of(v.metadata),
            error=job.error,
        )

    def wire(self) -> dict[str, Any]:
        """As in the seed: `current_file_progress` and `metadata` only when there are some."""
        return self.model_dump(
            mode="json",
            exclude={k for k in ("current_file_progress", "metadata") if getattr(self, k) is None},
        )


def job_status(v: JobView) -> dict[str, Any]:
    return BatchJobStatusOut.of(v).wire() if v.job.is_batch else SingleJobStatusOut.of(v).wire()


# ---------------------------------------------------------------------- presigned uploads
class PresignFileIn(BaseModel):
    name: str = Field(min_length=1, max_length=255)
    size: int = Field(ge=1)


class PresignIn(BaseModel):
    files: list[PresignFileIn]
    collection_name: str | None = None


class PresignedUploadOut(BaseModel):
    name: str
    size: int
    method: str = "PUT"
    url: str
    headers: dict[str, str]


class PresignedJobOut(BaseModel):
    job_id: str
    status: str = "queued"
    is_batch: bool
    total_files: int
    collection_name: str
    uploads: list[PresignedUploadOut]
    start_url: str

    @classmethod
    def of(cls, p: PresignedJob) -> PresignedJobOut:
        return cls(
            job_id=p.job.job_id,
            is_batch=p.job.is_batch,
            total_files=len(p.job.files),
            collection_name=p.job.collection_name,
            uploads=[PresignedUploadOut(name=u.name, size=u.size, url=u.url, headers=u.headers) for u in p.uploads],
            start_url=f"/api/embedding-uploads/{p.job.job_id}/start",
        )


# ---------------------------------------------------------------------- search and collections
class QueryIn(BaseModel):
    query: str = Field(min_length=1, max_length=2000)
    n_results: int = Field(5, ge=1, le=100)


class SearchResultOut(BaseModel):
    document_name: str
    file_type: str
    page_number: int = Field(description="page of a PDF or slide of a PPTX, from 1")
    slide_number: int | None = Field(description="the same number for a PPTX; null for a PDF")
    chunk_index: int
    text: str
    distance: float = Field(description="cosine distance: smaller is closer")

    @classmethod
    def of(cls, h: SearchHit) -> SearchResultOut:
        return cls(
            document_name=h.document,
            file_type=h.kind.value,
            page_number=h.page,
            slide_number=h.page if h.kind.value == "pptx" else None,
            chunk_index=h.chunk_index,
            text=h.text,
            distance=round(h.distance, 6),
        )


class QueryOut(BaseModel):
    collection_name: str
    query: str
    results: list[SearchResultOut]


class CollectionOut(BaseModel):
    name: str
    chunks: int

    @classmethod
    def of(cls, c: CollectionInfo) -> CollectionOut:
        return cls(name=c.name, chunks=c.chunks)


class CollectionsOut(BaseModel):
    collections: list[CollectionOut]


class CollectionDeletedOut(BaseModel):
    name: str
    deleted: bool = True
