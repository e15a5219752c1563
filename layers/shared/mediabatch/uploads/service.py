"""The upload use cases behind one face: init, server-side chunks, progress, retry, complete.

The API only signs, tracks and completes: bytes go from the client straight to storage through
presigned URLs (or, for clients that cannot, through the server-side chunk path). Each use
case lives in its own module; this class wires them to the same ports."""

from __future__ import annotations

import time
from collections.abc import Callable

from mediabatch.catalog.models import LinkedMedia
from mediabatch.errors import ValidationFailed
from mediabatch.uploads.completion import UploadCompleter
from mediabatch.uploads.init import UploadInitializer
from mediabatch.uploads.models import (
    ChunkReceipt,
    ChunkUrl,
    InitializedUpload,
    InitRequest,
    UploadProgress,
    UploadSessionPage,
)
from mediabatch.uploads.pieces import PieceAssembler
from mediabatch.uploads.ports import (
    EventPublisher,
    MediaLookup,
    PieceLedger,
    ProcessingStarter,
    UploadSessionRepository,
    UploadStorage,
)
from mediabatch.uploads.progress import ProgressReporter
from mediabatch.uploads.signing import ChunkSigner

MAX_PAGE = 100


class UploadService:
    def __init__(
        self,
        sessions: UploadSessionRepository,
        pieces: PieceLedger,
        storage: UploadStorage,
        catalog: MediaLookup,
        events: EventPublisher,
        processing: ProcessingStarter,
        *,
        url_ttl_seconds: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        signer = ChunkSigner(storage, ttl_seconds=url_ttl_seconds)
        self._initializer = UploadInitializer(sessions, storage, signer)
        self._progress = ProgressReporter(sessions, storage, signer)
        self._pieces = PieceAssembler(sessions, pieces, storage)
        self._completer = UploadCompleter(sessions, storage, catalog, events, processing)

    def init(self, tenant_id: str, request: InitRequest) -> list[InitializedUpload]:
        return self._initializer.init(tenant_id, request)

    def open_uploads(self, tenant_id: str, *, limit: int = 20, cursor: str | None = None) -> UploadSessionPage:
        """Uploads not completed and not expired, newest first: how a client that lost an
        uploadId finds it again to resume."""
        if not 1 <= limit <= MAX_PAGE:
            raise ValidationFailed(
                f"limit must be between 1 and {MAX_PAGE}",
                details=[{"field": "limit", "message": f"between 1 and {MAX_PAGE}"}],
            )
        sessions, next_cursor = self._sessions.list_open(
            tenant_id, now_epoch=int(self._clock()), limit=limit, cursor=cursor
        )
        return UploadSessionPage(sessions, next_cursor)

    def progress(self, tenant_id: str, upload_id: str) -> UploadProgress:
        return self._progress.progress(tenant_id, upload_id)

    def retry(
        self, tenant_id: str, upload_id: str, limit: int | None = None, after: int | None = None
    ) -> list[ChunkUrl]:
        return self._progress.retry(tenant_id, upload_id, limit, after)

    def put_chunk(self, tenant_id: str, upload_id: str, chunk_index: int, offset: int, body: bytes) -> ChunkReceipt:
        return self._pieces.put_chunk(tenant_id, upload_id, chunk_index, offset, body)

    def complete(self, tenant_id: str, upload_id: str) -> LinkedMedia:
        return self._completer.complete(tenant_id, upload_id)
