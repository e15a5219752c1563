"""One file through the pipeline (extract -> chunk -> embed -> store), and the end of a job.

Each file is one invocation (the state machine maps over files with bounded concurrency), so
a file that fails, or crashes its worker, fails alone and the batch goes on."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from mediabatch.catalog.models import ProcessingState
from mediabatch.catalog.service import build_item
from mediabatch.documents import ids, limits
from mediabatch.documents.chunking import ChunkingConfig, chunk_page
from mediabatch.documents.models import (
    Chunk,
    DocumentFile,
    DocumentJob,
    DocumentKind,
    FileProgress,
    FileStatus,
    JobStatus,
    Step,
    StoredChunk,
)
from mediabatch.documents.ports import (
    KIND_CONTENT_TYPES,
    NO_TEXT,
    DocumentCatalog,
    DocumentFileStorage,
    DocumentJobRepository,
    Embedder,
    ExtractionFailed,
    TextExtractor,
    VectorStore,
)
from mediabatch.documents.progress import final_status
from mediabatch.documents.service import now_text

logger = logging.getLogger(__name__)
EMBED_BATCH = 32
# Shares of a file's percentage: extraction and chunking up to 20 %, embeddings to 90 %, storing the rest.
_CHUNKED, _EMBEDDED = 20.0, 90.0


@dataclass(frozen=True)
class PipelineParts:
    storage: DocumentFileStorage
    extractor_for: Callable[[DocumentKind], TextExtractor]
    embedder: Callable[[], Embedder]  # loaded on first use, once per worker
    store: Callable[[], VectorStore]  # connected on first use, once per worker
    catalog: DocumentCatalog
    chunking: ChunkingConfig = field(default_factory=ChunkingConfig)


class FileFailed(Exception):
    """Ends one file as failed with this message."""


class DocumentPipeline:
    def __init__(
        self, jobs: DocumentJobRepository, parts: PipelineParts, *, clock: Callable[[], str] = now_text
    ) -> None:
        self._jobs = jobs
        self._parts = parts
        self._clock = clock

    def process_file(self, tenant_id: str, job_id: str, index: int) -> DocumentFile:
        """Never raises for a bad file: it ends `failed` with a message its owner can act on."""
        job = self._jobs.get(tenant_id, job_id)
        if job is None:
            raise LookupError(f"document job {job_id} of {tenant_id} does not exist")
        file = job.files[index]
        if file.finished:  # a retried invocation
            return file
        self._jobs.mark_started(tenant_id, job_id, self._clock())
        file = file.model_copy(update={"status": FileStatus.PROCESSING})
        self._progress(job, file, FileProgress(current_step=Step.EXTRACTING))
        try:
            done = self._run(job, file)
        except FileFailed as exc:
            done = self._failed(file, str(exc))
        except Exception as exc:  # a bug or an outage must not take the batch down
            logger.exception("document %s of job %s failed", file.name, job_id)
            done = self._failed(file, f"Processing failed: {type(exc).__name__}: {exc}")
        self._jobs.update_file(tenant_id, job_id, done)
        return done

    def record_crash(self, tenant_id: str, job_id: str, index: int, error: str) -> DocumentFile | None:
        """The worker of a file died (timeout, out of memory): the file fails, the batch goes on."""
        job = self._jobs.get(tenant_id, job_id)
        if job is None or job.files[index].finished:
            return None
        failed = self._failed(job.files[index], f"Processing failed: {error}")
        self._jobs.update_file(tenant_id, job_id, failed)
        return failed

    def finalize(self, tenant_id: str, job_id: str) -> JobStatus:
        job = self._jobs.get(tenant_id, job_id)
        if job is None:
            raise LookupError(f"document job {job_id} of {tenant_id} does not exist")
        if job.final_status is not None:
            return job.final_status
        for f in job.files:  # a file the map never reached (should not happen) fails rather than hangs
            if not f.finished:
                self._jobs.update_file(tenant_id, job_id, self._failed(f, "Processing failed: not processed"))
        job = self._jobs.get(tenant_id, job_id) or job
        status = final_status(job.files)
        error = "All files failed" if status is JobStatus.FAILED else None
        self._jobs.finish(tenant_id, job_id, status.value, self._clock(), error)
        return status

    # ------------------------------------------------------------------ the steps
    def _run(self, job: DocumentJob, file: DocumentFile) -> DocumentFile:
        parts = self._parts
        data = parts.storage.get(file.storage_key)
        if limits.kind_by_content(data) is not file.kind:
            raise FileFailed(limits.invalid_type(file.name).message)
        chunks, text_length, embeddings = self._read_and_embed(job, file, parts.extractor_for(file.kind), data)
        self._progress(
            job,
            file,
            FileProgress(
                current_step=Step.STORING, percentage=_EMBEDDED, chunks_processed=len(chunks), total_chunks=len(chunks)
            ),
        )
        doc_key = ids.document_key(job.tenant_id, job.collection_name, file.name)
        self._store(job, file, doc_key, chunks, embeddings)
        media_id = ids.media_id(doc_key)
        self._register(job, file, doc_key, media_id, len(chunks))
        return file.model_copy(
            update={
                "status": FileStatus.COMPLETED,
                "chunks": len(chunks),
                "text_length": text_length,
                "media_id": media_id,
                "progress": FileProgress(
                    current_step=Step.COMPLETED,
                    percentage=100.0,
                    chunks_processed=len(chunks),
                    total_chunks=len(chunks),
                ),
            }
        )

    def _read_and_embed(
        self, job: DocumentJob, file: DocumentFile, extractor: TextExtractor, data: bytes
    ) -> tuple[list[Chunk], int, list[list[float]]]:
        """(chunks, text length, their embeddings). Pages are chunked as they are read and every
        full batch of chunks is embedded on a thread of its own meanwhile: extraction is one
        Python thread, the model's runs release the GIL, so a long PDF's extraction and
        embedding overlap instead of adding up (the model also loads during the first pages)."""
        background = ThreadPoolExecutor(1, thread_name_prefix="embed")
        background.submit(self._parts.store)  # a cold worker connects to the store meanwhile too
        try:
            chunks, text_length, batches = self._read(extractor, data, background)
            self._progress(job, file, FileProgress(current_step=Step.CHUNKING, percentage=10.0))
            return chunks, text_length, self._collect(job, file, batches, len(chunks))
        finally:  # a failed read: batches not yet started are dropped, a running one is waited for
            background.shutdown(wait=True, cancel_futures=True)

    def _read(
        self, extractor: TextExtractor, data: bytes, background: ThreadPoolExecutor
    ) -> tuple[list[Chunk], int, list[Future[list[list[float]]]]]:
        chunks: list[Chunk] = []
        text_length = queued = 0  # queued: chunks handed to the background so far
        batches: list[Future[list[list[float]]]] = []
        try:
            for page in extractor.pages(data):
                text_length += len(page.text)
                chunks.extend(chunk_page(page, self._parts.chunking, first_index=len(chunks)))
                while len(chunks) - queued >= EMBED_BATCH:
                    batches.append(background.submit(self._embed, chunks[queued : queued + EMBED_BATCH]))
                    queued += EMBED_BATCH
        except ExtractionFailed as exc:
            raise FileFailed(str(exc)) from exc
        if not chunks:
            raise FileFailed(NO_TEXT)
        if queued < len(chunks):
            batches.append(background.submit(self._embed, chunks[queued:]))
        return chunks, text_length, batches

    def _embed(self, chunks: list[Chunk]) -> list[list[float]]:
        return self._parts.embedder().embed([c.text for c in chunks])

    def _collect(
        self, job: DocumentJob, file: DocumentFile, batches: list[Future[list[list[float]]]], total: int
    ) -> list[list[float]]:
        """The batches' embeddings in order, with progress as each one is in."""
        out: list[list[float]] = []
        for batch in batches:
            out.extend(batch.result())
            share = len(out) / total * (_EMBEDDED - _CHUNKED)
            progress = FileProgress(
                current_step=Step.EMBEDDING,
                percentage=round(_CHUNKED + share, 2),
                chunks_processed=len(out),
                total_chunks=total,
            )
            self._progress(job, file, progress)
        return out

    def _store(
        self, job: DocumentJob, file: DocumentFile, doc_key: str, chunks: list[Chunk], embeddings: list[list[float]]
    ) -> None:
        store = self._parts.store()
        collection = ids.physical_collection(job.tenant_id, job.collection_name)
        stored = [
            StoredChunk(
                id=ids.chunk_id(doc_key, c.index),
                text=c.text,
                metadata={
                    "document": file.name,
                    "document_key": doc_key,
                    "kind": file.kind.value,
                    "page": c.page,
                    "chunk_index": c.index,
                    "job_id": job.job_id,
                },
            )
            for c in chunks
        ]
        store.delete_document(collection, doc_key)  # re-ingesting replaces the old chunks
        batch = max(1, store.max_batch_size())
        for start in range(0, len(stored), batch):
            store.add(collection, stored[start : start + batch], embeddings[start : start + batch])

    def _register(self, job: DocumentJob, file: DocumentFile, doc_key: str, media_id: str, chunks: int) -> None:
        """The catalog item records where the chunks live, so deleting the media can remove them."""
        item = build_item(
            tenant_id=job.tenant_id,
            media_id=media_id,
            storage_key=file.storage_key,
            filename=file.name,
            size=file.size,
            content_type=KIND_CONTENT_TYPES[file.kind],
            folder=f"documents/{job.collection_name}",
            title=file.name,
            metadata={
                "source": "document_embedding",
                "job_id": job.job_id,
                "collection_name": job.collection_name,
                "vector_collection": ids.physical_collection(job.tenant_id, job.collection_name),
                "document_key": doc_key,
                "chunk_id_prefix": f"{doc_key}-",
                "chunks": chunks,
            },
            processing=ProcessingState.READY,
        )
        self._parts.catalog.put(item)

    def _progress(self, job: DocumentJob, file: DocumentFile, progress: FileProgress) -> None:
        if file.status is FileStatus.PROCESSING and progress.current_step is Step.EXTRACTING:
            self._jobs.update_file(job.tenant_id, job.job_id, file.model_copy(update={"progress": progress}))
        else:
            self._jobs.update_progress(job.tenant_id, job.job_id, file.index, progress)

    @staticmethod
    def _failed(file: DocumentFile, error: str) -> DocumentFile:
        return file.model_copy(
            update={
                "status": FileStatus.FAILED,
                "chunks": 0,
                "error": error,
                "progress": file.progress.model_copy(update={"current_step": Step.FAILED}),
            }
        )
