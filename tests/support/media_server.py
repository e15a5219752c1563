"""A real local HTTP server for media files: Range, slow, throttled and redirect paths.

Routes:
    ``/<file>``             file under ``root`` (HEAD; single ``Range`` -> 206).
    ``/slow/<file>``        same file, ``slow_chunk_size`` bytes at a time with
                            ``slow_delay_s`` pauses (first chunk at once); stops as
                            soon as the client disconnects or the server stops.
    ``/redirect?to=<url>``  302 to ``url`` (``&status=301|303|307|308`` to change).

``throttle_bps`` (settable at any time) paces every normal file response to that many
bytes per second per connection.
"""

from __future__ import annotations

import json
import mimetypes
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Literal
from urllib.parse import parse_qs, unquote, urlsplit

from ._http_server import BackgroundHTTPServer, QuietHandler

__all__ = ["CONTENT_TYPES", "MediaServer", "content_type_for", "parse_range"]

CONTENT_TYPES: dict[str, str] = {
    ".mp4": "video/mp4",
    ".m4a": "audio/mp4",
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".webm": "video/webm",
    ".mp3": "audio/mpeg",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".bin": "application/octet-stream",
}

_RANGE_RE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)
_REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
_COPY_CHUNK = 64 * 1024


def content_type_for(path: Path) -> str:
    """Content-Type for a file name (explicit table first, then `mimetypes`)."""
    known = CONTENT_TYPES.get(path.suffix.lower())
    if known is not None:
        return known
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


def parse_range(header: str | None, size: int) -> tuple[int, int] | Literal[False] | None:
    """Parse a single-range ``Range`` header.

    Returns ``(start, end_inclusive)``; ``None`` when the header is absent,
    multi-range or malformed (serve the whole file); ``False`` when unsatisfiable.
    """
    if not header:
        return None
    match = _RANGE_RE.match(header)
    if match is None:
        return None
    first, last = match.group(1), match.group(2)
    if first == "" and last == "":
        return None
    if first == "":  # suffix range: last N bytes
        length = int(last)
        if length == 0 or size == 0:
            return False
        return max(0, size - length), size - 1
    start = int(first)
    end = size - 1 if last == "" else min(int(last), size - 1)
    if start >= size or (last != "" and int(last) < start):
        return False
    return start, end


class _MediaHandler(QuietHandler):
    """Handler for `MediaServer`."""

    @property
    def media(self) -> MediaServer:
        """The owning `MediaServer`."""
        owner = self.owner
        assert isinstance(owner, MediaServer)
        return owner

    def do_GET(self) -> None:
        """Serve GET."""
        self._handle(head=False)

    def do_HEAD(self) -> None:
        """Serve HEAD (headers only)."""
        self._handle(head=True)

    def _not_found(self, path: str, head: bool) -> None:
        body = json.dumps({"error": "not found", "path": path}).encode()
        self.send_bytes(404, body, "application/json", head=head)

    def _handle(self, head: bool) -> None:
        media = self.media
        media._log_request(self.command, self.path)
        parts = urlsplit(self.path)
        path = unquote(parts.path)

        if path in ("/redirect", "/redirect/"):
            self._redirect(parts.query, head)
            return

        slow = path.startswith("/slow/")
        rel = path[len("/slow/") :] if slow else path.lstrip("/")
        file_path = media._resolve(rel)
        if file_path is None:
            self._not_found(path, head)
            return

        size = file_path.stat().st_size
        rng = parse_range(self.headers.get("Range"), size)
        if rng is False:
            self.send_bytes(
                416,
                b"range not satisfiable\n",
                "text/plain; charset=utf-8",
                head=head,
                extra_headers={"Content-Range": f"bytes */{size}"},
            )
            return
        if isinstance(rng, tuple):
            start, end = rng
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        else:
            start, end = 0, size - 1
            self.send_response(200)
        length = end - start + 1
        self.send_header("Content-Type", content_type_for(file_path))
        self.send_header("Content-Length", str(length))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if head or length <= 0:
            return

        with open(file_path, "rb") as fh:
            fh.seek(start)
            with media._transfer():
                ok = self._send_slow(fh, length) if slow else self._send_normal(fh, length, media.throttle_bps)
                if not ok:  # logged before the transfer counts as finished
                    media._log_abort(self.path)
                    self.close_connection = True

    def _redirect(self, query: str, head: bool) -> None:
        params = parse_qs(query)
        targets = params.get("to")
        status_raw = params.get("status", ["302"])[0]
        status = int(status_raw) if status_raw.isdigit() else 0
        if not targets or status not in _REDIRECT_CODES:
            self.send_bytes(
                400,
                b"need ?to=<url> (and optional valid status)\n",
                "text/plain; charset=utf-8",
                head=head,
            )
            return
        self.send_bytes(
            status,
            b"",
            "text/plain; charset=utf-8",
            head=head,
            extra_headers={"Location": targets[0]},
        )

    def _write(self, data: bytes) -> bool:
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except (ConnectionError, OSError):
            return False
        return True

    def _send_normal(self, fh: BinaryIO, length: int, throttle_bps: int | None) -> bool:
        """Copy `length` bytes, optionally paced to `throttle_bps` bytes/second."""
        if throttle_bps is None or throttle_bps <= 0:
            remaining = length
            while remaining > 0:
                data = fh.read(min(_COPY_CHUNK, remaining))
                if not data or not self._write(data):
                    return False
                remaining -= len(data)
            return True
        chunk = max(1024, min(256 * 1024, throttle_bps // 20))  # ~50 ms per chunk
        began = time.monotonic()
        sent = 0
        while sent < length:
            data = fh.read(min(chunk, length - sent))
            if not data or not self._write(data):
                return False
            sent += len(data)
            due = began + sent / throttle_bps - time.monotonic()
            if sent < length and due > 0 and not self.pause(due):
                return False
        return True

    def _send_slow(self, fh: BinaryIO, length: int) -> bool:
        """Send `slow_chunk_size` bytes at a time, `slow_delay_s` apart."""
        media = self.media
        sent = 0
        while sent < length:
            if sent and not self.pause(media.slow_delay_s):
                return False
            data = fh.read(min(media.slow_chunk_size, length - sent))
            if not data or not self._write(data):
                return False
            sent += len(data)
        return True


class MediaServer(BackgroundHTTPServer):
    """Serve files from `root` on 127.0.0.1 (ephemeral port) from a daemon thread.

    Use as a context manager or call `start()` / `stop()`.
    """

    handler_class = _MediaHandler

    def __init__(
        self,
        root: Path,
        *,
        throttle_bps: int | None = None,
        slow_chunk_size: int = 16 * 1024,
        slow_delay_s: float = 0.5,
        host: str = "127.0.0.1",
    ) -> None:
        super().__init__(host)
        self.root = Path(root).resolve()
        self.throttle_bps = throttle_bps
        self.slow_chunk_size = slow_chunk_size
        self.slow_delay_s = slow_delay_s
        self._log: list[tuple[str, str]] = []
        self._aborted: list[str] = []
        self._active = 0
        self._cond = threading.Condition()

    def url(self, path: str = "/") -> str:
        """Absolute URL for `path` (e.g. ``"clip.mp4"`` or ``"/slow/clip.mp4"``)."""
        return self.base_url + ("" if path.startswith("/") else "/") + path

    # -- assertions helpers ------------------------------------------------------

    @property
    def requests(self) -> list[tuple[str, str]]:
        """Copy of the request log: ``(method, raw request path incl. query)``."""
        with self._cond:
            return list(self._log)

    @property
    def aborted(self) -> list[str]:
        """Request paths whose body was cut short (client gone or server stopping)."""
        with self._cond:
            return list(self._aborted)

    @property
    def active_transfers(self) -> int:
        """Number of response bodies being sent right now."""
        with self._cond:
            return self._active

    def clear_log(self) -> None:
        """Forget logged requests and aborted transfers."""
        with self._cond:
            self._log.clear()
            self._aborted.clear()

    def wait_for_request(self, predicate: Callable[[str, str], bool], timeout: float = 10.0) -> tuple[str, str]:
        """Block until a logged ``(method, path)`` matches; TimeoutError otherwise."""
        found: list[tuple[str, str]] = []

        def match() -> bool:
            for entry in self._log:
                if predicate(*entry):
                    found.append(entry)
                    return True
            return False

        with self._cond:
            if not self._cond.wait_for(match, timeout):
                raise TimeoutError(f"no matching request within {timeout}s: {self._log!r}")
        return found[0]

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until no response body is being sent; return False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._active == 0, timeout)

    # -- internals -----------------------------------------------------------------

    def _resolve(self, rel: str) -> Path | None:
        if not rel or "\x00" in rel:
            return None
        candidate = (self.root / rel).resolve()
        if not candidate.is_relative_to(self.root) or not candidate.is_file():
            return None
        return candidate

    def _log_request(self, method: str, path: str) -> None:
        with self._cond:
            self._log.append((method, path))
            self._cond.notify_all()

    def _log_abort(self, path: str) -> None:
        with self._cond:
            self._aborted.append(path)
            self._cond.notify_all()

    @contextmanager
    def _transfer(self) -> Iterator[None]:
        with self._cond:
            self._active += 1
        try:
            yield
        finally:
            with self._cond:
                self._active -= 1
                self._cond.notify_all()
