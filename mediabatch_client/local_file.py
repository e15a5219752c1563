"""The local file being uploaded: checked once before its upload is opened, then read one
chunk at a time, block by block, while requests sends it."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from mediabatch_client.errors import Aborted, UploadError

__all__ = ["SEND_BLOCK", "PartReader", "PathLike", "local_file"]

SEND_BLOCK = 1024 * 1024  # bytes read from the file and handed to the socket at a time

PathLike = str | os.PathLike[str]


def local_file(path: PathLike) -> tuple[Path, int]:
    """The file as a Path and its size; UploadError ``local_file_error`` unless it is a
    readable regular file (checked before the server is asked for anything)."""
    local = Path(path)
    try:
        size = local.stat().st_size
    except OSError as exc:
        raise UploadError(f"cannot read {local}: {exc}", code="local_file_error", path=local) from exc
    if not local.is_file():
        raise UploadError(f"{local} is not a regular file", code="local_file_error", path=local)
    return local, size


class PartReader:
    """Bytes ``[offset, offset + length)`` of a file as a file-like request body, read block by
    block while requests sends it: a part is never held whole in memory.

    `on_read` hears of every block handed out (progress); `sent` counts them, so a failed
    attempt can take its bytes back. A local failure (unreadable, or shorter than when the
    upload began) is kept in `local_error`, since requests may wrap what `read` raises."""

    def __init__(
        self, path: Path, offset: int, length: int, on_read: Callable[[int], None], abort: threading.Event
    ) -> None:
        self._path = path
        self._offset = offset
        self._length = length
        self._remaining = length
        self._on_read = on_read
        self._abort = abort
        self._fh: BinaryIO | None = None
        self.sent = 0
        self.local_error: UploadError | None = None

    def __len__(self) -> int:  # requests sends Content-Length: len(body)
        return self._length

    def __iter__(self) -> Iterator[bytes]:
        while block := self.read(SEND_BLOCK):
            yield block

    def read(self, size: int | None = -1) -> bytes:
        if self._abort.is_set():
            raise Aborted
        if self._remaining <= 0:
            return b""
        wanted = self._remaining if size is None or size < 0 else min(size, self._remaining)
        wanted = min(wanted, SEND_BLOCK)
        data = self._read_block(wanted)
        self._remaining -= wanted
        self.sent += wanted
        self._on_read(wanted)
        return data

    def _read_block(self, wanted: int) -> bytes:
        try:
            if self._fh is None:
                self._fh = open(self._path, "rb")  # noqa: SIM115 - closed in close()
                self._fh.seek(self._offset)
            data = self._fh.read(wanted)
        except OSError as exc:
            self.local_error = UploadError(f"cannot read {self._path}: {exc}", code="local_file_error", path=self._path)
            raise self.local_error from exc
        if len(data) != wanted:
            self.local_error = UploadError(
                f"{self._path} is shorter than when the upload started", code="local_file_changed", path=self._path
            )
            raise self.local_error
        return data

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
