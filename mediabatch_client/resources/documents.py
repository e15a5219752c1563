"""Document batches (the seed's Batch Document Upload API): PDF and PPTX files become chunks
with embeddings in a collection, searchable by meaning.

`documents.embed(paths, collection=...)` picks the path by size: a multipart request
(`/api/start-embedding` for one file, `/api/start-embedding-batch` for 2-10) while the files fit
in one API request, else presigned PUTs straight to storage (`/api/embedding-uploads`, then
`/start`). Both make the same job: `status(job_id)` / `watch(job_id)` follow it per file.

These routes answer errors as `{"detail": "..."}` (the seed's shape); the SDK raises them as its
usual exceptions, coded by status (400 `bad_request`, 404 `not_found`, 413 `payload_too_large`,
500 `internal_error`), with the seed's message."""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import quote

from mediabatch_client.resources._base import WireModel
from mediabatch_client.resources._polling import last_of, poll
from mediabatch_client.transport import Transport, new_idempotency_key

__all__ = [
    "DOCUMENT_TERMINAL",
    "MULTIPART_LIMIT",
    "BatchDocumentStatus",
    "BatchFile",
    "Collection",
    "CollectionDeleted",
    "CollectionList",
    "DocumentJobStatus",
    "Documents",
    "FileProgress",
    "FileState",
    "JobMetadata",
    "PresignedJob",
    "PresignedUpload",
    "SearchResult",
    "SearchResults",
    "SingleDocumentStatus",
    "StartedBatch",
    "StartedEmbedding",
]

DOCUMENT_TERMINAL = frozenset({"completed", "partially_completed", "failed"})
# Multipart bodies reach the Lambda base64-encoded inside a 6 MB event (docs/limits.md): about
# 4.4 MB of files fit; past this many bytes the files go through presigned URLs.
MULTIPART_LIMIT = 4 * 1024 * 1024
_TYPES = {
    ".pdf": "application/pdf",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}


class StartedEmbedding(WireModel):
    wire_schema = "StartEmbeddingOut"
    job_id: str
    status: str = "queued"
    message: str = "Job created successfully. Use job_id to check status."


class StartedBatch(WireModel):
    wire_schema = "StartBatchOut"
    job_id: str
    status: str = "queued"
    total_files: int
    message: str


class PresignedUpload(WireModel):
    wire_schema = "PresignedUploadOut"
    name: str
    size: int
    method: str = "PUT"
    url: str
    headers: dict[str, str]


class PresignedJob(WireModel):
    wire_schema = "PresignedJobOut"
    job_id: str
    status: str = "queued"
    is_batch: bool
    total_files: int
    collection_name: str
    uploads: list[PresignedUpload]
    start_url: str


class FileProgress(WireModel):
    wire_schema = "FileProgressOut"
    current_step: str
    percentage: float
    chunks_processed: int
    total_chunks: int


class JobMetadata(WireModel):
    wire_schema = "JobMetadataOut"
    total_chunks: int
    total_text_length: int
    processing_time_seconds: float
    successful_files: int
    failed_files: int


class BatchFile(WireModel):
    wire_schema = "BatchFileOut"
    name: str
    status: str
    chunks: int
    error: str | None


@dataclass(frozen=True)
class FileState:
    """One file of a job, the same for both shapes: what a progress view draws."""

    name: str
    status: str
    step: str
    percentage: float
    error: str | None


class SingleDocumentStatus(WireModel):
    """GET /api/job-status/{id} of a one-file job."""

    wire_schema = "SingleJobStatusOut"
    job_id: str
    status: str
    file_name: str
    file_type: str
    collection_name: str
    progress: FileProgress
    created_at: str
    started_at: str | None
    completed_at: str | None
    error: str | None
    metadata: JobMetadata | None

    @property
    def finished(self) -> bool:
        return self.status in DOCUMENT_TERMINAL

    @property
    def percent(self) -> float:
        return self.progress.percentage

    def files_state(self) -> list[FileState]:
        p = self.progress
        status = {"queued": "pending", "partially_completed": "completed"}.get(self.status, self.status)
        return [FileState(self.file_name, status, p.current_step, p.percentage, self.error)]


class BatchDocumentStatus(WireModel):
    """GET /api/job-status/{id} of a batch (`is_batch: true`)."""

    wire_schema = "BatchJobStatusOut"
    job_id: str
    status: str
    is_batch: bool = True
    total_files: int
    processed_files: int
    current_file: str | None
    current_file_progress: FileProgress | None = None
    overall_progress: float
    collection_name: str
    files: list[BatchFile]
    created_at: str
    started_at: str | None
    completed_at: str | None
    error: str | None
    metadata: JobMetadata | None = None

    @property
    def finished(self) -> bool:
        return self.status in DOCUMENT_TERMINAL

    @property
    def percent(self) -> float:
        return self.overall_progress

    def files_state(self) -> list[FileState]:
        current = self.current_file_progress
        states = []
        for f in self.files:
            if f.status == "processing" and f.name == self.current_file and current is not None:
                step, percentage = current.current_step, current.percentage
            else:
                step = {"pending": "queued"}.get(f.status, f.status)
                percentage = 100.0 if f.status in ("completed", "failed") else 0.0
            states.append(FileState(f.name, f.status, step, percentage, f.error))
        return states


DocumentJobStatus = SingleDocumentStatus | BatchDocumentStatus


class SearchResult(WireModel):
    wire_schema = "SearchResultOut"
    document_name: str
    file_type: str
    page_number: int
    slide_number: int | None
    chunk_index: int
    text: str
    distance: float


class SearchResults(WireModel):
    wire_schema = "QueryOut"
    collection_name: str
    query: str
    results: list[SearchResult]


class Collection(WireModel):
    wire_schema = "CollectionOut"
    name: str
    chunks: int


class CollectionList(WireModel):
    wire_schema = "CollectionsOut"
    collections: list[Collection]


class CollectionDeleted(WireModel):
    wire_schema = "CollectionDeletedOut"
    name: str
    deleted: bool = True


def _content_type(path: Path) -> str:
    return _TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def _q(value: str) -> str:
    return quote(value, safe="")


Via = Literal["auto", "multipart", "presigned"]


class Documents:
    """`client.documents`: embed PDF/PPTX files into a collection, follow the job, search."""

    def __init__(self, transport: Transport, *, multipart_limit: int = MULTIPART_LIMIT) -> None:
        self._t = transport
        self.multipart_limit = multipart_limit

    def embed(
        self,
        paths: Sequence[Path | str],
        *,
        collection: str | None = None,
        via: Via = "auto",
        idempotency_key: str | None = None,
    ) -> StartedEmbedding | StartedBatch:
        """Start a job for 1-10 files. `via="auto"`: multipart while the files' total size is at
        most `multipart_limit`, else presigned. Returns once the job is queued (see `watch`)."""
        files = [Path(p) for p in paths]
        if not files:
            raise ValueError("no files to embed")
        if via == "auto":
            via = "multipart" if sum(p.stat().st_size for p in files) <= self.multipart_limit else "presigned"
        key = idempotency_key or new_idempotency_key()
        if via == "presigned":
            return self._presigned(files, collection, key)
        return self._multipart(files, collection, key)

    def _multipart(self, files: list[Path], collection: str | None, key: str) -> StartedEmbedding | StartedBatch:
        field, route = ("file", "/api/start-embedding") if len(files) == 1 else ("files", "/api/start-embedding-batch")
        form = [(field, (p.name, p.read_bytes(), _content_type(p))) for p in files]
        data = {"collection_name": collection} if collection else None
        answer = self._t.request("POST", route, files=form, data=data, idempotency_key=key)
        return StartedEmbedding.model_validate(answer) if len(files) == 1 else StartedBatch.model_validate(answer)

    def _presigned(self, files: list[Path], collection: str | None, key: str) -> StartedEmbedding | StartedBatch:
        job = self.open_upload(files, collection=collection, idempotency_key=key)
        for upload, path in zip(job.uploads, files, strict=True):
            self._t.put_object(upload.url, path.read_bytes(), upload.headers)
        return self.start_upload(job.job_id)

    def open_upload(
        self, paths: Sequence[Path], *, collection: str | None = None, idempotency_key: str | None = None
    ) -> PresignedJob:
        """POST /api/embedding-uploads: a URL (and headers) to PUT each file to."""
        body: dict[str, object] = {"files": [{"name": p.name, "size": p.stat().st_size} for p in paths]}
        if collection:
            body["collection_name"] = collection
        data = self._t.request(
            "POST", "/api/embedding-uploads", json=body, idempotency_key=idempotency_key or new_idempotency_key()
        )
        return PresignedJob.model_validate(data)

    def start_upload(self, job_id: str) -> StartedEmbedding | StartedBatch:
        """POST /api/embedding-uploads/{job_id}/start, once every file was PUT (a second call
        answers the same job)."""
        data = self._t.request("POST", f"/api/embedding-uploads/{_q(job_id)}/start", safe=True)
        return StartedBatch.model_validate(data) if "total_files" in data else StartedEmbedding.model_validate(data)

    def status(self, job_id: str) -> DocumentJobStatus:
        data = self._t.request("GET", f"/api/job-status/{_q(job_id)}")
        if isinstance(data, dict) and "files" in data:
            return BatchDocumentStatus.model_validate(data)
        return SingleDocumentStatus.model_validate(data)

    def watch(self, job_id: str, *, interval: float = 1.0, timeout: float | None = None) -> Iterator[DocumentJobStatus]:
        """Each state of the job, polled every `interval` s, the last one finished (completed,
        partially_completed or failed); TimeoutError after `timeout` s."""
        return poll(lambda: self.status(job_id), what=f"document job {job_id}", interval=interval, timeout=timeout)

    def wait(self, job_id: str, *, interval: float = 1.0, timeout: float | None = None) -> DocumentJobStatus:
        return last_of(self.watch(job_id, interval=interval, timeout=timeout))

    def search(self, collection: str, query: str, *, n_results: int = 5) -> list[SearchResult]:
        """The chunks nearest to `query` in meaning, nearest first."""
        data = self._t.request(
            "POST", f"/api/collections/{_q(collection)}/query", json={"query": query, "n_results": n_results}, safe=True
        )
        return SearchResults.model_validate(data).results

    def collections(self) -> list[Collection]:
        return CollectionList.model_validate(self._t.request("GET", "/api/collections")).collections

    def delete_collection(self, collection: str) -> CollectionDeleted:
        return CollectionDeleted.model_validate(self._t.request("DELETE", f"/api/collections/{_q(collection)}"))
