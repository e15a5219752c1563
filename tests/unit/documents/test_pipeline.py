"""One file at a time through extract -> chunk -> embed -> store, and the end of a job, with
in-memory fakes (no model, no Chroma)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence

import pytest

from mediabatch.documents import ids
from mediabatch.documents.chunking import ChunkingConfig
from mediabatch.documents.index import LocalDocumentIndex
from mediabatch.documents.models import FileStatus, JobStatus, PageText, Step
from mediabatch.documents.pipeline import EMBED_BATCH, DocumentPipeline, PipelineParts
from mediabatch.documents.ports import ExtractionFailed, TextExtractor
from mediabatch.documents.service import DocumentJobService, IncomingFile
from tests.fakes.documents import (
    PDF,
    HashEmbedder,
    InMemoryDocumentCatalog,
    InMemoryDocumentJobs,
    InMemoryFiles,
    InMemoryVectorStore,
    RecordingStarter,
    ScriptedExtractor,
)

LONG = " ".join(f"token{i}" for i in range(600))
SCRIPT: dict[str, Sequence[str | Exception] | str | Exception] = {
    "good": ["Network security basics", "Firewalls filter packets"],
    "long": [LONG, LONG],
    "encrypted": "The document is encrypted",
    "blank": ["", "   "],
    "bug": RuntimeError("boom"),
    "breaks": [LONG, LONG, LONG, LONG, ExtractionFailed("The document is corrupt or truncated: bad xref")],
}


class World:
    def __init__(
        self, max_batch: int = 5461, extractor: TextExtractor | None = None, embedder: HashEmbedder | None = None
    ) -> None:
        self.jobs = InMemoryDocumentJobs()
        self.files = InMemoryFiles()
        self.starter = RecordingStarter()
        self.store = InMemoryVectorStore(max_batch)
        self.embedder = embedder or HashEmbedder()
        self.catalog = InMemoryDocumentCatalog()
        index = LocalDocumentIndex(self.store, lambda: self.embedder)
        self.service = DocumentJobService(self.jobs, self.files, self.starter, index)
        parts = PipelineParts(
            storage=self.files,
            extractor_for=lambda kind: extractor or ScriptedExtractor(SCRIPT),
            embedder=lambda: self.embedder,
            store=lambda: self.store,
            catalog=self.catalog,
            chunking=ChunkingConfig(size=500, overlap=100),
        )
        self.pipeline = DocumentPipeline(self.jobs, parts)

    def run(self, markers: list[str], collection: str = "course", tenant: str = "t1") -> str:
        files = [IncomingFile(f"{m}.pdf", PDF + m.encode()) for m in markers]
        job = self.service.create(tenant, files, collection, is_batch=len(files) > 1)
        for i in range(len(files)):
            self.pipeline.process_file(tenant, job.job_id, i)
        self.pipeline.finalize(tenant, job.job_id)
        return job.job_id


@pytest.fixture
def world() -> World:
    return World()


def test_bad_files_fail_alone_and_the_batch_is_partially_completed(world: World) -> None:
    job_id = world.run(["good", "encrypted", "blank", "bug", "long"])
    view = world.service.status("t1", job_id)
    files = {f.name: f for f in view.job.files}
    assert view.status is JobStatus.PARTIALLY_COMPLETED
    assert files["good.pdf"].status is FileStatus.COMPLETED and files["good.pdf"].chunks == 2
    assert files["long.pdf"].status is FileStatus.COMPLETED and files["long.pdf"].chunks > 2
    assert files["encrypted.pdf"].error == "The document is encrypted"
    assert files["blank.pdf"].error == "No text could be extracted from the document"
    assert files["bug.pdf"].error == "Processing failed: RuntimeError: boom"
    assert all(
        files[n].status is FileStatus.FAILED and files[n].chunks == 0 for n in ("encrypted.pdf", "blank.pdf", "bug.pdf")
    )
    assert view.metadata is not None and (view.metadata.successful_files, view.metadata.failed_files) == (2, 3)
    assert view.metadata.total_chunks == files["good.pdf"].chunks + files["long.pdf"].chunks


def test_all_good_is_completed_and_all_bad_is_failed(world: World) -> None:
    assert world.service.status("t1", world.run(["good", "long"])).status is JobStatus.COMPLETED
    failed = world.service.status("t1", world.run(["blank", "encrypted"]))
    assert failed.status is JobStatus.FAILED and failed.job.error == "All files failed"


def test_chunks_are_searchable_with_their_page(world: World) -> None:
    world.run(["good", "long"])
    (hit,) = world.service.search("t1", "course", "firewalls filter packets", 1)
    assert (hit.document, hit.page) == ("good.pdf", 2)


def test_reingesting_a_document_replaces_its_chunks(world: World) -> None:
    world.run(["good", "long"])
    before = {n: len(c) for n, c in world.store.collections.items()}
    world.run(["long", "good"])
    assert {n: len(c) for n, c in world.store.collections.items()} == before
    key = ids.document_key("t1", "course", "long.pdf")
    stored = world.store.collections[ids.physical_collection("t1", "course")]
    assert sorted(cid for cid in stored if cid.startswith(key)) == [
        ids.chunk_id(key, i) for i in range(sum(1 for cid in stored if cid.startswith(key)))
    ]


def test_writes_to_the_store_respect_its_batch_size() -> None:
    world = World(max_batch=3)
    world.run(["long", "good"])
    assert world.store.add_sizes and max(world.store.add_sizes) <= 3


def test_progress_is_written_while_embedding(world: World) -> None:
    job_id = world.run(["long", "good"])
    steps = [p.current_step for _, p in world.jobs.progress_writes]
    assert Step.CHUNKING in steps and Step.EMBEDDING in steps and Step.STORING in steps
    embedding = [p for i, p in world.jobs.progress_writes if i == 0 and p.current_step is Step.EMBEDDING]
    assert embedding[-1].chunks_processed == embedding[-1].total_chunks
    assert [p.percentage for p in embedding] == sorted(p.percentage for p in embedding)
    done = world.service.status("t1", job_id).job.files[0].progress
    assert (done.current_step, done.percentage) == (Step.COMPLETED, 100.0)


def test_documents_become_catalog_items_that_locate_their_chunks(world: World) -> None:
    world.run(["good", "long"])
    items = {i.filename: i for i in world.catalog.items.values()}
    item = items["good.pdf"]
    assert item.type.value == "document" and item.folder == "documents/course"
    assert item.metadata["chunks"] == 2 and item.metadata["chunk_id_prefix"] == item.metadata["document_key"] + "-"
    assert item.metadata["vector_collection"] == ids.physical_collection("t1", "course")


def test_a_crashed_worker_fails_only_its_file_and_a_retry_changes_nothing(world: World) -> None:
    job = world.service.create(
        "t1", [IncomingFile(f"{m}.pdf", PDF + m.encode()) for m in ("good", "long")], "c", is_batch=True
    )
    world.pipeline.process_file("t1", job.job_id, 0)
    crashed = world.pipeline.record_crash("t1", job.job_id, 1, "Sandbox.Timedout: Task timed out")
    assert crashed is not None and crashed.error == "Processing failed: Sandbox.Timedout: Task timed out"
    assert world.pipeline.record_crash("t1", job.job_id, 0, "late") is None  # finished files stay as they are
    assert world.pipeline.process_file("t1", job.job_id, 1).status is FileStatus.FAILED
    assert world.pipeline.finalize("t1", job.job_id) is JobStatus.PARTIALLY_COMPLETED
    assert world.pipeline.finalize("t1", job.job_id) is JobStatus.PARTIALLY_COMPLETED


def test_a_file_whose_content_is_not_its_type_fails(world: World) -> None:
    job = world.service.create("t1", [IncomingFile("good.pdf", PDF + b"good")], "c", is_batch=False)
    world.files.objects[job.files[0].storage_key] = b"replaced by something else"
    failed = world.pipeline.process_file("t1", job.job_id, 0)
    assert failed.error == "File 'good.pdf' has invalid type. Allowed types: PDF, PPTX"


def test_the_model_is_not_loaded_for_status_reads(world: World) -> None:
    loads: list[int] = []
    lazy: Callable[[], HashEmbedder] = lambda: loads.append(1) or world.embedder  # noqa: E731
    service = DocumentJobService(world.jobs, world.files, world.starter, LocalDocumentIndex(world.store, lazy))
    job = service.create("t1", [IncomingFile("good.pdf", PDF + b"good")], "c", is_batch=False)
    service.status("t1", job.job_id)
    assert loads == []


class SignallingEmbedder(HashEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.started = threading.Event()

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.started.set()
        return super().embed(texts)


class SlowLastPage:
    """Reads its last page only once the model is at work on the first ones (or after 5 s)."""

    def __init__(self, embedder: SignallingEmbedder) -> None:
        self.embedder = embedder
        self.overlapped = False

    def pages(self, data: bytes) -> Iterator[PageText]:
        for number in range(1, 5):
            yield PageText(number, LONG)
        self.overlapped = self.embedder.started.wait(5)
        yield PageText(5, "the last page")


def test_the_first_pages_are_embedded_while_the_rest_are_read() -> None:
    embedder = SignallingEmbedder()
    extractor = SlowLastPage(embedder)
    world = World(extractor=extractor, embedder=embedder)
    job_id = world.run(["slow"])
    assert extractor.overlapped
    (done,) = world.service.status("t1", job_id).job.files
    assert done.status is FileStatus.COMPLETED and done.chunks > EMBED_BATCH
    (hit,) = world.service.search("t1", "course", "the last page", 1)
    assert (hit.page, hit.chunk_index) == (5, done.chunks - 1)


def test_a_file_that_breaks_after_some_pages_fails_and_stores_nothing(world: World) -> None:
    job_id = world.run(["good", "breaks"])
    files = {f.name: f for f in world.service.status("t1", job_id).job.files}
    assert files["breaks.pdf"].status is FileStatus.FAILED
    assert files["breaks.pdf"].error == "The document is corrupt or truncated: bad xref"
    assert files["good.pdf"].status is FileStatus.COMPLETED
    key = ids.document_key("t1", "course", "breaks.pdf")
    assert not [cid for col in world.store.collections.values() for cid in col if cid.startswith(key)]
    assert [i.filename for i in world.catalog.items.values()] == ["good.pdf"]
