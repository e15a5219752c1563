"""mediabatch_client: the Python SDK and command line (`mediabatch`) of mediabatch.

    from mediabatch_client import MediaBatch

    with MediaBatch("http://127.0.0.1:8080", api_key) as mb:
        summary = mb.batches.create(["https://example.com/a.mp4"])
        batch = mb.batches.wait(summary.batch_id)
        page = mb.media.list(limit=10)
        mb.media.delete_many([item.id for item in page.items])

One module per resource under `resources/` (batches, media, audit, webhooks, uploads), the wire
in `transport`, the exceptions in `errors` (`MediaBatchError` and one subclass per code),
`webhooks.verify` for signed deliveries, `cli` for the command line. Uploads:

    from mediabatch_client import UploadClient

    with UploadClient("http://127.0.0.1:8080", api_key) as client:
        result = client.upload_file("holiday.mp4", on_progress=lambda p: print(f"{p.fraction:.0%}"))
        print(result.media_id, result.media["download_url"])

Files up to 150 MiB go in one presigned PUT, larger ones as S3 multipart parts sent in
parallel (straight to S3, never through the API), each read lazily from disk while it is
sent. `resume(upload_id, path)` finishes an interrupted upload; `upload_state.UploadState`
remembers uploads so that running the same upload again resumes it. Needs requests, pydantic
and (for the command line) rich.

The uploads inside: `client` (the public `UploadClient`), `api` (the upload API on the wire),
`transfer` (one file's chunks and URLs), `chunk_sender` (one chunk's PUT with its retries),
`scheduler` (the thread pool over every file), `local_file`, `progress`, `retry`, `models`;
`progress_bar` (the plain bar, kept for scripts that import it).
"""

from mediabatch_client.api import API_PREFIX
from mediabatch_client.client import UploadClient
from mediabatch_client.errors import (
    ERRORS_BY_CODE,
    AuthenticationFailed,
    BatchNotFound,
    BatchSizeExceeded,
    BatchUploadError,
    ConflictError,
    ConnectionFailed,
    IdempotencyKeyReused,
    InvalidRequest,
    MediaBatchError,
    MediaNotFound,
    NotFoundError,
    PartUploadError,
    PayloadTooLarge,
    RateLimited,
    RouteNotFound,
    ServerError,
    UnexpectedResponse,
    UnsafeUrl,
    UploadError,
    UploadNotFound,
    error_for,
)
from mediabatch_client.models import ServerProgress, UploadProgress, UploadResult, UploadSession
from mediabatch_client.progress import ProgressCallback
from mediabatch_client.sdk import MediaBatch
from mediabatch_client.upload_state import UploadState
from mediabatch_client.video_types import guess_video_type

__all__ = [
    "API_PREFIX",
    "ERRORS_BY_CODE",
    "AuthenticationFailed",
    "BatchNotFound",
    "BatchSizeExceeded",
    "BatchUploadError",
    "ConflictError",
    "ConnectionFailed",
    "IdempotencyKeyReused",
    "InvalidRequest",
    "MediaBatch",
    "MediaBatchError",
    "MediaNotFound",
    "NotFoundError",
    "PartUploadError",
    "PayloadTooLarge",
    "ProgressCallback",
    "RateLimited",
    "RouteNotFound",
    "ServerError",
    "ServerProgress",
    "UnexpectedResponse",
    "UnsafeUrl",
    "UploadClient",
    "UploadError",
    "UploadNotFound",
    "UploadProgress",
    "UploadResult",
    "UploadSession",
    "UploadState",
    "error_for",
    "guess_video_type",
]
__version__ = "0.1.0"
