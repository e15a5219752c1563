"""Uploading a file to S3 while it is still being written (downloads that stream to disk)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import queue
import threading
from pathlib import Path
from typing import Any


class ProgressiveUpload:
    """Uploads a file to S3 while it is still being written, part by part.

    `feed(path, available)` is called as bytes land on disk; every full part is uploaded by one
    background thread (the download waits only when two parts are already queued, so at most
    three parts are in memory). The file is opened once and read through that descriptor:
    yt-dlp renames its `.part` file when it finishes, and the descriptor follows the rename.
    `finish(path)` uploads the tail, checks every uploaded part against the finished file (MD5
    of what was sent) and completes; if anything does not match (the downloader restarted or
    replaced the file), the multipart upload is aborted and the caller uploads the finished file
    the ordinary way. Small files never start a multipart upload at all.
    """

    def __init__(self, s3: Any, bucket: str, key: str, content_type: str, part_size: int = 16 * 2**20) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._key = key
        self._content_type = content_type
        self._part_size = part_size
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []
        self._md5: dict[int, str] = {}  # of the bytes actually sent, per part number
        self._scheduled = 0  # bytes handed to the worker
        self._broken = False
        self._error: BaseException | None = None
        self._queue: queue.Queue[tuple[int, int] | None] = queue.Queue(maxsize=2)
        self._worker: threading.Thread | None = None
        self._fd: int | None = None
        self._source: Path | None = None

    def feed(self, path: Path, available: int) -> None:
        if self._broken:
            return
        if self._source is not None and path != self._source:
            self._broken = True  # another file than the one being sent
            return
        if available < self._scheduled:  # the file was truncated: restarted download
            self._broken = True
            return
        while available - self._scheduled >= self._part_size:
            if self._worker is None:
                self._start(path)
            self._queue.put((self._scheduled, self._part_size))
            self._scheduled += self._part_size

    def finish(self, path: Path) -> bool:
        """True if the object is complete in S3; False if the caller must upload `path` itself."""
        self._stop_worker()
        if self._upload_id is None or self._fd is None:
            self._close()
            return False
        final, sent = os.stat(path), os.fstat(self._fd)
        if (
            self._broken
            or self._error is not None
            or (final.st_dev, final.st_ino) != (sent.st_dev, sent.st_ino)
            or final.st_size < self._scheduled
        ):
            self.abort()
            return False
        offset = self._scheduled
        while offset < final.st_size:
            self._upload_part(offset, min(self._part_size, final.st_size - offset))
            offset += self._part_size
        if not self._parts_match():
            self.abort()
            return False
        self._s3.complete_multipart_upload(
            Bucket=self._bucket,
            Key=self._key,
            UploadId=self._upload_id,
            MultipartUpload={"Parts": sorted(self._parts, key=lambda p: p["PartNumber"])},
        )
        self._upload_id = None
        self._close()
        return True

    def abort(self) -> None:
        self._stop_worker()
        if self._upload_id is not None:
            with contextlib.suppress(self._s3.exceptions.NoSuchUpload):
                self._s3.abort_multipart_upload(Bucket=self._bucket, Key=self._key, UploadId=self._upload_id)
            self._upload_id = None
        self._close()

    # ------------------------------------------------------------------ internals
    def _start(self, path: Path) -> None:
        self._fd = os.open(path, os.O_RDONLY)
        self._source = path
        self._upload_id = self._s3.create_multipart_upload(
            Bucket=self._bucket, Key=self._key, ContentType=self._content_type
        )["UploadId"]
        self._worker = threading.Thread(target=self._run, name=f"upload-{self._key[-40:]}", daemon=True)
        self._worker.start()

    def _run(self) -> None:
        while (job := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._upload_part(*job)
                except BaseException as exc:  # reported by finish(), which falls back
                    self._error = exc

    def _stop_worker(self) -> None:
        if self._worker is not None:
            self._queue.put(None)
            self._worker.join()
            self._worker = None

    def _close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _upload_part(self, offset: int, length: int) -> None:
        assert self._fd is not None
        data = os.pread(self._fd, length, offset)
        number = offset // self._part_size + 1
        etag = self._s3.upload_part(
            Bucket=self._bucket, Key=self._key, UploadId=self._upload_id, PartNumber=number, Body=data
        )["ETag"]
        self._parts.append({"PartNumber": number, "ETag": etag})
        self._md5[number] = hashlib.md5(data).hexdigest()  # noqa: S324 - integrity check, not security

    def _parts_match(self) -> bool:
        assert self._fd is not None
        for part in self._parts:
            start = (part["PartNumber"] - 1) * self._part_size
            digest = hashlib.md5()  # noqa: S324 - integrity check, not security
            for block in range(start, start + self._part_size, 2**20):
                chunk = os.pread(self._fd, min(2**20, start + self._part_size - block), block)
                if not chunk:
                    break
                digest.update(chunk)
            if digest.hexdigest() != self._md5[part["PartNumber"]]:
                return False
        return True
