"""Fakes of mediabatch.documents.ports: in memory, deterministic, no model and no Chroma."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterator, Sequence

from mediabatch.catalog.models import MediaItem
from mediabatch.documents.models import (
    CollectionInfo,
    DocumentFile,
    DocumentJob,
    DocumentKind,
    FileProgress,
    JobStatus,
    PageText,
    SearchHit,
    StoredChunk,
)
from mediabatch.documents.ports import ExtractionFailed

PDF = b"%PDF-1.7\n"


class InMemoryDocumentJobs:
    def __init__(self) -> None:
        self.jobs: dict[tuple[str, str], DocumentJob] = {}
        self.progress_writes: list[tuple[int, FileProgress]] = []

    def create(self, job: DocumentJob) -> None:
        assert (job.tenant_id, job.job_id) not in self.jobs
        self.jobs[(job.tenant_id, job.job_id)] = job.model_copy(deep=True)

    def get(self, tenant_id: str, job_id: str) -> DocumentJob | None:
        job = self.jobs.get((tenant_id, job_id))
        return job.model_copy(deep=True) if job else None

    def mark_submitted(self, tenant_id: str, job_id: str) -> bool:
        job = self.jobs[(tenant_id, job_id)]
        if job.submitted:
            return False
        job.submitted = True
        return True

    def mark_started(self, tenant_id: str, job_id: str, at: str) -> None:
        job = self.jobs[(tenant_id, job_id)]
        job.started_at = job.started_at or at

    def update_file(self, tenant_id: str, job_id: str, file: DocumentFile) -> None:
        self.jobs[(tenant_id, job_id)].files[file.index] = file.model_copy(deep=True)

    def update_progress(self, tenant_id: str, job_id: str, index: int, progress: FileProgress) -> None:
        self.progress_writes.append((index, progress))
        self.jobs[(tenant_id, job_id)].files[index].progress = progress

    def finish(self, tenant_id: str, job_id: str, status: str, completed_at: str, error: str | None) -> None:
        job = self.jobs[(tenant_id, job_id)]
        if job.final_status is None:
            job.final_status, job.completed_at, job.error = JobStatus(status), completed_at, error


class InMemoryFiles:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.objects[key] = data

    def get(self, key: str) -> bytes:
        return self.objects[key]

    def head(self, key: str) -> int | None:
        return len(self.objects[key]) if key in self.objects else None

    def read_prefix(self, key: str, length: int) -> bytes:
        return self.objects[key][:length]

    def presign_put(self, key: str, *, content_type: str, content_length: int) -> str:
        return f"https://put.test/{key}?type={content_type}&length={content_length}"


class RecordingStarter:
    def __init__(self) -> None:
        self.started: list[tuple[str, str, int]] = []

    def start(self, tenant_id: str, job_id: str, file_count: int) -> None:
        self.started.append((tenant_id, job_id, file_count))


class HashEmbedder:
    """Bag-of-words vectors: texts sharing words are close, as with a real model."""

    dimension = 64

    def __init__(self) -> None:
        self.calls = 0

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls += 1
        out = []
        for text in texts:
            vec = [0.0] * self.dimension
            for word in text.lower().split():
                vec[int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dimension] += 1.0
            norm = math.sqrt(sum(v * v for v in vec)) or 1.0
            out.append([v / norm for v in vec])
        return out


class InMemoryVectorStore:
    def __init__(self, max_batch: int = 5461) -> None:
        self.collections: dict[str, dict[str, tuple[StoredChunk, list[float]]]] = {}
        self.max_batch = max_batch
        self.add_sizes: list[int] = []

    def max_batch_size(self) -> int:
        return self.max_batch

    def delete_document(self, collection: str, document_key: str) -> None:
        col = self.collections.get(collection, {})
        for cid in [cid for cid, (c, _) in col.items() if c.metadata["document_key"] == document_key]:
            del col[cid]

    def add(self, collection: str, chunks: Sequence[StoredChunk], embeddings: Sequence[Sequence[float]]) -> None:
        assert len(chunks) <= self.max_batch
        self.add_sizes.append(len(chunks))
        col = self.collections.setdefault(collection, {})
        for chunk, emb in zip(chunks, embeddings, strict=True):
            col[chunk.id] = (chunk, list(emb))

    def query(self, collection: str, embedding: Sequence[float], n_results: int) -> list[SearchHit] | None:
        if collection not in self.collections:
            return None
        scored = sorted(
            (
                (1.0 - sum(a * b for a, b in zip(embedding, emb, strict=True)), chunk)
                for chunk, emb in self.collections[collection].values()
            ),
            key=lambda pair: (pair[0], pair[1].id),
        )
        return [
            SearchHit(
                document=str(c.metadata["document"]),
                kind=DocumentKind(str(c.metadata["kind"])),
                page=int(c.metadata["page"]),
                chunk_index=int(c.metadata["chunk_index"]),
                text=c.text,
                distance=d,
            )
            for d, c in scored[:n_results]
        ]

    def list_collections(self, prefix: str) -> list[CollectionInfo]:
        return [CollectionInfo(n, len(c)) for n, c in self.collections.items() if n.startswith(prefix)]

    def delete_collection(self, collection: str) -> bool:
        return self.collections.pop(collection, None) is not None


class ScriptedExtractor:
    """Pages per file content: `PDF + b"<marker>"` maps to what `script[marker]` says: a list of
    page texts (an exception in it is raised when reading reaches it, after the pages before it),
    an ExtractionFailed message, or an exception to raise."""

    def __init__(self, script: dict[str, Sequence[str | Exception] | str | Exception]) -> None:
        self.script = script

    def pages(self, data: bytes) -> Iterator[PageText]:
        what = self.script[data.removeprefix(PDF).decode()]
        if isinstance(what, Exception):
            raise what
        if isinstance(what, str):
            raise ExtractionFailed(what)
        return self._read(what)

    @staticmethod
    def _read(pages: Sequence[str | Exception]) -> Iterator[PageText]:
        for number, text in enumerate(pages, start=1):
            if isinstance(text, Exception):
                raise text
            if text:
                yield PageText(number, text)


class InMemoryDocumentCatalog:
    def __init__(self) -> None:
        self.items: dict[str, MediaItem] = {}

    def put(self, item: MediaItem) -> None:
        self.items[item.id] = item


def extractor_for(extractor: ScriptedExtractor) -> Callable[[DocumentKind], ScriptedExtractor]:
    return lambda kind: extractor
