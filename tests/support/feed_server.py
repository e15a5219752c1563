"""A local podcast host: feeds (RSS text set by the test) and audio enclosures on 127.0.0.1.

Routes:
    ``/feeds/<name>``      the feed text stored under ``name`` (``application/rss+xml``).
    ``/audio/<any>.<ext>`` the one audio file of that extension (every episode has the same
                           bytes, so hundreds of episodes cost no disk); ``503`` while the path
                           is in ``unavailable``.
"""

from __future__ import annotations

import subprocess
import threading
from html import escape
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ._http_server import BackgroundHTTPServer, QuietHandler

__all__ = ["FeedServer", "make_audio", "rss"]

AUDIO_TYPES = {"mp3": "audio/mpeg", "ogg": "audio/ogg", "opus": "audio/ogg", "m4a": "audio/mp4"}
_ENCODERS = {"mp3": ["-c:a", "libmp3lame", "-b:a", "32k"], "ogg": ["-c:a", "libvorbis"], "opus": ["-c:a", "libopus"]}


STALL_SECONDS = 40.0  # past the API function's 29 s


def make_audio(directory: Path, ext: str = "mp3", seconds: float = 1.0) -> Path:
    """A short sine tone made by ffmpeg (a few KB)."""
    path = directory / f"tone.{ext}"
    if not path.exists():
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
            + _ENCODERS[ext]
            + [str(path)],
            check=True,
        )
    return path


def rss(title: str, episodes: list[tuple[str, str]]) -> str:
    """An RSS 2.0 feed: one item per (title, enclosure URL)."""
    items = "".join(
        f'<item><title>{escape(t)}</title><guid>{escape(u)}</guid><enclosure url="{escape(u)}" '
        f'type="audio/mpeg" length="1000"/></item>'
        for t, u in episodes
    )
    head = '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0">'
    return f"{head}<channel><title>{escape(title)}</title>{items}</channel></rss>"


class _FeedHandler(QuietHandler):
    def do_GET(self) -> None:
        self._handle(head=False)

    def do_HEAD(self) -> None:
        self._handle(head=True)

    def _handle(self, head: bool) -> None:
        server = self.owner
        assert isinstance(server, FeedServer)
        path = unquote(urlsplit(self.path).path)
        server.log.append(path)
        if path in server.stalled:
            server.release.wait(STALL_SECONDS)  # a server that takes too long to answer
        if path.startswith("/feeds/") and path[len("/feeds/") :] in server.feeds:
            body = server.feeds[path[len("/feeds/") :]].encode()
            self.send_bytes(200, body, "application/rss+xml; charset=utf-8", head=head)
            return
        ext = path.rsplit(".", 1)[-1]
        if path.startswith("/audio/") and ext in server.audio:
            if path in server.unavailable:
                self.send_bytes(503, b"try again later\n", "text/plain", head=head)
                return
            self.send_bytes(200, server.audio[ext].read_bytes(), AUDIO_TYPES[ext], head=head)
            return
        self.send_bytes(404, b"not found\n", "text/plain", head=head)


class FeedServer(BackgroundHTTPServer):
    handler_class = _FeedHandler

    def __init__(self, audio: dict[str, Path], host: str = "127.0.0.1") -> None:
        super().__init__(host)
        self.audio = audio
        self.feeds: dict[str, str] = {}
        self.unavailable: set[str] = set()
        self.stalled: set[str] = set()  # answered only after STALL_SECONDS, or once `release` is set
        self.release = threading.Event()
        self.log: list[str] = []

    def url(self, path: str) -> str:
        return self.base_url + path
