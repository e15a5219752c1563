"""`MediaBatch`: the one client of the whole API, a resource per attribute.

    from mediabatch_client import MediaBatch

    with MediaBatch("http://127.0.0.1:8080", api_key) as mb:
        batch = mb.batches.create(["https://example.com/a.mp4"], concurrent_limit=3)
        for state in mb.batches.watch(batch.batch_id):
            print(state.status, f"{state.percent:.0f}%")
        for item in mb.media.iter():
            print(item.id, item.filename)

Every call has a timeout and is retried with backoff on connection errors, 429 and 5xx (calls
that must not run twice only when nothing reached the server); an error answer raises the
`MediaBatchError` subclass of its code."""

from __future__ import annotations

from types import TracebackType

from mediabatch_client.client import UploadClient
from mediabatch_client.resources.audit import Audit
from mediabatch_client.resources.batches import Batches
from mediabatch_client.resources.documents import Documents
from mediabatch_client.resources.media import Media
from mediabatch_client.resources.shows import Shows
from mediabatch_client.resources.uploads import Uploads
from mediabatch_client.resources.webhooks import Webhooks
from mediabatch_client.transport import DEFAULT_TIMEOUT, Timeout, Transport

__all__ = ["MediaBatch"]


class MediaBatch:
    """`base_url`: where the API is (e.g. http://127.0.0.1:8080); `retries`: further attempts
    of a failed call; `timeout`: (connect, read) seconds of every call; `upload_workers`: parts
    of uploads sent at once."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: Timeout = DEFAULT_TIMEOUT,
        retries: int = 3,
        backoff: float = 0.5,
        upload_workers: int = 8,
        part_retries: int = 3,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.transport = Transport(self.base_url, api_key, timeout=timeout, retries=retries, backoff=backoff)
        self.batches = Batches(self.transport)
        self.media = Media(self.transport)
        self.audit = Audit(self.transport)
        self.webhooks = Webhooks(self.transport)
        self.shows = Shows(self.transport)
        self.documents = Documents(self.transport)
        self.uploads = Uploads(
            UploadClient(
                self.base_url,
                api_key,
                max_workers=upload_workers,
                part_retries=part_retries,
                api_retries=retries,
                retry_backoff=backoff,
            ),
            self.transport,
        )

    def close(self) -> None:
        self.transport.close()
        self.uploads.client.close()

    def __enter__(self) -> MediaBatch:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
