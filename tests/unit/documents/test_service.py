"""Creating, reading and searching document jobs; tenants never see each other's."""

from __future__ import annotations

import pytest

from mediabatch.documents.index import LocalDocumentIndex
from mediabatch.documents.limits import DocumentRequestInvalid, NamedSize
from mediabatch.documents.models import JobStatus
from mediabatch.documents.service import DocumentJobService, IncomingFile
from mediabatch.errors import NotFound, ValidationFailed
from tests.fakes.documents import (
    PDF,
    HashEmbedder,
    InMemoryDocumentJobs,
    InMemoryFiles,
    InMemoryVectorStore,
    RecordingStarter,
)


class Parts:
    def __init__(self) -> None:
        self.jobs = InMemoryDocumentJobs()
        self.files = InMemoryFiles()
        self.starter = RecordingStarter()
        self.store = InMemoryVectorStore()
        self.service = DocumentJobService(
            self.jobs,
            self.files,
            self.starter,
            LocalDocumentIndex(self.store, HashEmbedder),
            clock=lambda: "2025-11-09T10:30:00.000000",
        )


@pytest.fixture
def parts() -> Parts:
    return Parts()


def test_create_stores_the_files_and_starts_the_pipeline(parts: Parts) -> None:
    files = [IncomingFile("lecture1.pdf", PDF + b"a"), IncomingFile("lecture2.pdf", PDF + b"b")]
    job = parts.service.create("t1", files, "course", is_batch=True)
    assert parts.starter.started == [("t1", job.job_id, 2)]
    assert [parts.files.objects[f.storage_key] for f in job.files] == [PDF + b"a", PDF + b"b"]
    assert all(f.storage_key.startswith(f"tenants/t1/documents/{job.job_id}/") for f in job.files)
    view = parts.service.status("t1", job.job_id)
    assert view.status is JobStatus.QUEUED and [f.name for f in view.job.files] == ["lecture1.pdf", "lecture2.pdf"]


def test_the_collection_defaults_to_a_timestamp(parts: Parts) -> None:
    job = parts.service.create("t1", [IncomingFile("a.pdf", PDF), IncomingFile("b.pdf", PDF)], None, is_batch=True)
    assert job.collection_name == "batch_20251109_103000"


def test_nothing_is_stored_or_started_for_a_refused_batch(parts: Parts) -> None:
    files = [IncomingFile("a.pdf", PDF), IncomingFile("b.pdf", b"no pdf")]
    with pytest.raises(DocumentRequestInvalid, match=r"File 'b\.pdf' has invalid type"):
        parts.service.create("t1", files, "c", is_batch=True)
    assert parts.files.objects == {} and parts.starter.started == [] and parts.jobs.jobs == {}


def test_another_tenants_job_is_missing_like_any_other(parts: Parts) -> None:
    job = parts.service.create("t1", [IncomingFile("a.pdf", PDF)], "c", is_batch=False)
    for tenant, job_id in (("t2", job.job_id), ("t1", "00000000-0000-4000-8000-000000000000"), ("t1", "nope")):
        with pytest.raises(NotFound) as raised:
            parts.service.status(tenant, job_id)
        assert raised.value.message == "Job not found"


def test_presigned_jobs_start_once_every_file_arrived(parts: Parts) -> None:
    opened = parts.service.init_presigned("t1", [NamedSize("big.pdf", 9), NamedSize("deck.pptx", 6)], "c")
    assert opened.job.is_batch and not opened.job.submitted and parts.starter.started == []
    assert opened.uploads[1].headers == {
        "Content-Type": "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    }
    with pytest.raises(DocumentRequestInvalid, match=r"File 'big\.pdf' has not been uploaded"):
        parts.service.start_presigned("t1", opened.job.job_id)
    big, deck = opened.job.files
    parts.files.objects[big.storage_key] = PDF
    parts.files.objects[deck.storage_key] = b"PK\x03\x04xy"
    job = parts.service.start_presigned("t1", opened.job.job_id)
    assert job.submitted and parts.starter.started == [("t1", job.job_id, 2)]
    parts.service.start_presigned("t1", opened.job.job_id)
    assert len(parts.starter.started) == 1, "a second start does not run the job twice"


def test_presigned_files_must_have_their_declared_size_and_type(parts: Parts) -> None:
    opened = parts.service.init_presigned("t1", [NamedSize("one.pdf", 9)], "c")
    assert not opened.job.is_batch
    key = opened.job.files[0].storage_key
    parts.files.objects[key] = PDF + b"x"
    with pytest.raises(DocumentRequestInvalid, match="has 10 bytes, 9 were declared"):
        parts.service.start_presigned("t1", opened.job.job_id)
    parts.files.objects[key] = b"not a pdf"
    with pytest.raises(DocumentRequestInvalid, match="has invalid type"):
        parts.service.start_presigned("t1", opened.job.job_id)


def test_search_and_collections_stay_within_the_tenant(parts: Parts) -> None:
    parts.store.collections["mb-t1.course"] = {}
    parts.store.collections["mb-t2.course"] = {}
    assert [c.name for c in parts.service.collections("t1")] == ["course"]
    assert parts.service.search("t1", "course", "anything", 3) == []
    with pytest.raises(NotFound, match="Collection 'other' not found"):
        parts.service.search("t1", "other", "anything", 3)
    with pytest.raises(ValidationFailed):
        parts.service.search("t1", "course", "  ", 3)
    parts.service.delete_collection("t1", "course")
    assert "mb-t2.course" in parts.store.collections
    with pytest.raises(NotFound):
        parts.service.delete_collection("t1", "course")
