"""Document jobs as users see them: create (multipart or presigned), read, search, collections."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from mediabatch.documents import ids, limits
from mediabatch.documents.limits import DocumentRequestInvalid, NamedSize
from mediabatch.documents.models import (
    CollectionInfo,
    DocumentFile,
    DocumentJob,
    JobView,
    PresignedFile,
    PresignedJob,
    SearchHit,
)
from mediabatch.documents.ports import (
    KIND_CONTENT_TYPES,
    DocumentFileStorage,
    DocumentIndex,
    DocumentJobRepository,
    JobStarter,
)
from mediabatch.documents.progress import TIME_FORMAT, view
from mediabatch.errors import NotFound, ValidationFailed

MAX_RESULTS = 100
MAX_QUERY_CHARS = 2000
_UNSAFE = re.compile(r"[^\w.\-]+")


def now_text() -> str:
    return datetime.now(UTC).strftime(TIME_FORMAT)


@dataclass(frozen=True)
class IncomingFile:
    name: str
    data: bytes


class DocumentJobService:
    def __init__(
        self,
        jobs: DocumentJobRepository,
        storage: DocumentFileStorage,
        starter: JobStarter,
        index: DocumentIndex,
        *,
        clock: Callable[[], str] = now_text,
    ) -> None:
        self._jobs = jobs
        self._storage = storage
        self._starter = starter
        self._index = index
        self._clock = clock

    # ------------------------------------------------------------------ create
    def create(
        self, tenant_id: str, files: Sequence[IncomingFile], collection_name: str | None, *, is_batch: bool
    ) -> DocumentJob:
        """Validates as the seed says (count, then per file type and size, then the total; the
        type by name and by content), stores the files and starts the pipeline."""
        limits.check_count(len(files), minimum=limits.MIN_BATCH_FILES if is_batch else 1)
        limits.check_files([NamedSize(f.name, len(f.data)) for f in files])
        for f in files:
            limits.check_content(f.name, f.data)
        job = self._new_job(tenant_id, [NamedSize(f.name, len(f.data)) for f in files], collection_name, is_batch)
        for f, stored in zip(files, job.files, strict=True):
            self._storage.put(stored.storage_key, f.data, KIND_CONTENT_TYPES[stored.kind])
        self._jobs.create(job)
        self._starter.start(tenant_id, job.job_id, len(job.files))
        return job

    def init_presigned(self, tenant_id: str, files: Sequence[NamedSize], collection_name: str | None) -> PresignedJob:
        """A job whose files the client PUTs straight to storage (past API Gateway's 10 MB);
        one file makes a single-file job, 2-10 a batch."""
        limits.check_count(len(files), minimum=1)
        job = self._new_job(tenant_id, list(files), collection_name, is_batch=len(files) > 1, submitted=False)
        self._jobs.create(job)
        uploads = []
        for f in job.files:
            content_type = KIND_CONTENT_TYPES[f.kind]
            url = self._storage.presign_put(f.storage_key, content_type=content_type, content_length=f.size)
            uploads.append(PresignedFile(f.name, f.size, url, {"Content-Type": content_type}))
        return PresignedJob(job, uploads)

    def start_presigned(self, tenant_id: str, job_id: str) -> DocumentJob:
        """Checks every file arrived with its declared size and a PDF or zip header, then starts
        (once: a second call answers the same job)."""
        job = self._job(tenant_id, job_id)
        if job.submitted:
            return job
        for f in job.files:
            size = self._storage.head(f.storage_key)
            if size is None:
                raise DocumentRequestInvalid(f"File '{f.name}' has not been uploaded", code="file_not_uploaded")
            if size != f.size:
                raise DocumentRequestInvalid(
                    f"File '{f.name}' has {size} bytes, {f.size} were declared", code="file_size_mismatch"
                )
            if limits.kind_by_prefix(self._storage.read_prefix(f.storage_key, 1024)) is not f.kind:
                raise limits.invalid_type(f.name)
        if self._jobs.mark_submitted(tenant_id, job_id):
            self._starter.start(tenant_id, job_id, len(job.files))
        return self._job(tenant_id, job_id)

    def _new_job(
        self,
        tenant_id: str,
        files: list[NamedSize],
        collection_name: str | None,
        is_batch: bool,
        *,
        submitted: bool = True,
    ) -> DocumentJob:
        kinds = limits.check_files(files)
        created = self._clock()
        name = limits.check_collection_name(collection_name or default_collection_name(created))
        job_id = str(uuid.uuid4())
        return DocumentJob(
            tenant_id=tenant_id,
            job_id=job_id,
            is_batch=is_batch,
            collection_name=name,
            created_at=created,
            submitted=submitted,
            files=[
                DocumentFile(
                    index=i,
                    name=f.name,
                    kind=kind,
                    size=f.size,
                    storage_key=f"tenants/{tenant_id}/documents/{job_id}/{i:02d}-{safe_name(f.name)}",
                )
                for i, (f, kind) in enumerate(zip(files, kinds, strict=True))
            ],
        )

    # ------------------------------------------------------------------ read
    def status(self, tenant_id: str, job_id: str) -> JobView:
        return view(self._job(tenant_id, job_id))

    def _job(self, tenant_id: str, job_id: str) -> DocumentJob:
        """Another tenant's job is missing, exactly like a job that never existed."""
        job = self._jobs.get(tenant_id, job_id) if _is_uuid(job_id) else None
        if job is None:
            raise NotFound("Job not found", code="job_not_found")
        return job

    # ------------------------------------------------------------------ search and collections
    def search(self, tenant_id: str, collection_name: str, query: str, n_results: int) -> list[SearchHit]:
        if not query.strip() or len(query) > MAX_QUERY_CHARS:
            raise ValidationFailed(f"query must have 1-{MAX_QUERY_CHARS} characters", code="invalid_query")
        if not 1 <= n_results <= MAX_RESULTS:
            raise ValidationFailed(f"n_results must be between 1 and {MAX_RESULTS}", code="invalid_n_results")
        physical = ids.physical_collection(tenant_id, limits.check_collection_name(collection_name))
        hits = self._index.search(physical, query, n_results)
        if hits is None:
            raise _collection_not_found(collection_name)
        return hits

    def collections(self, tenant_id: str) -> list[CollectionInfo]:
        prefix = ids.tenant_prefix(tenant_id)
        found = self._index.collections(prefix)
        return sorted((CollectionInfo(c.name.removeprefix(prefix), c.chunks) for c in found), key=lambda c: c.name)

    def delete_collection(self, tenant_id: str, collection_name: str) -> None:
        physical = ids.physical_collection(tenant_id, limits.check_collection_name(collection_name))
        if not self._index.delete_collection(physical):
            raise _collection_not_found(collection_name)


def _collection_not_found(name: str) -> NotFound:
    return NotFound(f"Collection '{name}' not found", code="collection_not_found")


def default_collection_name(created: str) -> str:
    """The seed's default: a timestamp (`batch_20251109_103000`)."""
    stamp = datetime.strptime(created, TIME_FORMAT)
    return stamp.strftime("batch_%Y%m%d_%H%M%S")


def safe_name(name: str) -> str:
    base = _UNSAFE.sub("_", name.replace("/", "_").replace("\\", "_")).strip("._") or "document"
    return base[-120:]


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _is_uuid(value: str) -> bool:
    return bool(_UUID.fullmatch(value))
