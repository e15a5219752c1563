"""POST /init: check every file of a batch, then open one upload session per file."""

from __future__ import annotations

import re
import time
import uuid

from mediabatch.clock import now_iso
from mediabatch.errors import ValidationFailed
from mediabatch.media_types import guess_content_type
from mediabatch.paths import sanitize_component, tenant_key
from mediabatch.uploads import plan as planning
from mediabatch.uploads.models import MAX_FILES_PER_BATCH, InitFile, InitializedUpload, InitRequest, UploadSession
from mediabatch.uploads.ports import UploadSessionRepository, UploadStorage
from mediabatch.uploads.sessions import SESSION_TTL_SECONDS
from mediabatch.uploads.signing import ChunkSigner

_VIDEO_TYPE = re.compile(r"video/[a-z0-9][a-z0-9.+-]{0,80}")


class UploadInitializer:
    def __init__(self, sessions: UploadSessionRepository, storage: UploadStorage, signer: ChunkSigner) -> None:
        self._sessions = sessions
        self._storage = storage
        self._signer = signer

    def init(self, tenant_id: str, request: InitRequest) -> list[InitializedUpload]:
        """All or nothing: if any file is refused, no session is opened, and every refused file
        is named."""
        if len(request.files) > MAX_FILES_PER_BATCH:
            raise ValidationFailed(
                f"at most {MAX_FILES_PER_BATCH} files per batch, got {len(request.files)}",
                details=[{"field": "files", "message": f"at most {MAX_FILES_PER_BATCH} files"}],
                code="too_many_files",
            )
        content_types = check_files(request.files)
        return [
            self._open(tenant_id, request.channel_id, file, content_type)
            for file, content_type in zip(request.files, content_types, strict=True)
        ]

    def _open(self, tenant_id: str, channel_id: str | None, file: InitFile, content_type: str) -> InitializedUpload:
        plan = planning.plan_upload(file.size)
        file_id = str(uuid.uuid4())
        key = tenant_key(tenant_id, f"media/{file_id}/{sanitize_component(file.filename, fallback='video')}")
        now = now_iso()
        session = UploadSession(
            tenant_id=tenant_id,
            upload_id=str(uuid.uuid4()),
            file_id=file_id,
            channel_id=channel_id,
            filename=file.filename,
            size=file.size,
            content_type=content_type,
            is_chunked=plan.is_chunked,
            chunk_size=plan.chunk_size,
            total_chunks=plan.total_chunks,
            s3_key=key,
            multipart_upload_id=self._storage.create_multipart_upload(key, content_type) if plan.is_chunked else None,
            created_at=now,
            updated_at=now,
            expires_at_epoch=int(time.time()) + SESSION_TTL_SECONDS,
        )
        self._sessions.create(session)
        # The first page of URLs; a file with more chunks gets the rest from /retry.
        first_page = list(range(min(plan.total_chunks, planning.URLS_PER_RESPONSE)))
        return InitializedUpload(
            session=session,
            presigned_urls=[u.url for u in self._signer.urls(session, first_page)],
            required_headers=self._signer.required_headers(session),
            urls_expire_in_seconds=self._signer.ttl_seconds,
        )


def check_files(files: list[InitFile]) -> list[str]:
    """The content type of each file, or one error naming every refused file (its code is
    theirs if they share one, else `invalid_files`)."""
    content_types: list[str] = []
    problems: list[ValidationFailed] = []
    for index, file in enumerate(files):
        try:
            content_types.append(check_file(f"files[{index}]", file))
        except ValidationFailed as exc:
            problems.append(exc)
    if problems:
        first = problems[0]
        raise ValidationFailed(
            "; ".join(p.message for p in problems),
            details=[d for p in problems for d in (p.details or [])],
            code=first.code if all(p.code == first.code for p in problems) else "invalid_files",
        )
    return content_types


def check_file(where: str, file: InitFile) -> str:
    """The file's bare content type, if its name, size and type are acceptable."""
    _check_name(where, file.filename)
    _check_size(where, file.size)
    return _video_type(where, file)


def _check_name(where: str, name: str) -> None:
    if any(c in name for c in "/\\") or any(ord(c) < 32 or ord(c) == 127 for c in name) or name in (".", ".."):
        raise ValidationFailed(
            f"{where}.filename must be a plain file name (no paths or control characters)",
            details=[{"field": f"{where}.filename", "message": "not a plain file name"}],
            code="invalid_filename",
        )


def _check_size(where: str, size: int) -> None:
    if size <= 0:
        raise ValidationFailed(
            f"{where}.size must be a positive number of bytes",
            details=[{"field": f"{where}.size", "message": "must be > 0"}],
            code="invalid_size",
        )
    if size > planning.MAX_FILE_BYTES:
        raise ValidationFailed(
            f"{where}.size exceeds the limit of {planning.MAX_FILE_BYTES} bytes",
            details=[{"field": f"{where}.size", "message": f"at most {planning.MAX_FILE_BYTES}"}],
            code="file_too_large",
        )


def _video_type(where: str, file: InitFile) -> str:
    # Parameters (`; codecs=...`) are dropped: the presigned PUT signs the bare type.
    content_type = (file.type or guess_content_type(file.filename)).split(";")[0].strip().lower()
    if not _VIDEO_TYPE.fullmatch(content_type):
        raise ValidationFailed(
            f"{where}.type must be a video type, got {content_type!r}",
            details=[{"field": f"{where}.type", "message": "not a video type"}],
            code="unsupported_type",
        )
    return content_type
