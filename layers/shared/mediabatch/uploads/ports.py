"""What the upload use cases need from the outside world (adapters implement these structurally)."""

from __future__ import annotations

from typing import Any, Protocol

from mediabatch.catalog.models import LinkedMedia, MediaItem
from mediabatch.uploads.models import UploadSession, UploadStatus


class UploadSessionRepository(Protocol):
    """Upload sessions by tenant. Writes are conditional: a completed session stays completed."""

    def create(self, session: UploadSession) -> None: ...

    def get(self, tenant_id: str, upload_id: str) -> UploadSession | None: ...

    def list_open(
        self, tenant_id: str, *, now_epoch: int, limit: int, cursor: str | None
    ) -> tuple[list[UploadSession], str | None]:
        """The tenant's sessions not completed and not expired at `now_epoch`, newest first, at
        most `limit`, and the opaque cursor of the next page (None on the last). A cursor of
        another tenant raises ValidationFailed (code `invalid_cursor`)."""
        ...

    def record_reconciliation(
        self,
        session: UploadSession,
        *,
        status: UploadStatus,
        completed_count: int,
        uploaded_bytes: int,
        failed_chunks: list[int],
    ) -> None:
        """What storage showed; not written if the session completed meanwhile."""
        ...

    def complete_with_media(self, session: UploadSession, item: MediaItem) -> bool:
        """The session completed and its media item created together, once: False if another
        completion won."""
        ...


class PieceLedger(Protocol):
    """Which pieces of a chunk the server-side chunk path has received, and who assembles it."""

    def add_piece(self, session: UploadSession, index: int, offset: int, length: int) -> dict[int, int]:
        """Record one piece; returns every piece of that chunk so far, {offset: length}."""
        ...

    def claim_compose(self, session: UploadSession, index: int) -> bool:
        """True for the one request that may assemble the chunk now (a lease: a dead holder's
        claim lapses)."""
        ...

    def reset_chunk(self, session: UploadSession, index: int) -> None:
        """Forget the chunk's pieces and claim."""
        ...

    def mark_chunk_failed(self, session: UploadSession, index: int) -> None:
        """Remember that assembling the chunk failed (concurrent failures are all kept)."""
        ...


class UploadStorage(Protocol):
    """The object store the bytes go to: presigned PUTs, multipart uploads and plain objects."""

    def presign_put(self, key: str, *, content_type: str, content_length: int, ttl_seconds: int) -> str:
        """A PUT URL whose signature binds the body's type and length."""
        ...

    def presign_upload_part(
        self, key: str, upload_id: str, part_number: int, *, content_length: int, ttl_seconds: int
    ) -> str: ...

    def create_multipart_upload(self, key: str, content_type: str) -> str:
        """Returns the multipart upload's id."""
        ...

    def list_parts(self, key: str, upload_id: str) -> dict[int, tuple[int, str]] | None:
        """{part number: (size, ETag)} of an open multipart upload; None if it is gone
        (completed or aborted)."""
        ...

    def upload_part(self, key: str, upload_id: str, part_number: int, body: bytes) -> str:
        """Returns the part's ETag."""
        ...

    def complete_multipart_upload(self, key: str, upload_id: str, parts: dict[int, str]) -> bool:
        """False if the multipart upload is gone (someone else completed it, or it was aborted)."""
        ...

    def head(self, key: str) -> tuple[int, str] | None:
        """(size, content type) of an object, or None if there is none."""
        ...

    def copy(self, source_key: str, key: str) -> None: ...

    def put_bytes(self, key: str, body: bytes, content_type: str = "application/octet-stream") -> None: ...

    def get_bytes(self, key: str) -> bytes: ...

    def delete(self, keys: list[str]) -> None: ...

    def list_keys(self, prefix: str) -> list[str]: ...


class EventPublisher(Protocol):
    """Domain events for subscribers (webhooks, other services)."""

    def publish(self, detail_type: str, detail: dict[str, Any]) -> None: ...


class ProcessingStarter(Protocol):
    """Starts background processing of a media item; starting twice is harmless."""

    def start(self, tenant_id: str, media_id: str) -> None: ...


class MediaLookup(Protocol):
    """The catalog, as completion needs it: an item, and the item with its signed links."""

    def get_item(self, tenant_id: str, media_id: str) -> MediaItem:
        """Raises NotFound if there is none."""
        ...

    def linked(self, item: MediaItem) -> LinkedMedia: ...
