"""Finding a tenant's upload session, and where its bytes go."""

from __future__ import annotations

import re
import time

from mediabatch.errors import Conflict, NotFound
from mediabatch.uploads.models import UploadSession, UploadStatus
from mediabatch.uploads.plan import UploadPlan
from mediabatch.uploads.ports import UploadSessionRepository

SESSION_TTL_SECONDS = 24 * 3600
STAGING_PREFIX = "staging/uploads/"  # template.yaml: the bucket's lifecycle rule expires `staging/`
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def load_session(sessions: UploadSessionRepository, tenant_id: str, upload_id: str) -> UploadSession:
    """The tenant's session; another tenant's is not found, exactly like a missing one. An
    unfinished session past its expiry is refused (its multipart upload may be gone)."""
    session = sessions.get(tenant_id, upload_id) if _UUID.fullmatch(upload_id) else None
    if session is None:
        raise NotFound(f"upload {upload_id} not found", code="upload_not_found")
    if session.status is not UploadStatus.COMPLETED and time.time() > session.expires_at_epoch:
        raise Conflict("this upload expired; start a new one with /init", code="upload_expired")
    return session


def upload_target(session: UploadSession) -> str:
    """Where the client's bytes go: a single PUT lands in staging (under the expiring
    `staging/` prefix) and is copied into place at /complete; parts go to the multipart upload
    of the final key, which ceases to accept parts once completed."""
    if session.is_chunked:
        return session.s3_key
    return f"{STAGING_PREFIX}{session.tenant_id}/{session.upload_id}/{session.s3_key.rsplit('/', 1)[-1]}"


def plan_of(session: UploadSession) -> UploadPlan:
    return UploadPlan(
        size=session.size,
        is_chunked=session.is_chunked,
        chunk_size=session.chunk_size,
        total_chunks=session.total_chunks,
    )


def multipart_id(session: UploadSession) -> str:
    """The S3 multipart upload of a chunked session (every chunked session has one)."""
    if session.multipart_upload_id is None:
        raise ValueError(f"upload {session.upload_id} is not a multipart upload")
    return session.multipart_upload_id
