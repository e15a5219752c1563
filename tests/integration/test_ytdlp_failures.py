"""How real downloads fail, end to end through yt-dlp against servers on 127.0.0.1: each becomes
the code a client can branch on and a message in the product's words (the raw text stays in
`detail`). The strings in tests/unit/downloads/test_failure_mapping.py were collected here."""

from __future__ import annotations

import http.server
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mediabatch.adapters.ytdlp.downloader import YtDlpDownloader, install_connect_guard
from mediabatch.downloads.failures import FailureCode
from mediabatch.downloads.models import DownloadFailed, DownloadSpec
from mediabatch.urlguard import UrlPolicy

pytestmark = pytest.mark.integration


class _Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.startswith("/page"):
            body = b"<html><head><title>no media</title></head><body>just text</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif self.path.startswith("/stall"):
            time.sleep(3)
        elif self.path.startswith("/403"):
            self.send_response(403)
            self.end_headers()
        else:
            self.send_response(404)
            self.end_headers()


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield int(server.server_address[1])
    server.shutdown()


@pytest.fixture
def downloader() -> Iterator[YtDlpDownloader]:
    yield YtDlpDownloader(UrlPolicy.from_allowlist("127.0.0.1"), progress_interval=0.0, socket_timeout=1)
    install_connect_guard(UrlPolicy.from_allowlist("127.0.0.1"))


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fail(downloader: YtDlpDownloader, url: str, tmp_path: Path) -> DownloadFailed:
    with pytest.raises(DownloadFailed) as raised:
        downloader.download(DownloadSpec(url), tmp_path, lambda p: None, time.monotonic() + 30)
    return raised.value


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://127.0.0.1:{port}/missing.mp4", FailureCode.NOT_FOUND),
        ("http://127.0.0.1:{port}/403.mp4", FailureCode.FORBIDDEN),
        ("http://127.0.0.1:{port}/page.html", FailureCode.NO_MEDIA_FOUND),
        ("https://127.0.0.1:{port}/missing.mp4", FailureCode.TLS),
        ("http://127.0.0.1:{closed}/clip.mp4", FailureCode.NETWORK),
        ("http://127.0.0.1:{port}/stall.mp4", FailureCode.TIMEOUT),
    ],
)
def test_each_way_a_download_fails_has_its_code(
    downloader: YtDlpDownloader, port: int, tmp_path: Path, url: str, code: FailureCode
) -> None:
    failed = fail(downloader, url.format(port=port, closed=closed_port()), tmp_path)

    assert failed.failure.code is code, failed.failure
    assert "yt-dlp" not in failed.failure.message and "[generic]" not in failed.failure.message
    assert failed.failure.detail and "please report this issue" not in failed.failure.detail


def test_a_refused_address_is_named_in_the_message(port: int, tmp_path: Path) -> None:
    strict = YtDlpDownloader(UrlPolicy(), progress_interval=0.0)
    try:
        failed = fail(strict, f"http://127.0.0.1:{port}/clip.mp4", tmp_path)
    finally:
        install_connect_guard(UrlPolicy.from_allowlist("127.0.0.1"))

    assert failed.failure.code is FailureCode.REFUSED_ADDRESS
    assert "refusing to connect to 127.0.0.1: not a public address" in failed.failure.message
