"""What storage really holds of an upload: progress and completion are reconciled against
S3 itself (ListParts / HeadObject), never only against what a client claims."""

from __future__ import annotations

from dataclasses import dataclass, field

from mediabatch.uploads.models import UploadSession, UploadStatus
from mediabatch.uploads.ports import UploadStorage
from mediabatch.uploads.sessions import multipart_id, plan_of, upload_target


@dataclass
class Reconciled:
    good: dict[int, str] = field(default_factory=dict)  # chunk index -> ETag (multipart) or ""
    failed: set[int] = field(default_factory=set)  # stored with the wrong size, or failed to assemble
    missing: list[int] = field(default_factory=list)
    uploaded_bytes: int = 0
    upload_gone: bool = False  # the multipart upload no longer exists (completed or aborted)

    @property
    def lacking(self) -> list[int]:
        """Every chunk still to send, failed or missing, in index order."""
        return sorted(self.failed | set(self.missing))


def reconcile(storage: UploadStorage, session: UploadSession) -> Reconciled:
    rec = _multipart(storage, session) if session.is_chunked else _single_put(storage, session)
    rec.failed |= (set(session.failed_chunks) | set(session.assembly_failures)) - set(rec.good)
    rec.missing = [i for i in range(session.total_chunks) if i not in rec.good and i not in rec.failed]
    return rec


def status_of(session: UploadSession, rec: Reconciled) -> UploadStatus:
    if rec.upload_gone:
        return UploadStatus.FAILED
    if len(rec.good) == session.total_chunks:
        return UploadStatus.UPLOADED
    if rec.good or rec.failed:
        return UploadStatus.UPLOADING
    return UploadStatus.INITIALIZED


def _multipart(storage: UploadStorage, session: UploadSession) -> Reconciled:
    plan = plan_of(session)
    rec = Reconciled()
    parts = storage.list_parts(session.s3_key, multipart_id(session))
    if parts is None:
        rec.upload_gone = True
        return rec
    for number, (size, etag) in parts.items():
        index = number - 1
        if index >= plan.total_chunks:
            continue
        if size == plan.chunk_length(index):
            rec.good[index] = etag
            rec.uploaded_bytes += size
        else:
            rec.failed.add(index)
    return rec


def _single_put(storage: UploadStorage, session: UploadSession) -> Reconciled:
    rec = Reconciled()
    head = storage.head(upload_target(session))
    if head is None:
        return rec
    if head[0] == session.size:
        rec.good[0] = ""
        rec.uploaded_bytes = head[0]
    else:
        rec.failed.add(0)
    return rec
