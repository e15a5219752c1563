"""A faulty TCP proxy in front of the local S3 (SeaweedFS): the first `resets` PUTs that pass
through it are cut after `cut_after` bytes and the connection is reset (RST), as a flaky network
does mid-part. Everything else is piped through unchanged.

Presigned URLs sign the Host header, so the client keeps the URL's host in `Host` and only
connects here (`ProxiedSession`): S3 checks the signature as if the client spoke to it directly."""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests


class ResettingProxy:
    def __init__(self, upstream: str, *, resets: int, cut_after: int = 256 * 1024) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.upstream_netloc = parts.netloc
        self.resets_left = resets
        self.cut_after = cut_after
        self.resets_done = 0
        self.connections = 0
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, daemon=True, name="reset-proxy")

    def __enter__(self) -> ResettingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _take_reset(self, first: bytes) -> bool:
        with self._lock:
            self.connections += 1
            if first.startswith(b"PUT ") and self.resets_left > 0:
                self.resets_left -= 1
                self.resets_done += 1
                return True
        return False

    def _serve(self, client: socket.socket) -> None:
        upstream = socket.create_connection(self.upstream, timeout=60)
        try:
            first = client.recv(65536)
            if self._take_reset(first):
                self._cut(client, upstream, first)
                return
            upstream.sendall(first)
            back = threading.Thread(target=_pipe, args=(upstream, client), daemon=True)
            back.start()
            _pipe(client, upstream)
            back.join(timeout=60)
        finally:
            with contextlib.suppress(OSError):
                upstream.close()
            with contextlib.suppress(OSError):
                client.close()

    def _cut(self, client: socket.socket, upstream: socket.socket, first: bytes) -> None:
        sent = 0
        chunk = first
        while chunk and sent < self.cut_after:
            upstream.sendall(chunk)
            sent += len(chunk)
            chunk = client.recv(65536)
        # SO_LINGER 0: close() sends RST, on both sides (the client sees "connection reset").
        for sock in (client, upstream):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def _pipe(src: socket.socket, dst: socket.socket) -> None:
    try:
        while chunk := src.recv(65536):
            dst.sendall(chunk)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)


class ProxiedSession(requests.Session):
    """Sends requests for the proxy's upstream through the proxy, keeping the signed Host."""

    def __init__(self, proxy: ResettingProxy) -> None:
        super().__init__()
        self.proxy = proxy

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        parts = urlsplit(str(url))
        if parts.netloc == self.proxy.upstream_netloc:
            kwargs["headers"] = {**(kwargs.get("headers") or {}), "Host": parts.netloc}
            url = urlunsplit(parts._replace(netloc=f"127.0.0.1:{self.proxy.port}"))
        return super().request(method, url, *args, **kwargs)
