"""Feeds, shows and playlists read with yt-dlp's flat extraction (no media fetched), through
the same SSRF guard as every download: the guarded YoutubeDL and connect guard of
`downloader.py`. Feeds yt-dlp's XML parser refuses are read again leniently (`feed_text.py`)."""

from __future__ import annotations

import threading
from typing import Any

import yt_dlp

from mediabatch.adapters.ytdlp.downloader import _GuardedYoutubeDL, _QuietLogger, install_connect_guard
from mediabatch.adapters.ytdlp.feed_text import looks_like_feed, parse_feed
from mediabatch.errors import UnsafeUrl
from mediabatch.shows.models import Episode, Expansion, ExpansionFailed, ExpansionTimedOut
from mediabatch.urlguard import UrlPolicy

MAX_FEED_BYTES = 20 * 2**20


class YtDlpFeedExpander:
    def __init__(self, policy: UrlPolicy, *, socket_timeout: float = 20.0) -> None:
        install_connect_guard(policy)
        self._policy = policy
        self._socket_timeout = socket_timeout

    def expand(self, url: str, *, timeout_seconds: float) -> Expansion:
        """The FeedExpander port (shows/ports.py). Extraction runs in a worker thread so the
        caller gets its answer at the time limit even when a server stalls; the worker ends on
        its own socket timeout."""
        try:
            self._policy.check_url(url)
        except UnsafeUrl as exc:
            raise ExpansionFailed(exc.message) from exc
        outcome: list[Expansion | BaseException] = []
        worker = threading.Thread(target=lambda: outcome.append(self._run(url)), daemon=True, name="expand")
        worker.start()
        worker.join(timeout_seconds)
        if not outcome:
            raise ExpansionTimedOut()
        result = outcome[0]
        if isinstance(result, BaseException):
            raise result
        return result

    # ------------------------------------------------------------------ internals
    def _run(self, url: str) -> Expansion | BaseException:
        try:
            return self._extract(url)
        except BaseException as exc:  # handed to the caller's thread
            return exc

    def _extract(self, url: str) -> Expansion:
        logger = _QuietLogger()
        with _GuardedYoutubeDL(self._options(logger)) as ydl:
            try:
                info: dict[str, Any] | None = ydl.extract_info(url, download=False)
            except yt_dlp.utils.YoutubeDLError as exc:
                lenient = self._lenient(ydl, url)
                if lenient is not None:
                    return lenient
                raise ExpansionFailed(logger.last_error or str(exc)) from exc
            if info is None:
                raise ExpansionFailed(logger.last_error or "nothing found at this URL")
            if info.get("_type") not in ("playlist", "multi_video") and info.get("entries") is None:
                return Expansion(is_list=False, episodes=[Episode(url=url, title=info.get("title"))])
            episodes = [e for e in map(_episode, info.get("entries") or []) if e is not None]
            if not episodes:
                lenient = self._lenient(ydl, url)
                if lenient is not None and lenient.episodes:
                    return lenient
            return Expansion(is_list=True, episodes=episodes, title=info.get("title"))

    def _lenient(self, ydl: _GuardedYoutubeDL, url: str) -> Expansion | None:
        """The feed read leniently, or None if the URL is no feed (or cannot be fetched)."""
        try:
            with ydl.urlopen(url) as response:
                text = response.read(MAX_FEED_BYTES).decode("utf-8", "replace")
        except (yt_dlp.utils.YoutubeDLError, OSError):
            return None
        return parse_feed(text) if looks_like_feed(text) else None

    def _options(self, logger: _QuietLogger) -> dict[str, Any]:
        return {
            "extract_flat": "in_playlist",
            "quiet": True,
            "no_warnings": True,
            "noprogress": True,
            "logger": logger,
            "socket_timeout": self._socket_timeout,
            "cachedir": False,
            "proxy": "",
            "lazy_playlist": False,
        }


def _episode(entry: Any) -> Episode | None:
    if not isinstance(entry, dict):
        return None
    # yt-dlp's feed reader smuggles hints into a `#__youtubedl_smuggle=` fragment: the episode's
    # URL is the one its feed names (what users see on its job, and what duplicates compare).
    url, _ = yt_dlp.utils.unsmuggle_url(str(entry.get("url") or entry.get("webpage_url") or "").strip())
    if not url.startswith(("http://", "https://")):
        return None
    return Episode(url=url, title=entry.get("title"))
