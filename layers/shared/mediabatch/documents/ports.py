"""What the document pipeline needs from the outside world, and the errors that cross it.

Adapters (mediabatch/adapters/{pdf,pptx,embeddings,chroma,dynamodb,s3,stepfunctions}) implement
these structurally; tests/fakes/documents.py holds in-memory versions."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from mediabatch.catalog.models import MediaItem
from mediabatch.documents.models import (
    CollectionInfo,
    DocumentFile,
    DocumentJob,
    DocumentKind,
    FileProgress,
    PageText,
    SearchHit,
    StoredChunk,
)

NO_TEXT = "No text could be extracted from the document"


class ExtractionFailed(Exception):
    """A file whose text cannot be read; the message is what its owner sees."""


class TextExtractor(Protocol):
    """Text per page or slide of one file (bytes in memory: at most 50 MB, the seed's limit)."""

    def pages(self, data: bytes) -> Iterator[PageText]:
        """The pages with text, in order, as they are read (the pipeline embeds the first ones
        while the rest are being extracted). Raises ExtractionFailed, possibly after some pages,
        for encrypted, corrupt, truncated, oversized or text-less input."""
        ...


class Embedder(Protocol):
    """Unit-length embeddings of texts, in order."""

    @property
    def dimension(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> list[list[float]]: ...


class VectorStore(Protocol):
    """Chunks and their embeddings in named collections (physical names: see ids.py)."""

    def max_batch_size(self) -> int: ...

    def delete_document(self, collection: str, document_key: str) -> None:
        """Remove every chunk of one document (re-ingesting replaces, never duplicates)."""
        ...

    def add(self, collection: str, chunks: Sequence[StoredChunk], embeddings: Sequence[Sequence[float]]) -> None: ...

    def query(self, collection: str, embedding: Sequence[float], n_results: int) -> list[SearchHit] | None:
        """Nearest chunks first; None when the collection does not exist."""
        ...

    def list_collections(self, prefix: str) -> list[CollectionInfo]:
        """Collections whose physical name starts with prefix (names returned as stored)."""
        ...

    def delete_collection(self, collection: str) -> bool:
        """False when there was none."""
        ...


class DocumentJobRepository(Protocol):
    """Jobs by tenant; each file is its own record so parallel workers update files independently."""

    def create(self, job: DocumentJob) -> None: ...

    def get(self, tenant_id: str, job_id: str) -> DocumentJob | None: ...

    def mark_submitted(self, tenant_id: str, job_id: str) -> bool:
        """False if the job was already submitted (a second /start)."""
        ...

    def mark_started(self, tenant_id: str, job_id: str, at: str) -> None:
        """Sets started_at unless it is set already."""
        ...

    def update_file(self, tenant_id: str, job_id: str, file: DocumentFile) -> None: ...

    def update_progress(self, tenant_id: str, job_id: str, index: int, progress: FileProgress) -> None: ...

    def finish(self, tenant_id: str, job_id: str, status: str, completed_at: str, error: str | None) -> None: ...


class DocumentFileStorage(Protocol):
    """The uploaded files (S3)."""

    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes: ...

    def head(self, key: str) -> int | None:
        """Size of the object, or None when there is none."""
        ...

    def read_prefix(self, key: str, length: int) -> bytes: ...

    def presign_put(self, key: str, *, content_type: str, content_length: int) -> str: ...


class JobStarter(Protocol):
    """Starts the pipeline of one job (the state machine)."""

    def start(self, tenant_id: str, job_id: str, file_count: int) -> None: ...


class DocumentCatalog(Protocol):
    """Documents are media items of type `document` (replaced when a document is re-ingested)."""

    def put(self, item: MediaItem) -> None: ...


KIND_CONTENT_TYPES: dict[DocumentKind, str] = {
    DocumentKind.PDF: "application/pdf",
    DocumentKind.PPTX: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}


class DocumentIndex(Protocol):
    """Search and collections by physical name. In-process where the model and Chroma are at
    hand (index.py), or through the worker function: on AWS the zip API function carries
    neither torch, the model nor Chroma's client."""

    def search(self, collection: str, query: str, n_results: int) -> list[SearchHit] | None:
        """Nearest chunks first; None when the collection does not exist."""
        ...

    def collections(self, prefix: str) -> list[CollectionInfo]: ...

    def delete_collection(self, collection: str) -> bool: ...
