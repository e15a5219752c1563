"""POST /complete: check what storage holds, put the file in place, register it in the
catalog, announce it and start its processing — once, however often /complete is called."""

from __future__ import annotations

from mediabatch.catalog.models import LinkedMedia, MediaItem, ProcessingState
from mediabatch.catalog.service import build_item
from mediabatch.errors import Conflict, ValidationFailed
from mediabatch.uploads.models import UploadSession, UploadStatus
from mediabatch.uploads.ports import (
    EventPublisher,
    MediaLookup,
    ProcessingStarter,
    UploadSessionRepository,
    UploadStorage,
)
from mediabatch.uploads.reconcile import Reconciled, reconcile
from mediabatch.uploads.sessions import load_session, multipart_id, upload_target

MAX_LISTED_CHUNKS = 1000  # in an error's details
MAX_NAMED_CHUNKS = 20  # in its message


class UploadCompleter:
    def __init__(
        self,
        sessions: UploadSessionRepository,
        storage: UploadStorage,
        catalog: MediaLookup,
        events: EventPublisher,
        processing: ProcessingStarter,
    ) -> None:
        self._sessions = sessions
        self._storage = storage
        self._catalog = catalog
        self._events = events
        self._processing = processing

    def complete(self, tenant_id: str, upload_id: str) -> LinkedMedia:
        session = load_session(self._sessions, tenant_id, upload_id)
        if session.status is UploadStatus.COMPLETED and session.media_id:
            return self._completed_before(tenant_id, session.media_id)
        rec = reconcile(self._storage, session)
        if rec.upload_gone:
            return self._finish_after_crash(session)
        if rec.missing or rec.failed:
            raise _missing_parts(rec)
        if session.is_chunked and not self._storage.complete_multipart_upload(
            session.s3_key, multipart_id(session), {i + 1: etag for i, etag in rec.good.items()}
        ):
            return self._finish_after_crash(session)  # another /complete got there first
        return self._register(session)

    def _completed_before(self, tenant_id: str, media_id: str) -> LinkedMedia:
        item = self._catalog.get_item(tenant_id, media_id)
        if item.processing.state is ProcessingState.PENDING:
            # The completion that registered it may have died before starting processing;
            # starting again is harmless (the execution is named after the media item).
            self._processing.start(tenant_id, item.id)
        return self._catalog.linked(item)

    def _finish_after_crash(self, session: UploadSession) -> LinkedMedia:
        """The multipart upload is gone: either a completion crashed after S3 finished (the
        object is there, whole) or the upload expired or was aborted."""
        head = self._storage.head(session.s3_key)
        if head is None or head[0] != session.size:
            raise Conflict("this upload expired or was aborted; start a new one with /init", code="upload_expired")
        return self._register(session)

    def _register(self, session: UploadSession) -> LinkedMedia:
        self._check_stored(session)
        if not session.is_chunked:
            # Into place only now: the presigned PUT URL (valid until it expires) can never
            # overwrite a registered file.
            self._storage.copy(upload_target(session), session.s3_key)
        item = _media_item(session)
        if self._sessions.complete_with_media(session, item):
            self._announce(session, item)
            self._processing.start(session.tenant_id, item.id)
            if not session.is_chunked:
                self._storage.delete([upload_target(session)])  # else the staging lifecycle rule does
        return self._catalog.linked(self._catalog.get_item(session.tenant_id, session.file_id))

    def _check_stored(self, session: UploadSession) -> None:
        """The stored file is the one declared: its size, and a single PUT's type."""
        head = self._storage.head(upload_target(session))
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

    def _announce(self, session: UploadSession, item: MediaItem) -> None:
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

    def _discard_single(self, session: UploadSession) -> None:
        """A single-PUT file that cannot be registered is removed, so /retry offers it again."""
        if not session.is_chunked:
            self._storage.delete([upload_target(session)])


def _missing_parts(rec: Reconciled) -> Conflict:
    missing, failed = rec.missing, sorted(rec.failed)
    count = len(missing) + len(failed)
    shown = ", ".join(str(i) for i in (failed + missing)[:MAX_NAMED_CHUNKS])
    return Conflict(
        f"Missing parts: {count} chunk(s) not uploaded or wrong size "
        f"(chunk indexes {shown}{'…' if count > MAX_NAMED_CHUNKS else ''}); "
        "upload them (POST /retry gives fresh URLs) and complete again",
        details={
            "missingChunks": missing[:MAX_LISTED_CHUNKS],
            "failedChunks": failed[:MAX_LISTED_CHUNKS],
            "missingPartNumbers": sorted(i + 1 for i in (missing + failed)[:MAX_LISTED_CHUNKS]),
        },
        code="missing_parts",
    )


def _media_item(session: UploadSession) -> MediaItem:
    return build_item(
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
