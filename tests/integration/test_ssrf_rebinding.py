"""DNS rebinding against the real fetchers: a name that answers a public address to the
guard's lookup and the trap (127.0.0.3) to the next. The yt-dlp connect guard checks the address
it connects to; the webhook client connects to the address it checked. The trap stays at 0."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mediabatch.adapters.http.safe_client import SafeHttpClient
from mediabatch.adapters.ytdlp.downloader import YtDlpDownloader, install_connect_guard
from mediabatch.downloads.models import DownloadFailed, DownloadSpec
from mediabatch.errors import UnsafeUrl
from mediabatch.urlguard import UrlPolicy
from tests.support.ssrf import REBIND_NAME, StubResolver, TrapServer

pytestmark = pytest.mark.integration

TEST_CLOUD_POLICY = UrlPolicy.from_allowlist("127.0.0.1")


@pytest.fixture
def trap() -> Iterator[TrapServer]:
    with TrapServer() as server:
        yield server


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> StubResolver:
    stub = StubResolver()
    monkeypatch.setattr(socket, "getaddrinfo", stub)
    return stub


@pytest.fixture
def guard() -> Iterator[None]:
    install_connect_guard(TEST_CLOUD_POLICY)
    yield
    install_connect_guard(TEST_CLOUD_POLICY)


def test_the_downloader_refuses_a_name_that_rebinds_to_the_trap(
    guard: None, resolver: StubResolver, trap: TrapServer, tmp_path: Path
) -> None:
    downloader = YtDlpDownloader(TEST_CLOUD_POLICY, progress_interval=0.0, socket_timeout=5)
    url = f"http://{REBIND_NAME}:{trap.port}/clip.mp4"

    with pytest.raises((UnsafeUrl, DownloadFailed)):
        downloader.download(DownloadSpec(url), tmp_path, lambda p: None, time.monotonic() + 30)

    assert resolver.rebind_answers >= 2  # the guard's lookup passed; the connection's was refused
    assert trap.hits == []


def test_the_webhook_client_connects_only_to_the_address_it_checked(resolver: StubResolver, trap: TrapServer) -> None:
    resolver.rebind_answers = 1  # the client's one lookup gets the trap
    client = SafeHttpClient(TEST_CLOUD_POLICY, timeout_seconds=5)

    with pytest.raises(UnsafeUrl):
        client.post(f"http://{REBIND_NAME}:{trap.port}/hook", b"{}", {"content-type": "application/json"})

    assert trap.hits == []
