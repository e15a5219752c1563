"""One file's progress as the client reports it to `on_progress` callbacks.

Callbacks run on the worker threads; the lock (one per client, shared by every file of a
call) makes them run one at a time, so a callback needs no locking of its own."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from mediabatch_client.models import UploadProgress, UploadSession

__all__ = ["PROGRESS_STEP", "ProgressCallback", "ProgressTracker"]

ProgressCallback = Callable[[UploadProgress], None]

PROGRESS_STEP = 256 * 1024  # callbacks at most every this many bytes of a file (and at each chunk)


class ProgressTracker:
    """Counts one file's bytes and chunks and calls the callback: at the start, at least every
    `PROGRESS_STEP` bytes, whenever bytes are taken back (a failed attempt), at each chunk
    stored, and once completed."""

    def __init__(
        self,
        lock: threading.Lock,
        callback: ProgressCallback | None,
        path: Path,
        session: UploadSession,
        bytes_done: int = 0,
        chunks_done: int = 0,
    ) -> None:
        self._lock = lock
        self._callback = callback
        self._path = path
        self._session = session
        self.bytes_done = bytes_done
        self.chunks_done = chunks_done
        self.bytes_sent = 0
        self._emitted = -PROGRESS_STEP

    def add_bytes(self, n: int) -> None:
        """`n` more bytes sent (negative: an attempt failed and its bytes no longer count)."""
        with self._lock:
            self.bytes_done += n
            self.bytes_sent += n
            if n < 0 or self.bytes_done - self._emitted >= PROGRESS_STEP:
                self._emit(False)

    def chunk_done(self) -> None:
        with self._lock:
            self.chunks_done += 1
            self._emit(False)

    def completed(self) -> None:
        with self._lock:
            self.chunks_done = self._session.total_chunks
            self.bytes_done = self._session.size
            self._emit(True)

    def start(self) -> None:
        with self._lock:
            self._emit(False)

    def _emit(self, completed: bool) -> None:
        self._emitted = self.bytes_done
        if self._callback is not None:
            s = self._session
            self._callback(
                UploadProgress(
                    path=self._path,
                    filename=s.filename,
                    upload_id=s.upload_id,
                    bytes_done=self.bytes_done,
                    total_bytes=s.size,
                    chunks_done=self.chunks_done,
                    total_chunks=s.total_chunks,
                    completed=completed,
                )
            )
