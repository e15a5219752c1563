"""The command line's progress bar on stderr: every file of a call as one bar, redrawn in place
on a terminal, a line at every further 10 % in a log."""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

from mediabatch_client.models import UploadProgress

__all__ = ["ProgressBar", "human"]


def human(n_bytes: float) -> str:
    """A byte count as people read it: ``512 B``, ``1.5 MiB``, ``2.3 GiB``."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n_bytes) < 1024 or unit == "GiB":
            return f"{n_bytes:.0f} {unit}" if unit == "B" else f"{n_bytes:.1f} {unit}"
        n_bytes /= 1024
    return f"{n_bytes:.1f} TiB"  # pragma: no cover - the loop returns


class ProgressBar:
    """All files of a call as one bar: ``[#####.....]  48.2%  1.2 GiB/2.5 GiB  85.3 MiB/s  1/3 files``.

    On a terminal it redraws in place (at most 10 times a second); elsewhere (a log) it prints a
    line at every further 10 %."""

    def __init__(self, total_bytes: int, total_files: int, stream: TextIO | None = None, width: int = 30) -> None:
        self.total_bytes = max(1, total_bytes)
        self.total_files = total_files
        self.stream = stream or sys.stderr
        self.width = width
        self.tty = self.stream.isatty()
        self._files: dict[str, UploadProgress] = {}
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._start_bytes: int | None = None
        self._last_draw = 0.0
        self._last_decile = -1

    def __call__(self, progress: UploadProgress) -> None:
        with self._lock:
            self._files[progress.upload_id] = progress
            if self._start_bytes is None:
                self._start_bytes = progress.bytes_done  # bytes a resumed upload already had
            self._draw(force=progress.completed)

    def line(self) -> str:
        done = sum(p.bytes_done for p in self._files.values())
        fraction = min(1.0, done / self.total_bytes)
        filled = int(fraction * self.width)
        elapsed = max(1e-6, time.monotonic() - self._started)
        rate = max(0, done - (self._start_bytes or 0)) / elapsed
        completed = sum(1 for p in self._files.values() if p.completed)
        return (
            f"[{'#' * filled}{'.' * (self.width - filled)}] {fraction * 100:5.1f}%  {human(done)}/"
            f"{human(self.total_bytes)}  {human(rate)}/s  {completed}/{self.total_files} files"
        )

    def _draw(self, force: bool) -> None:
        now = time.monotonic()
        if self.tty:
            if force or now - self._last_draw >= 0.1:
                self._last_draw = now
                self.stream.write("\r" + self.line())
                self.stream.flush()
            return
        done = sum(p.bytes_done for p in self._files.values())
        decile = int(10 * min(1.0, done / self.total_bytes))
        if decile > self._last_decile or force:
            self._last_decile = decile
            self.stream.write(self.line() + "\n")
            self.stream.flush()

    def finish(self) -> None:
        with self._lock:
            if self.tty:
                self.stream.write("\r" + self.line() + "\n")
                self.stream.flush()
