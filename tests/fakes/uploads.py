"""Fakes of mediabatch.uploads.ports: in memory, with the conditional semantics of the real
stores (a completed session stays completed, a completed multipart upload is gone)."""

from __future__ import annotations

import base64
import hashlib
import itertools
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from mediabatch.catalog.models import MediaItem
from mediabatch.errors import Conflict, ValidationFailed
from mediabatch.uploads.models import UploadSession, UploadStatus
from tests.fakes.catalog import InMemoryMediaItems


class AlreadyExists(Exception):
    """The conditional create failed (DynamoDB's ConditionalCheckFailed)."""


class NoSuchUpload(Exception):
    """The multipart upload does not exist (S3's NoSuchUpload)."""


@dataclass
class _Chunk:
    pieces: dict[int, int] = field(default_factory=dict)
    composing: bool = False


class InMemoryUploadSessions:
    """Upload sessions and their chunk pieces. Completing also writes the media item into the
    catalog's store, in one step, as the real table's transaction does."""

    def __init__(self, media_items: InMemoryMediaItems) -> None:
        self.media_items = media_items
        self.sessions: dict[tuple[str, str], UploadSession] = {}
        self.chunks: dict[tuple[str, str, int], _Chunk] = {}
        self.claims_refused = 0

    # ------------------------------------------------------------------ UploadSessionRepository
    def create(self, session: UploadSession) -> None:
        key = (session.tenant_id, session.upload_id)
        if key in self.sessions:
            raise AlreadyExists(key)
        self.sessions[key] = session.model_copy(deep=True)

    def list_open(
        self, tenant_id: str, *, now_epoch: int, limit: int, cursor: str | None
    ) -> tuple[list[UploadSession], str | None]:
        """Newest (last created) first; the cursor is the tenant and the last upload id returned."""
        mine = [
            s
            for (t, _), s in reversed(self.sessions.items())
            if t == tenant_id and s.status is not UploadStatus.COMPLETED and s.expires_at_epoch > now_epoch
        ]
        if cursor:
            owner, _, after = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
            ids = [s.upload_id for s in mine]
            if owner != tenant_id or after not in ids:
                raise ValidationFailed("cursor is not valid", code="invalid_cursor")
            mine = mine[ids.index(after) + 1 :]
        page = [s.model_copy(deep=True) for s in mine[:limit]]
        more = len(mine) > limit
        return page, base64.urlsafe_b64encode(f"{tenant_id}|{page[-1].upload_id}".encode()).decode() if more else None

    def get(self, tenant_id: str, upload_id: str) -> UploadSession | None:
        stored = self.sessions.get((tenant_id, upload_id))
        return stored.model_copy(deep=True) if stored else None

    def record_reconciliation(
        self,
        session: UploadSession,
        *,
        status: UploadStatus,
        completed_count: int,
        uploaded_bytes: int,
        failed_chunks: list[int],
    ) -> None:
        stored = self.sessions[(session.tenant_id, session.upload_id)]
        if stored.status is UploadStatus.COMPLETED:
            return
        stored.status = status
        stored.completed_count = completed_count
        stored.uploaded_bytes = uploaded_bytes
        stored.failed_chunks = list(failed_chunks)

    def complete_with_media(self, session: UploadSession, item: MediaItem) -> bool:
        stored = self.sessions[(session.tenant_id, session.upload_id)]
        if stored.status is UploadStatus.COMPLETED:
            return False
        stored.status = UploadStatus.COMPLETED
        stored.media_id = item.id
        stored.completed_count = stored.total_chunks
        stored.uploaded_bytes = stored.size
        stored.failed_chunks = []
        self.media_items.put(item)
        return True

    # ------------------------------------------------------------------ PieceLedger
    def add_piece(self, session: UploadSession, index: int, offset: int, length: int) -> dict[int, int]:
        chunk = self.chunks.setdefault((session.tenant_id, session.upload_id, index), _Chunk())
        chunk.pieces[offset] = length
        return dict(chunk.pieces)

    def claim_compose(self, session: UploadSession, index: int) -> bool:
        chunk = self.chunks.setdefault((session.tenant_id, session.upload_id, index), _Chunk())
        if chunk.composing:
            self.claims_refused += 1
            return False
        chunk.composing = True
        return True

    def reset_chunk(self, session: UploadSession, index: int) -> None:
        self.chunks.pop((session.tenant_id, session.upload_id, index), None)

    def mark_chunk_failed(self, session: UploadSession, index: int) -> None:
        stored = self.sessions[(session.tenant_id, session.upload_id)]
        if index not in stored.assembly_failures:
            stored.assembly_failures.append(index)


@dataclass
class StoredObject:
    data: bytes
    content_type: str


@dataclass
class MultipartUpload:
    key: str
    content_type: str
    parts: dict[int, bytes] = field(default_factory=dict)


def etag(data: bytes) -> str:
    return '"' + hashlib.md5(data).hexdigest() + '"'


class InMemoryObjectStore:
    """Objects and multipart uploads. Presigned URLs say what they were signed for, and
    `put_url` plays the client's PUT to one (binding what S3 would bind: a single PUT's type
    and every signed length, unless `enforce_length=False`, like moto)."""

    def __init__(self) -> None:
        self.objects: dict[str, StoredObject] = {}
        self.uploads: dict[str, MultipartUpload] = {}
        self._ids = itertools.count(1)
        self.fail_upload_part = False

    # ------------------------------------------------------------------ presigning
    def presign_put(self, key: str, *, content_type: str, content_length: int, ttl_seconds: int) -> str:
        return f"https://put.test/{key}?type={content_type}&length={content_length}&ttl={ttl_seconds}"

    def presign_upload_part(
        self, key: str, upload_id: str, part_number: int, *, content_length: int, ttl_seconds: int
    ) -> str:
        return (
            f"https://part.test/{key}?uploadId={upload_id}&partNumber={part_number}"
            f"&length={content_length}&ttl={ttl_seconds}"
        )

    def put_url(self, url: str, data: bytes, content_type: str = "", *, enforce_length: bool = True) -> None:
        """The client's PUT to a presigned URL."""
        parts = urlsplit(url)
        key, query = parts.path.lstrip("/"), {k: v[0] for k, v in parse_qs(parts.query).items()}
        if enforce_length and int(query["length"]) != len(data):
            raise AssertionError(f"signed for {query['length']} bytes, got {len(data)}")
        if parts.netloc == "put.test":
            self.objects[key] = StoredObject(data, content_type or "application/octet-stream")
        else:
            self.upload_part(key, query["uploadId"], int(query["partNumber"]), data)

    # ------------------------------------------------------------------ multipart
    def create_multipart_upload(self, key: str, content_type: str) -> str:
        upload_id = f"mpu-{next(self._ids)}"
        self.uploads[upload_id] = MultipartUpload(key, content_type)
        return upload_id

    def list_parts(self, key: str, upload_id: str) -> dict[int, tuple[int, str]] | None:
        upload = self.uploads.get(upload_id)
        if upload is None or upload.key != key:
            return None
        return {n: (len(data), etag(data)) for n, data in upload.parts.items()}

    def upload_part(self, key: str, upload_id: str, part_number: int, body: bytes) -> str:
        if self.fail_upload_part:
            raise OSError("storage unavailable")
        upload = self.uploads.get(upload_id)
        if upload is None or upload.key != key:
            raise NoSuchUpload(upload_id)
        upload.parts[part_number] = bytes(body)
        return etag(body)

    def complete_multipart_upload(self, key: str, upload_id: str, parts: dict[int, str]) -> bool:
        upload = self.uploads.get(upload_id)
        if upload is None or upload.key != key:
            return False
        if any(n not in upload.parts or etag(upload.parts[n]) != tag for n, tag in parts.items()):
            raise Conflict("a part changed while the upload was being completed; complete again", code="parts_changed")
        self.objects[key] = StoredObject(b"".join(upload.parts[n] for n in sorted(parts)), upload.content_type)
        del self.uploads[upload_id]
        return True

    def abort(self, upload_id: str) -> None:
        del self.uploads[upload_id]

    # ------------------------------------------------------------------ objects
    def head(self, key: str) -> tuple[int, str] | None:
        stored = self.objects.get(key)
        return (len(stored.data), stored.content_type) if stored else None

    def copy(self, source_key: str, key: str) -> None:
        source = self.objects[source_key]
        self.objects[key] = StoredObject(source.data, source.content_type)

    def put_bytes(self, key: str, body: bytes, content_type: str = "application/octet-stream") -> None:
        self.objects[key] = StoredObject(bytes(body), content_type)

    def get_bytes(self, key: str) -> bytes:
        return self.objects[key].data

    def delete(self, keys: list[str]) -> None:
        for key in keys:
            self.objects.pop(key, None)

    def list_keys(self, prefix: str) -> list[str]:
        return sorted(k for k in self.objects if k.startswith(prefix))


class FakeEventPublisher:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def publish(self, detail_type: str, detail: dict[str, Any]) -> None:
        self.events.append((detail_type, detail))


class FakeProcessingStarter:
    def __init__(self) -> None:
        self.started: list[tuple[str, str]] = []

    def start(self, tenant_id: str, media_id: str) -> None:
        self.started.append((tenant_id, media_id))
