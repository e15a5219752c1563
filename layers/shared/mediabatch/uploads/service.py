"""The upload use cases: init, server-side chunks, progress, retry, complete.

The API only signs, tracks and completes: bytes go from the client straight to S3 through
presigned URLs. Progress and completion are reconciled against S3 itself (ListParts /
HeadObject), never only against what a client claims.
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from mediabatch.adapters.dynamodb.upload_sessions import UploadSessionTable
from mediabatch.adapters.eventbridge.publisher import EventPublisher
from mediabatch.adapters.s3.media_bucket import MediaBucket, guess_content_type
from mediabatch.catalog.models import ProcessingState
from mediabatch.catalog.service import MediaCatalog, build_item
from mediabatch.clock import now_iso
from mediabatch.errors import Conflict, NotFound, PayloadTooLarge, ValidationFailed
from mediabatch.paths import sanitize_component, tenant_key
from mediabatch.uploads.models import MAX_FILES_PER_BATCH, InitFile, InitRequest, UploadSession, UploadStatus
from mediabatch.uploads.plan import (
    MAX_FILE_BYTES,
    SERVER_PIECE_MAX_BYTES,
    URLS_PER_RESPONSE,
    UploadPlan,
    plan_upload,
)

SESSION_TTL_SECONDS = 24 * 3600
_VIDEO_TYPE = re.compile(r"video/[a-z0-9][a-z0-9.+-]{0,80}")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
PIECES_PREFIX = "staging/pieces/"  # template.yaml: the bucket's lifecycle rule expires `staging/`
STAGING_PREFIX = "staging/uploads/"


class ProcessingStarter(Protocol):
    """Starts background processing of a media item (the processing state machine)."""

    def start(self, tenant_id: str, media_id: str) -> None: ...


@dataclass
class Reconciled:
    good: dict[int, str] = field(default_factory=dict)  # chunk index -> ETag (multipart) or ""
    failed: set[int] = field(default_factory=set)
    missing: list[int] = field(default_factory=list)
    uploaded_bytes: int = 0
    upload_gone: bool = False


class UploadService:
    def __init__(
        self,
        store: UploadSessionTable,
        storage: MediaBucket,
        catalog: MediaCatalog,
        events: EventPublisher,
        processing: ProcessingStarter,
        *,
        url_ttl_seconds: int,
    ) -> None:
        self._store = store
        self._storage = storage
        self._catalog = catalog
        self._events = events
        self._processing = processing
        self._ttl = url_ttl_seconds

    # ------------------------------------------------------------------ init
    def init(self, tenant_id: str, request: InitRequest) -> list[dict[str, Any]]:
        if len(request.files) > MAX_FILES_PER_BATCH:
            raise ValidationFailed(
                f"at most {MAX_FILES_PER_BATCH} files per batch, got {len(request.files)}",
                details=[{"field": "files", "message": f"at most {MAX_FILES_PER_BATCH} files"}],
                code="too_many_files",
            )
        checked: list[tuple[InitFile, str]] = []
        problems: list[ValidationFailed] = []
        for i, f in enumerate(request.files):
            try:
                checked.append(self._check_file(i, f))
            except ValidationFailed as exc:
                problems.append(exc)
        if problems:
            first = problems[0]
            raise ValidationFailed(
                "; ".join(p.message for p in problems),
                details=[d for p in problems for d in (p.details or [])],
                code=first.code if all(p.code == first.code for p in problems) else "invalid_files",
            )
        return [self._open_session(tenant_id, request.channel_id, f, content_type) for f, content_type in checked]

    def _check_file(self, index: int, file: InitFile) -> tuple[InitFile, str]:
        where = f"files[{index}]"
        name = file.filename
        if any(c in name for c in "/\\") or any(ord(c) < 32 or ord(c) == 127 for c in name) or name in (".", ".."):
            raise ValidationFailed(
                f"{where}.filename must be a plain file name (no paths or control characters)",
                details=[{"field": f"{where}.filename", "message": "not a plain file name"}],
                code="invalid_filename",
            )
        if file.size <= 0:
            raise ValidationFailed(
                f"{where}.size must be a positive number of bytes",
                details=[{"field": f"{where}.size", "message": "must be > 0"}],
                code="invalid_size",
            )
        if file.size > MAX_FILE_BYTES:
            raise ValidationFailed(
                f"{where}.size exceeds the limit of {MAX_FILE_BYTES} bytes",
                details=[{"field": f"{where}.size", "message": f"at most {MAX_FILE_BYTES}"}],
                code="file_too_large",
            )
        # Parameters (`; codecs=...`) are dropped: the presigned PUT signs the bare type.
        content_type = (file.type or guess_content_type(name)).split(";")[0].strip().lower()
        if not _VIDEO_TYPE.fullmatch(content_type):
            raise ValidationFailed(
                f"{where}.type must be a video type, got {content_type!r}",
                details=[{"field": f"{where}.type", "message": "not a video type"}],
                code="unsupported_type",
            )
        return file, content_type

    def _open_session(
        self, tenant_id: str, channel_id: str | None, file: InitFile, content_type: str
    ) -> dict[str, Any]:
        plan = plan_upload(file.size)
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
        self._store.create(session)
        urls = [u["url"] for u in self._urls(session, list(range(min(plan.total_chunks, URLS_PER_RESPONSE))))]
        return {
            "uploadId": session.upload_id,
            "fileId": session.file_id,
            "filename": session.filename,
            "isChunked": session.is_chunked,
            "totalChunks": session.total_chunks,
            "chunkSize": session.chunk_size,
            "presignedUrls": urls,
            "presignedUrlsComplete": len(urls) == session.total_chunks,
            "requiredHeaders": {} if session.is_chunked else {"Content-Type": content_type},
            "urlsExpireInSeconds": self._ttl,
            "status": session.status.value,
        }

    # ------------------------------------------------------------------ progress / retry
    def progress(self, tenant_id: str, upload_id: str) -> dict[str, Any]:
        session = self._session(tenant_id, upload_id)
        if session.status is UploadStatus.COMPLETED:
            return self._progress_view(session, session.total_chunks, session.size, [], session.status)
        rec = self._reconcile(session)
        status = self._status_of(session, rec)
        failed = sorted(rec.failed)
        self._store.record_reconciliation(
            session,
            status=status,
            completed_count=len(rec.good),
            uploaded_bytes=rec.uploaded_bytes,
            failed_chunks=failed,
        )
        return self._progress_view(session, len(rec.good), rec.uploaded_bytes, failed, status)

    def retry(
        self, tenant_id: str, upload_id: str, limit: int = URLS_PER_RESPONSE, after: int | None = None
    ) -> list[dict[str, Any]]:
        """Fresh URLs for exactly the failed and missing chunks, in index order, at most `limit`;
        with `after`, only chunks with a higher index (a cursor for paging through a large
        upload while earlier parts are still in flight)."""
        if not 1 <= limit <= URLS_PER_RESPONSE:
            raise ValidationFailed(
                f"limit must be between 1 and {URLS_PER_RESPONSE}",
                details=[{"field": "limit", "message": f"1..{URLS_PER_RESPONSE}"}],
            )
        session = self._session(tenant_id, upload_id)
        if session.status is UploadStatus.COMPLETED:
            return []
        rec = self._reconcile(session)
        if rec.upload_gone:
            raise Conflict("this upload expired or was aborted; start a new one with /init", code="upload_expired")
        wanted = sorted(rec.failed | set(rec.missing))
        if after is not None:
            wanted = [i for i in wanted if i > after]
        return self._urls(session, wanted[:limit])

    # ------------------------------------------------------------------ server-side chunk path
    def put_chunk(self, tenant_id: str, upload_id: str, chunk_index: int, offset: int, body: bytes) -> dict[str, Any]:
        """For clients that cannot PUT to S3. A Lambda request carries at most 6 MB while S3
        parts must be at least 5 MiB, so a chunk may arrive in pieces of at most 4 MiB
        (`offset` says where each piece belongs); when its pieces cover it, the chunk becomes
        its S3 part."""
        session = self._session(tenant_id, upload_id)
        if session.status is UploadStatus.COMPLETED:
            raise Conflict("this upload is already completed", code="upload_completed")
        plan = _plan(session)
        if not 0 <= chunk_index < plan.total_chunks:
            raise ValidationFailed(
                f"chunkIndex must be between 0 and {plan.total_chunks - 1}",
                details=[{"field": "chunkIndex", "message": "out of range"}],
                code="invalid_chunk_index",
            )
        if len(body) > SERVER_PIECE_MAX_BYTES:
            raise PayloadTooLarge(
                f"send at most {SERVER_PIECE_MAX_BYTES} bytes per request; split the chunk into pieces with ?offset=",
                code="piece_too_large",
            )
        expected = plan.chunk_length(chunk_index)
        if not body or offset < 0 or offset + len(body) > expected:
            raise ValidationFailed(
                f"piece [{offset}, {offset + len(body)}) does not fit chunk {chunk_index} of {expected} bytes",
                details=[{"field": "offset", "message": "out of range"}],
                code="invalid_piece",
            )
        if not session.is_chunked:
            if offset != 0 or len(body) != session.size:
                raise ValidationFailed(
                    f"a single-request upload must carry the whole file ({session.size} bytes); files over "
                    f"{SERVER_PIECE_MAX_BYTES} bytes go through the presigned URL",
                    code="invalid_piece",
                )
            self._storage.put_bytes(_upload_target(session), body, session.content_type)
            return {"chunkIndex": 0, "received": len(body), "chunkComplete": True}
        assert session.multipart_upload_id is not None
        if offset == 0 and len(body) == expected:
            self._storage.upload_part(session.s3_key, session.multipart_upload_id, chunk_index + 1, body)
            return {"chunkIndex": chunk_index, "received": expected, "chunkComplete": True}
        # Outside the media keys, under a prefix the bucket expires: pieces never outlive an upload.
        piece_prefix = f"{PIECES_PREFIX}{tenant_id}/{upload_id}/{chunk_index:05d}"
        self._storage.put_bytes(f"{piece_prefix}/{offset:012d}", body)
        pieces = self._store.add_piece(session, chunk_index, offset, len(body))
        received = _covered(pieces)
        complete = received == expected
        if complete and self._store.claim_compose(session, chunk_index):
            try:
                data = bytearray(expected)
                for piece_offset in sorted(pieces):  # placed by offset: overlapping resends are harmless
                    piece = self._storage.get_bytes(f"{piece_prefix}/{piece_offset:012d}")
                    data[piece_offset : piece_offset + len(piece)] = piece
                self._storage.upload_part(
                    session.s3_key, session.multipart_upload_id, chunk_index + 1, bytes(data[:expected])
                )
                self._storage.delete(self._storage.list_keys(piece_prefix + "/"))
                self._store.reset_chunk(session, chunk_index)
            except Exception:
                self._store.mark_chunk_failed(session, chunk_index)
                self._store.reset_chunk(session, chunk_index)
                raise
        return {"chunkIndex": chunk_index, "received": received, "chunkComplete": complete}

    # ------------------------------------------------------------------ complete
    def complete(self, tenant_id: str, upload_id: str) -> dict[str, Any]:
        session = self._session(tenant_id, upload_id)
        if session.status is UploadStatus.COMPLETED and session.media_id:
            item = self._catalog.get_item(tenant_id, session.media_id)
            if item.processing.state is ProcessingState.PENDING:
                # The completion that registered it may have died before starting processing;
                # starting again is harmless (the execution is named after the media item).
                self._processing.start(tenant_id, item.id)
            return self._catalog.linked(item)  # type: ignore[return-value]  # typed by the uploads rework
        rec = self._reconcile(session)
        if rec.upload_gone:
            return self._finish_after_crash(session)
        if rec.missing or rec.failed:
            missing, failed = rec.missing, sorted(rec.failed)
            shown = ", ".join(str(i) for i in (failed + missing)[:20])
            raise Conflict(
                f"Missing parts: {len(missing) + len(failed)} chunk(s) not uploaded or wrong size "
                f"(chunk indexes {shown}{'…' if len(missing) + len(failed) > 20 else ''}); "
                "upload them (POST /retry gives fresh URLs) and complete again",
                details={
                    "missingChunks": missing[:1000],
                    "failedChunks": failed[:1000],
                    "missingPartNumbers": sorted(i + 1 for i in (missing + failed)[:1000]),
                },
                code="missing_parts",
            )
        if session.is_chunked:
            assert session.multipart_upload_id is not None
            if not self._storage.complete_multipart_upload(
                session.s3_key, session.multipart_upload_id, {i + 1: etag for i, etag in rec.good.items()}
            ):
                return self._finish_after_crash(session)  # another /complete got there first
        return self._register(session)

    def _finish_after_crash(self, session: UploadSession) -> dict[str, Any]:
        """The multipart upload is gone: either a completion crashed after S3 finished (the
        object is there, whole) or the upload expired or was aborted."""
        head = self._storage.head(session.s3_key)
        if head is None or head[0] != session.size:
            raise Conflict("this upload expired or was aborted; start a new one with /init", code="upload_expired")
        return self._register(session)

    def _register(self, session: UploadSession) -> dict[str, Any]:
        head = self._storage.head(_upload_target(session))
        if head is None:
            raise Conflict(
                "Missing parts: the file is not in storage",
                code="missing_parts",
                details={"missingChunks": [0], "failedChunks": [], "missingPartNumbers": [1]},
            )
        size, content_type = head
        if size != session.size:
            self._discard_single(session)
            raise ValidationFailed(
                f"stored file has {size} bytes, declared size was {session.size}",
                details={"declared": session.size, "stored": size},
                code="size_mismatch",
            )
        if not session.is_chunked and content_type.split(";")[0].strip().lower() != session.content_type:
            self._discard_single(session)
            raise ValidationFailed(
                f"stored file has Content-Type {content_type!r}, declared {session.content_type!r}; "
                "upload it again (POST /retry gives a fresh URL)",
                code="content_type_mismatch",
            )
        if not session.is_chunked:
            # Into place only now: the presigned PUT URL (valid until it expires) can never
            # overwrite a registered file.
            self._storage.copy(_upload_target(session), session.s3_key)
        item = build_item(
            tenant_id=session.tenant_id,
            media_id=session.file_id,
            storage_key=session.s3_key,
            filename=session.filename,
            size=session.size,
            content_type=session.content_type,
            folder=f"channels/{session.channel_id}" if session.channel_id else "uploads",
            title=session.filename.rsplit(".", 1)[0],
            processing=ProcessingState.PENDING,
            metadata={
                "source": "upload",
                "upload_id": session.upload_id,
                **({"channel_id": session.channel_id} if session.channel_id else {}),
            },
        )
        if self._store.complete_with_media(session, item):
            self._events.publish(
                "file.uploaded",
                {
                    "tenant_id": session.tenant_id,
                    "media_id": item.id,
                    "filename": item.filename,
                    "size": item.size,
                    "content_type": item.content_type,
                    "upload_id": session.upload_id,
                    "initiator": {"type": "upload"},
                },
            )
            self._processing.start(session.tenant_id, item.id)
            if not session.is_chunked:
                self._storage.delete([_upload_target(session)])  # else the staging lifecycle rule does
        return self._catalog.get(session.tenant_id, session.file_id)  # type: ignore[return-value]

    def _discard_single(self, session: UploadSession) -> None:
        """A single-PUT file that cannot be registered is removed, so /retry offers it again."""
        if not session.is_chunked:
            self._storage.delete([_upload_target(session)])

    # ------------------------------------------------------------------ internals
    def _session(self, tenant_id: str, upload_id: str) -> UploadSession:
        session = self._store.get(tenant_id, upload_id) if _UUID.fullmatch(upload_id) else None
        if session is None:
            raise NotFound(f"upload {upload_id} not found", code="upload_not_found")
        if session.status is not UploadStatus.COMPLETED and time.time() > session.expires_at_epoch:
            raise Conflict("this upload expired; start a new one with /init", code="upload_expired")
        return session

    def _reconcile(self, session: UploadSession) -> Reconciled:
        plan = _plan(session)
        rec = Reconciled()
        if session.is_chunked:
            assert session.multipart_upload_id is not None
            parts = self._storage.list_parts(session.s3_key, session.multipart_upload_id)
            if parts is None:
                rec.upload_gone = True
                parts = {}
            for number, (size, etag) in parts.items():
                index = number - 1
                if index >= plan.total_chunks:
                    continue
                if size == plan.chunk_length(index):
                    rec.good[index] = etag
                    rec.uploaded_bytes += size
                else:
                    rec.failed.add(index)
        else:
            head = self._storage.head(_upload_target(session))
            if head is not None:
                if head[0] == session.size:
                    rec.good[0] = ""
                    rec.uploaded_bytes = head[0]
                else:
                    rec.failed.add(0)
        rec.failed |= (set(session.failed_chunks) | set(session.assembly_failures)) - set(rec.good)
        rec.missing = [i for i in range(plan.total_chunks) if i not in rec.good and i not in rec.failed]
        return rec

    @staticmethod
    def _status_of(session: UploadSession, rec: Reconciled) -> UploadStatus:
        if rec.upload_gone:
            return UploadStatus.FAILED
        if len(rec.good) == session.total_chunks:
            return UploadStatus.UPLOADED
        if rec.good or rec.failed:
            return UploadStatus.UPLOADING
        return UploadStatus.INITIALIZED

    def _urls(self, session: UploadSession, indexes: list[int]) -> list[dict[str, Any]]:
        plan = _plan(session)
        if not session.is_chunked:
            return [
                {
                    "chunkIndex": 0,
                    "url": self._storage.presign_put(
                        _upload_target(session),
                        content_type=session.content_type,
                        content_length=session.size,
                        ttl_seconds=self._ttl,
                    ),
                }
                for _ in indexes[:1]
            ]
        assert session.multipart_upload_id is not None
        return [
            {
                "chunkIndex": i,
                "url": self._storage.presign_upload_part(
                    session.s3_key,
                    session.multipart_upload_id,
                    i + 1,
                    content_length=plan.chunk_length(i),
                    ttl_seconds=self._ttl,
                ),
            }
            for i in indexes
        ]

    def _progress_view(
        self, session: UploadSession, completed: int, uploaded: int, failed: list[int], status: UploadStatus
    ) -> dict[str, Any]:
        """Also what a fresh client needs to resume with only the uploadId."""
        return {
            "uploadId": session.upload_id,
            "fileId": session.file_id,
            "filename": session.filename,
            "progress": min(100, uploaded * 100 // session.size),
            "status": status.value,
            "failedChunks": failed,
            "totalChunks": session.total_chunks,
            "completedCount": completed,
            "uploadedBytes": uploaded,
            "size": session.size,
            "mediaId": session.media_id,
            "isChunked": session.is_chunked,
            "chunkSize": session.chunk_size,
            "requiredHeaders": {} if session.is_chunked else {"Content-Type": session.content_type},
            "urlsExpireInSeconds": self._ttl,
        }


def _upload_target(session: UploadSession) -> str:
    """Where the client's bytes go: a single PUT lands in staging (under the expiring
    `staging/` prefix) and is copied into place at /complete; parts go to the multipart upload
    of the final key, which ceases to accept parts once completed."""
    if session.is_chunked:
        return session.s3_key
    return f"{STAGING_PREFIX}{session.tenant_id}/{session.upload_id}/{session.s3_key.rsplit('/', 1)[-1]}"


def _plan(session: UploadSession) -> UploadPlan:
    return UploadPlan(
        size=session.size,
        is_chunked=session.is_chunked,
        chunk_size=session.chunk_size,
        total_chunks=session.total_chunks,
    )


def _covered(pieces: dict[int, int]) -> int:
    """Bytes covered contiguously from offset 0."""
    end = 0
    for offset in sorted(pieces):
        if offset > end:
            break
        end = max(end, offset + pieces[offset])
    return end
