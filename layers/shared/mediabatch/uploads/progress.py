"""GET /progress and POST /retry: what an upload lacks, and fresh URLs for exactly that."""

from __future__ import annotations

from mediabatch.errors import Conflict, ValidationFailed
from mediabatch.uploads import plan as planning
from mediabatch.uploads.models import ChunkUrl, UploadProgress, UploadSession, UploadStatus
from mediabatch.uploads.ports import UploadSessionRepository, UploadStorage
from mediabatch.uploads.reconcile import reconcile, status_of
from mediabatch.uploads.sessions import load_session
from mediabatch.uploads.signing import ChunkSigner


class ProgressReporter:
    def __init__(self, sessions: UploadSessionRepository, storage: UploadStorage, signer: ChunkSigner) -> None:
        self._sessions = sessions
        self._storage = storage
        self._signer = signer

    def progress(self, tenant_id: str, upload_id: str) -> UploadProgress:
        """Reconciled against storage, and remembered (unless the upload completed meanwhile)."""
        session = load_session(self._sessions, tenant_id, upload_id)
        if session.status is UploadStatus.COMPLETED:
            return self._view(session, session.status, session.total_chunks, session.size, [])
        rec = reconcile(self._storage, session)
        status = status_of(session, rec)
        failed = sorted(rec.failed)
        self._sessions.record_reconciliation(
            session,
            status=status,
            completed_count=len(rec.good),
            uploaded_bytes=rec.uploaded_bytes,
            failed_chunks=failed,
        )
        return self._view(session, status, len(rec.good), rec.uploaded_bytes, failed)

    def retry(
        self, tenant_id: str, upload_id: str, limit: int | None = None, after: int | None = None
    ) -> list[ChunkUrl]:
        """Fresh URLs for exactly the failed and missing chunks, in index order, at most `limit`
        (default: as many as one answer carries); with `after`, only chunks with a higher index
        (a cursor for paging through a large upload while earlier parts are still in flight)."""
        most = planning.URLS_PER_RESPONSE
        limit = most if limit is None else limit
        if not 1 <= limit <= most:
            raise ValidationFailed(
                f"limit must be between 1 and {most}",
                details=[{"field": "limit", "message": f"1..{most}"}],
            )
        session = load_session(self._sessions, tenant_id, upload_id)
        if session.status is UploadStatus.COMPLETED:
            return []
        rec = reconcile(self._storage, session)
        if rec.upload_gone:
            raise Conflict("this upload expired or was aborted; start a new one with /init", code="upload_expired")
        wanted = [i for i in rec.lacking if after is None or i > after]
        return self._signer.urls(session, wanted[:limit])

    def _view(
        self, session: UploadSession, status: UploadStatus, completed: int, uploaded: int, failed: list[int]
    ) -> UploadProgress:
        return UploadProgress(
            session=session,
            status=status,
            completed_count=completed,
            uploaded_bytes=uploaded,
            failed_chunks=failed,
            required_headers=self._signer.required_headers(session),
            urls_expire_in_seconds=self._signer.ttl_seconds,
        )
