"""mediabatch_client: upload local video files to mediabatch (its hybrid batch-upload API).

    from mediabatch_client import UploadClient

    with UploadClient("http://127.0.0.1:8080", api_key) as client:
        result = client.upload_file("holiday.mp4", on_progress=lambda p: print(f"{p.fraction:.0%}"))
        print(result.media_id, result.media["download_url"])

Files up to 150 MiB go in one presigned PUT, larger ones as S3 multipart parts sent in
parallel (straight to S3, never through the API), each read lazily from disk while it is
sent. `resume(upload_id, path)` finishes an interrupted upload. `python -m mediabatch_client`
is a command line for the same. Needs only the standard library and requests.

Inside: `client` (the public `UploadClient`), `api` (the API on the wire), `transfer` (one
file's chunks and URLs), `chunk_sender` (one chunk's PUT with its retries), `scheduler` (the
thread pool over every file), `local_file`, `progress`, `retry`, `models`, `errors`, and
`cli`/`progress_bar` for the command line.
"""

from mediabatch_client.api import API_PREFIX
from mediabatch_client.client import UploadClient
from mediabatch_client.errors import BatchUploadError, PartUploadError, UploadError
from mediabatch_client.models import ServerProgress, UploadProgress, UploadResult, UploadSession
from mediabatch_client.progress import ProgressCallback
from mediabatch_client.video_types import guess_video_type

__all__ = [
    "API_PREFIX",
    "BatchUploadError",
    "PartUploadError",
    "ProgressCallback",
    "ServerProgress",
    "UploadClient",
    "UploadError",
    "UploadProgress",
    "UploadResult",
    "UploadSession",
    "guess_video_type",
]
__version__ = "0.1.0"
