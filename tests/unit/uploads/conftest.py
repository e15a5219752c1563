"""The upload service wired to in-memory fakes of its ports, and small parts so that a chunked
upload fits in a unit test's memory."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from mediabatch.catalog.service import MediaCatalog
from mediabatch.uploads import plan
from mediabatch.uploads.models import InitFile, InitializedUpload, InitRequest
from mediabatch.uploads.service import UploadService
from tests.fakes.catalog import FakeLinkSigner, InMemoryMediaItems
from tests.fakes.uploads import FakeEventPublisher, FakeProcessingStarter, InMemoryObjectStore, InMemoryUploadSessions

MiB = 2**20
URL_TTL = 900


@dataclass
class Uploads:
    service: UploadService
    sessions: InMemoryUploadSessions
    storage: InMemoryObjectStore
    media_items: InMemoryMediaItems
    events: FakeEventPublisher
    processing: FakeProcessingStarter

    def open(self, tenant: str = "t1", filename: str = "clip.mp4", size: int = 1000, **kw: object) -> InitializedUpload:
        (upload,) = self.service.init(tenant, InitRequest(files=[InitFile(filename=filename, size=size, **kw)]))
        return upload

    def send(self, upload: InitializedUpload, index: int, data: bytes, *, enforce_length: bool = True) -> None:
        """The client's PUT of one chunk to its presigned URL, with the headers it was told to send."""
        content_type = upload.required_headers.get("Content-Type", "")
        self.storage.put_url(upload.presigned_urls[index], data, content_type, enforce_length=enforce_length)


@pytest.fixture
def uploads() -> Uploads:
    media_items = InMemoryMediaItems()
    sessions = InMemoryUploadSessions(media_items)
    storage = InMemoryObjectStore()
    events, processing = FakeEventPublisher(), FakeProcessingStarter()
    service = UploadService(
        sessions,
        sessions,
        storage,
        MediaCatalog(media_items, FakeLinkSigner()),
        events,
        processing,
        url_ttl_seconds=URL_TTL,
    )
    return Uploads(service, sessions, storage, media_items, events, processing)


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files over 2 MiB are chunked, in parts of 1 MiB (the real limits: 150 MiB and 16 MiB)."""
    monkeypatch.setattr(plan, "SINGLE_PUT_MAX_BYTES", 2 * MiB)
    monkeypatch.setattr(plan, "DEFAULT_PART_BYTES", MiB)


def chunk_of(data: bytes, index: int, size: int = MiB) -> bytes:
    return data[index * size : (index + 1) * size]
