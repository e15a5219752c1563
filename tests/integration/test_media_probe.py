"""The HEAD probe batch downloads use to tell direct media from feeds and pages, against a real
HTTP server on 127.0.0.1 (allowlisted), and refused for a loopback address when it is not."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mediabatch.adapters.http.media_probe import HeadMediaTypeProbe
from mediabatch.urlguard import UrlPolicy
from tests.support.feed_server import FeedServer, rss


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FeedServer]:
    audio = tmp_path_factory.mktemp("probe") / "tone.mp3"
    audio.write_bytes(b"ID3" + bytes(64))
    with FeedServer({"mp3": audio}) as running:
        running.feeds["show.rss"] = rss("Show", [("One", running.url("/audio/one.mp3"))])
        yield running


def test_media_feeds_and_missing_urls_answer_their_types(server: FeedServer) -> None:
    probe = HeadMediaTypeProbe(UrlPolicy.from_allowlist("127.0.0.1"))
    server.log.clear()

    assert probe.content_type(server.url("/audio/one.mp3"), timeout_seconds=5) == "audio/mpeg"
    assert probe.content_type(server.url("/feeds/show.rss"), timeout_seconds=5) == "application/rss+xml"
    assert probe.content_type(server.url("/nothing-here"), timeout_seconds=5) is None
    assert server.log == ["/audio/one.mp3", "/feeds/show.rss", "/nothing-here"]


def test_a_non_public_address_is_not_probed(server: FeedServer) -> None:
    probe = HeadMediaTypeProbe(UrlPolicy.from_allowlist(""))
    server.log.clear()

    assert probe.content_type(server.url("/audio/one.mp3"), timeout_seconds=5) is None
    assert server.log == []
