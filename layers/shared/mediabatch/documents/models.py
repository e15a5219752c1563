"""Document jobs, their files, and the text that flows through the pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import BaseModel, Field


class JobStatus(StrEnum):
    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETED = "completed"
    PARTIALLY_COMPLETED = "partially_completed"
    FAILED = "failed"


class FileStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"


class DocumentKind(StrEnum):
    PDF = "pdf"
    PPTX = "pptx"


class Step(StrEnum):
    """Where a file is in the pipeline (the seed's `current_step`)."""

    QUEUED = "queued"
    EXTRACTING = "extracting_text"
    CHUNKING = "chunking"
    EMBEDDING = "generating_embeddings"
    STORING = "storing_embeddings"
    COMPLETED = "completed"
    FAILED = "failed"


class FileProgress(BaseModel):
    current_step: Step = Step.QUEUED
    percentage: float = 0.0
    chunks_processed: int = 0
    total_chunks: int = 0


class DocumentFile(BaseModel):
    """One file of a job; stored on its own so parallel workers never write the same record."""

    index: int
    name: str
    kind: DocumentKind
    size: int
    storage_key: str
    status: FileStatus = FileStatus.PENDING
    chunks: int = 0
    text_length: int = 0
    error: str | None = None
    progress: FileProgress = Field(default_factory=FileProgress)
    media_id: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in (FileStatus.COMPLETED, FileStatus.FAILED)


class DocumentJob(BaseModel):
    tenant_id: str
    job_id: str
    is_batch: bool
    collection_name: str
    created_at: str
    started_at: str | None = None
    completed_at: str | None = None
    # Set once by the finaliser; before that the status follows from the files.
    final_status: JobStatus | None = None
    error: str | None = None
    # False while a presigned job waits for its files to be PUT and /start to be called.
    submitted: bool = True
    files: list[DocumentFile] = Field(default_factory=list)


@dataclass(frozen=True)
class JobMetadata:
    """The seed's `metadata` of a finished job."""

    total_chunks: int
    total_text_length: int
    processing_time_seconds: float
    successful_files: int
    failed_files: int


@dataclass(frozen=True)
class JobView:
    """A job as its owner reads it: the stored job plus what follows from it."""

    job: DocumentJob
    status: JobStatus
    processed_files: int
    current_file: DocumentFile | None
    overall_progress: float
    metadata: JobMetadata | None


@dataclass(frozen=True)
class PageText:
    """The text of one page (PDF) or slide (PPTX), numbered from 1."""

    number: int
    text: str


@dataclass(frozen=True)
class ExtractedDocument:
    kind: DocumentKind
    pages: list[PageText]

    @property
    def text_length(self) -> int:
        return sum(len(p.text) for p in self.pages)


@dataclass(frozen=True)
class Chunk:
    index: int
    text: str
    page: int  # the page or slide where the chunk starts


@dataclass(frozen=True)
class StoredChunk:
    """What the vector store keeps per chunk (besides its embedding)."""

    id: str
    text: str
    metadata: dict[str, str | int] = field(default_factory=dict)


@dataclass(frozen=True)
class SearchHit:
    document: str
    kind: DocumentKind
    page: int
    chunk_index: int
    text: str
    distance: float


@dataclass(frozen=True)
class CollectionInfo:
    name: str
    chunks: int


@dataclass(frozen=True)
class PresignedFile:
    name: str
    size: int
    url: str
    headers: dict[str, str]


@dataclass(frozen=True)
class PresignedJob:
    job: DocumentJob
    uploads: list[PresignedFile]
