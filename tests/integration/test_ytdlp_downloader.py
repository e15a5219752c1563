"""The yt-dlp adapter against a real HTTP server on 127.0.0.1 serving ffmpeg-made media: what it
downloads, how it fails, cancels and times out, and that the SSRF guard holds on every hop."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mediabatch.adapters.ytdlp.downloader import YtDlpDownloader, install_connect_guard
from mediabatch.downloads.models import DownloadFailed, DownloadSpec, JobCancelled, JobTimedOut, Progress
from mediabatch.errors import UnsafeUrl
from mediabatch.urlguard import UrlPolicy
from tests.support.media import PAGE_TITLE, MediaSet, ffprobe
from tests.support.media_server import MediaServer

pytestmark = pytest.mark.integration

# What the e2e tests (and the local cloud's runner) need installed: the guard is process-global.
E2E_POLICY = UrlPolicy.from_allowlist("127.0.0.1")


@pytest.fixture
def restore_guard() -> Iterator[None]:
    yield
    install_connect_guard(E2E_POLICY)


@pytest.fixture
def downloader(restore_guard: None) -> YtDlpDownloader:
    return YtDlpDownloader(UrlPolicy.from_allowlist("127.0.0.1"), progress_interval=0.0, socket_timeout=10)


def later(seconds: float = 60.0) -> float:
    return time.monotonic() + seconds


def test_a_direct_file_is_downloaded_byte_for_byte(
    downloader: YtDlpDownloader, media: MediaSet, media_server: MediaServer, tmp_path: Path
) -> None:
    progress: list[Progress] = []

    result = downloader.download(DownloadSpec(media_server.url("/clip.mp4")), tmp_path, progress.append, later())

    assert result.path.is_relative_to(tmp_path)
    assert result.path.read_bytes() == media.clip.read_bytes()
    assert result.info["title"] == "clip" and result.path.suffix == ".mp4"
    # Progress: bytes against the known size, with the title, never 100 % before the end.
    assert progress and progress[0].title == "clip"
    size = media.clip.stat().st_size
    assert any(p.total == size and 0 < p.downloaded <= size for p in progress)
    assert all(0.0 <= p.percent <= 99.0 and p.title == "clip" for p in progress)


def test_a_page_with_a_video_element_yields_that_video(
    downloader: YtDlpDownloader, media: MediaSet, media_server: MediaServer, tmp_path: Path
) -> None:
    result = downloader.download(DownloadSpec(media_server.url("/page.html")), tmp_path, lambda p: None, later())

    assert PAGE_TITLE in str(result.info["title"])
    assert result.path.suffix == ".mp4"
    assert result.path.read_bytes() == media.clip2.read_bytes()  # the <video src="clip2.mp4">


def test_an_hls_playlist_becomes_one_playable_mp4(
    downloader: YtDlpDownloader, media_server: MediaServer, tmp_path: Path
) -> None:
    result = downloader.download(DownloadSpec(media_server.url("/hls/index.m3u8")), tmp_path, lambda p: None, later())

    assert result.path.suffix == ".mp4"
    probe = ffprobe(result.path)
    assert {s["codec_type"] for s in probe["streams"]} >= {"video", "audio"}
    assert float(probe["format"]["duration"]) == pytest.approx(3.0, abs=0.5)
    served = [path for _, path in media_server.requests if path.startswith("/hls/seg")]
    assert len(served) >= 3  # every segment was fetched (through the guarded connection path)


def test_a_missing_file_fails_with_a_clear_message(
    downloader: YtDlpDownloader, media_server: MediaServer, tmp_path: Path
) -> None:
    with pytest.raises(DownloadFailed) as raised:
        downloader.download(DownloadSpec(media_server.url("/missing.mp4")), tmp_path, lambda p: None, later())

    message = str(raised.value)
    assert "404" in message and "Not Found" in message
    assert not message.startswith("ERROR") and "\x1b[" not in message


def test_the_progress_callback_can_cancel_a_running_download(
    downloader: YtDlpDownloader, media_server: MediaServer, tmp_path: Path
) -> None:
    seen: list[Progress] = []

    def cancel_once_bytes_flow(progress: Progress) -> None:
        seen.append(progress)
        if progress.downloaded > 0:
            raise JobCancelled()

    # /slow/ sends 4 KiB every 0.25 s: uncancelled, clip2.mp4 would take over ten seconds.
    with pytest.raises(JobCancelled):
        downloader.download(
            DownloadSpec(media_server.url("/slow/clip2.mp4")), tmp_path, cancel_once_bytes_flow, later()
        )

    assert seen[-1].downloaded > 0
    assert seen[-1].total is not None and seen[-1].downloaded < seen[-1].total  # stopped part-way


def test_a_deadline_in_the_past_times_the_download_out(
    downloader: YtDlpDownloader, media_server: MediaServer, tmp_path: Path
) -> None:
    with pytest.raises(JobTimedOut):
        downloader.download(
            DownloadSpec(media_server.url("/slow/clip.mp4")), tmp_path, lambda p: None, time.monotonic() - 1
        )


def test_a_url_the_policy_does_not_allow_is_refused_before_any_request(
    restore_guard: None, media_server: MediaServer, tmp_path: Path
) -> None:
    strict = YtDlpDownloader(UrlPolicy(), progress_interval=0.0)
    media_server.clear_log()
    url = media_server.url("/clip.mp4?strict")

    # Refused up front by check_url (reported either as the policy's error or as a failed download).
    with pytest.raises((UnsafeUrl, DownloadFailed)) as raised:
        strict.download(DownloadSpec(url), tmp_path, lambda p: None, later())

    assert "refusing to connect to 127.0.0.1" in str(raised.value)
    assert "not a public address" in str(raised.value)
    assert not any("strict" in path for _, path in media_server.requests)


def test_a_file_over_the_size_limit_fails_with_a_clear_message(
    restore_guard: None, media_server: MediaServer, tmp_path: Path
) -> None:
    small = YtDlpDownloader(UrlPolicy.from_allowlist("127.0.0.1"), progress_interval=0.0, max_bytes=10_000)

    with pytest.raises(DownloadFailed) as raised:
        small.download(DownloadSpec(media_server.url("/clip.mp4")), tmp_path, lambda p: None, later())

    assert "larger than the limit of 10000 bytes" in str(raised.value)


@pytest.fixture
def internal_server(media_root: Path) -> Iterator[MediaServer]:
    """A server on another loopback address: stands for an internal service behind the guard."""
    with MediaServer(media_root, host="127.0.0.2") as server:
        yield server


def test_a_redirect_to_a_non_public_address_is_refused_by_the_connect_guard(
    restore_guard: None, media_server: MediaServer, internal_server: MediaServer, tmp_path: Path
) -> None:
    guarded = YtDlpDownloader(UrlPolicy.from_allowlist("127.0.0.1/32"), progress_interval=0.0)
    url = media_server.url("/redirect?to=" + internal_server.url("/clip.mp4"))

    with pytest.raises(DownloadFailed) as raised:
        guarded.download(DownloadSpec(url), tmp_path, lambda p: None, later())

    assert "refusing to connect to 127.0.0.2" in str(raised.value)
    assert "not a public address" in str(raised.value)
    assert internal_server.requests == []  # the internal service never saw a request


def test_a_live_hls_stream_is_refused_before_ffmpeg_could_fetch_anything(
    downloader: YtDlpDownloader, media: MediaSet, media_server: MediaServer, tmp_path: Path
) -> None:
    """yt-dlp hands live HLS to ffmpeg, which opens its own connections outside the SSRF guard."""
    playlist = media.hls_playlist.read_text()
    live = media.hls_playlist.parent / "live.m3u8"
    live.write_text(playlist.replace("#EXT-X-ENDLIST", "").replace("#EXT-X-PLAYLIST-TYPE:VOD", ""))
    media_server.clear_log()
    with pytest.raises(DownloadFailed, match="live"):
        downloader.download(DownloadSpec(media_server.url("/hls/live.m3u8")), tmp_path, lambda p: None, later())
    assert not any(path.endswith(".ts") for _, path in media_server.requests)
