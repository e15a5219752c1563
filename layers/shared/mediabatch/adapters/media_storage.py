"""Media objects in S3: streamed uploads (constant memory) and time-limited download links."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from boto3.s3.transfer import TransferConfig

from mediabatch.adapters.aws import client
from mediabatch.settings import get_settings

# 16 MiB parts x 4 threads: bounded memory whatever the file size (bench/download_memory.py).
_TRANSFER = TransferConfig(multipart_threshold=16 * 2**20, multipart_chunksize=16 * 2**20,
                           max_concurrency=4, use_threads=True)


def guess_content_type(filename: str) -> str:
    guessed, _ = mimetypes.guess_type(filename)
    return guessed or "application/octet-stream"


class MediaStorage:
    def __init__(self, bucket: str | None = None, s3: Any = None) -> None:
        self._bucket = bucket or get_settings().media_bucket
        self._s3 = s3 or client("s3")

    def upload_file(self, path: Path, key: str, content_type: str) -> int:
        self._s3.upload_file(str(path), self._bucket, key, ExtraArgs={"ContentType": content_type},
                             Config=_TRANSFER)
        return path.stat().st_size

    def download_url(self, key: str, filename: str, ttl_seconds: int | None = None) -> str:
        safe_name = filename.replace('"', "")
        return str(self._s3.generate_presigned_url(
            "get_object",
            Params={"Bucket": self._bucket, "Key": key,
                    "ResponseContentDisposition": f'attachment; filename="{safe_name}"'},
            ExpiresIn=ttl_seconds or get_settings().presign_ttl_seconds,
        ))
