"""Feeds and playlists in a batch of URLs: each becomes its episodes, like a show batch does.

The rule (docs/limits.md): a URL whose path names a media file (`.mp4`, `.mp3`, `.m3u8`, …) is
one piece of media and is not touched before its job runs. Every other URL is asked for its
Content-Type with a HEAD; one that answers with a media type (audio, video, octet-stream, an
HLS/DASH manifest) is left alone too, so direct media is never fetched twice. Every other URL (a feed, XML,
an HTML page, no answer) is read once with the show flow's flat extraction (FeedExpander, no
media downloaded); when that says it is a list, its episodes take its place. A URL that cannot
be read is left alone too: its job then fails or succeeds exactly as it would have before.
Probes and extractions run concurrently, under one deadline for the whole batch."""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from urllib.parse import urlsplit

from mediabatch.downloads.ports import MediaTypeProbe
from mediabatch.shows.models import ExpansionFailed, ExpansionTimedOut
from mediabatch.shows.naming import episode_title
from mediabatch.shows.ports import FeedExpander

_MEDIA_PREFIXES = ("audio/", "video/")
_MEDIA_TYPES = frozenset(
    {
        "application/octet-stream",
        "application/mp4",
        "application/ogg",
        "application/vnd.apple.mpegurl",
        "application/x-mpegurl",
        "application/dash+xml",
    }
)


_MEDIA_EXTENSIONS = frozenset(
    {
        *("mp4", "m4v", "m4a", "mov", "mkv", "webm", "avi", "wmv", "flv", "mpg", "mpeg", "ts"),
        *("mp3", "aac", "ogg", "oga", "opus", "wav", "flac", "wma", "m3u8", "mpd"),
    }
)


def names_a_media_file(url: str) -> bool:
    """True when the URL's path ends in a media file's extension (the query does not count)."""
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    return "." in name and name.rsplit(".", 1)[1].lower() in _MEDIA_EXTENSIONS


def is_media_type(content_type: str | None) -> bool:
    """True for a type that is the media itself (never a feed or a page that lists media)."""
    if content_type is None:
        return False
    return content_type.startswith(_MEDIA_PREFIXES) or content_type in _MEDIA_TYPES


@dataclass(frozen=True)
class BatchEntry:
    """One job-to-be of a batch: its URL, where it came from (`urls[i]`, or `urls[i].entries[j]`
    for an episode of a feed), and the episode's title when a feed named it."""

    url: str
    source: str
    title: str | None = None


class BatchUrlExpander:
    def __init__(
        self,
        probe: MediaTypeProbe,
        expander: FeedExpander,
        *,
        timeout_seconds: float,
        probe_timeout_seconds: float = 5.0,
        workers: int = 8,
    ) -> None:
        self._probe = probe
        self._expander = expander
        self._timeout = timeout_seconds
        self._probe_timeout = probe_timeout_seconds
        self._workers = workers

    def expand(self, urls: list[str]) -> list[BatchEntry]:
        """The batch's entries in request order, each feed or playlist replaced by its episodes."""
        deadline = time.monotonic() + self._timeout
        pool = ThreadPoolExecutor(max_workers=max(1, min(self._workers, len(urls))), thread_name_prefix="expand")
        try:
            futures = [pool.submit(self._entries, i, url, deadline) for i, url in enumerate(urls)]
            wait(futures, timeout=self._timeout)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        return [entry for i, future in enumerate(futures) for entry in _outcome(future, i, urls[i])]

    def _entries(self, index: int, url: str, deadline: float) -> list[BatchEntry]:
        itself = [BatchEntry(url=url, source=f"urls[{index}]")]
        if names_a_media_file(url):
            return itself
        if is_media_type(self._probe.content_type(url, timeout_seconds=self._left(deadline, self._probe_timeout))):
            return itself
        try:
            expansion = self._expander.expand(url, timeout_seconds=self._left(deadline))
        except (ExpansionFailed, ExpansionTimedOut):
            return itself
        if not expansion.is_list or not expansion.episodes:
            return itself
        return [
            BatchEntry(
                url=episode.url,
                source=f"urls[{index}].entries[{j}]",
                title=episode_title(episode.title, episode.url, j),
            )
            for j, episode in enumerate(expansion.episodes)
        ]

    @staticmethod
    def _left(deadline: float, cap: float | None = None) -> float:
        left = max(0.1, deadline - time.monotonic())
        return left if cap is None else min(left, cap)


def _outcome(future: Future[list[BatchEntry]], index: int, url: str) -> list[BatchEntry]:
    """What the URL's task found; the URL itself when it ran past the deadline or broke."""
    if future.done() and not future.cancelled() and future.exception() is None:
        return future.result()
    return [BatchEntry(url=url, source=f"urls[{index}]")]
