"""Shared plumbing for the background HTTP servers used in tests."""

from __future__ import annotations

import contextlib
import os
import select
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self, cast

__all__ = ["BackgroundHTTPServer", "QuietHandler"]


class _OwnedServer(ThreadingHTTPServer):
    """`ThreadingHTTPServer` that knows the `BackgroundHTTPServer` owning it."""

    # socketserver's default backlog of 5 makes the 6th simultaneous client wait ~1 s for a
    # SYN retry: a batch with concurrent_limit 10 would measure the kernel, not the product.
    request_queue_size = 128

    daemon_threads = True
    allow_reuse_address = False

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        owner: BackgroundHTTPServer,
    ) -> None:
        self.owner = owner
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore client disconnects; print other handler errors and record them."""
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)) or self.owner.stopping:
            return
        if exc is not None:
            self.owner.record_error(exc)
        super().handle_error(request, client_address)


class QuietHandler(BaseHTTPRequestHandler):
    """Request handler base: HTTP/1.1, no stderr logging, connection tracking."""

    protocol_version = "HTTP/1.1"
    timeout = 30.0  # idle keep-alive connections are dropped after this
    server_version = "mediabatch-test"
    sys_version = ""

    @property
    def owner(self) -> BackgroundHTTPServer:
        """The `BackgroundHTTPServer` this handler belongs to."""
        return cast(_OwnedServer, self.server).owner

    def setup(self) -> None:
        """Register the connection so `stop()` can close it."""
        super().setup()
        self.owner._register(self.connection)

    def finish(self) -> None:
        """Unregister the connection."""
        try:
            super().finish()
        finally:
            self.owner._unregister(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default per-request logging to stderr."""

    def send_bytes(
        self,
        status: int,
        body: bytes,
        content_type: str,
        *,
        head: bool = False,
        extra_headers: dict[str, str] | None = None,
    ) -> None:
        """Send a complete response with a fixed body and Content-Length."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (extra_headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def pause(self, seconds: float) -> bool:
        """Sleep up to `seconds`; False early if the client left or the server stops.

        Event-driven (select on the client socket and the server's wake-up pipe).
        """
        return self.owner._pause(self.connection, seconds)


class BackgroundHTTPServer:
    """A `ThreadingHTTPServer` on 127.0.0.1 (ephemeral port) run by a daemon thread."""

    handler_class: type[QuietHandler] = QuietHandler

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._host = host
        self._server: _OwnedServer | None = None
        self._thread: threading.Thread | None = None
        self._stop_event = threading.Event()
        self._wake_r, self._wake_w = -1, -1
        self._conns: set[socket.socket] = set()
        self._conns_cond = threading.Condition()
        self._errors: list[BaseException] = []

    # -- lifecycle ---------------------------------------------------------------

    def start(self) -> Self:
        """Bind an ephemeral port and start serving in a daemon thread."""
        if self._server is not None:
            raise RuntimeError("server already started")
        self._stop_event.clear()
        self._wake_r, self._wake_w = os.pipe()
        self._server = _OwnedServer((self._host, 0), self.handler_class, self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{type(self).__name__}:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving, drop open connections, wait (bounded) for handlers to end."""
        server = self._server
        if server is None:
            return
        self._stop_event.set()
        os.write(self._wake_w, b"x")  # wakes every handler blocked in pause()
        server.shutdown()
        server.server_close()
        with self._conns_cond:
            for conn in list(self._conns):
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
            self._conns_cond.wait_for(lambda: not self._conns, timeout=timeout)
        if self._thread is not None:
            self._thread.join(timeout)
        os.close(self._wake_r)
        os.close(self._wake_w)
        self._server = None
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        # A handler that crashed is a broken test server, and a test that passed through it
        # proved nothing: fail the block (unless it is already failing for another reason).
        if exc_type is None and self.errors:
            raise AssertionError(f"{type(self).__name__} handler errors: {self.errors!r}")

    # -- info ----------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The bound TCP port."""
        if self._server is None:
            raise RuntimeError("server not started")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT` (no trailing slash)."""
        return f"http://{self._host}:{self.port}"

    @property
    def stopping(self) -> bool:
        """True once `stop()` has been called."""
        return self._stop_event.is_set()

    @property
    def open_connections(self) -> int:
        """Number of client connections currently open."""
        with self._conns_cond:
            return len(self._conns)

    @property
    def errors(self) -> list[BaseException]:
        """Unexpected exceptions raised by handlers (client disconnects excluded)."""
        with self._conns_cond:
            return list(self._errors)

    # -- internals used by handlers ------------------------------------------------

    def record_error(self, exc: BaseException) -> None:
        """Remember an unexpected handler exception."""
        with self._conns_cond:
            self._errors.append(exc)

    def _register(self, conn: socket.socket) -> None:
        with self._conns_cond:
            self._conns.add(conn)

    def _unregister(self, conn: socket.socket) -> None:
        with self._conns_cond:
            self._conns.discard(conn)
            self._conns_cond.notify_all()

    def _pause(self, conn: socket.socket, seconds: float) -> bool:
        if self._stop_event.is_set():
            return False
        if seconds <= 0:
            return True
        watch_client = True
        deadline = time.monotonic() + seconds
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return True
            rlist: list[Any] = [self._wake_r, conn] if watch_client else [self._wake_r]
            try:
                ready, _, _ = select.select(rlist, [], [], remaining)
            except (OSError, ValueError):
                return False
            if self._wake_r in ready or self._stop_event.is_set():
                return False
            if conn in ready:
                try:
                    peeked = conn.recv(1, socket.MSG_PEEK)
                except OSError:
                    return False
                if not peeked:
                    return False  # orderly close by the client
                watch_client = False  # pipelined data, not a disconnect: stop watching
