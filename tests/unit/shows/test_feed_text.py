"""The lenient feed reader on the corpus' real-world feeds (and the flat-extraction mapping)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediabatch.adapters.ytdlp.expander import _episode
from mediabatch.adapters.ytdlp.feed_text import looks_like_feed, parse_feed
from mediabatch.shows.models import Episode

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus" / "feeds"


@pytest.mark.parametrize(
    ("name", "episodes"),
    [
        ("episode_number.rss", [Episode("http://example.org/example.mp3", "Episode")]),
        (
            "itunes_type_serial.rss",
            [
                Episode("http://example.org/example2.mp3", "Episode 2"),
                Episode("http://example.org/example1.mp3", "Episode 1"),
            ],
        ),
        ("leading_space_url.rss", [Episode("http://example.com/example.mp3", "Episode")]),
        ("multi_enclosures.rss", [Episode("http://cdn.example.org/foo.mp3", "Bar")]),
        ("no_guid.rss", [Episode("http://example.com/test.ogg", None)]),
        ("chapters.rss", []),
    ],
)
def test_corpus_feeds(name: str, episodes: list[Episode]) -> None:
    text = (CORPUS / name).read_text()
    assert looks_like_feed(text)
    assert parse_feed(text).episodes == episodes


def test_titles_with_cdata_and_entities_and_atom_enclosures() -> None:
    atom = (
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>Show</title><entry><title><![CDATA[A &amp; B]]></title>'
        '<link rel="enclosure" type="audio/mpeg" href="https://h.example/a.mp3?x=1&amp;y=2"/></entry></feed>'
    )
    parsed = parse_feed(atom)
    assert parsed.title == "Show"
    assert parsed.episodes == [Episode("https://h.example/a.mp3?x=1&y=2", "A & B")]
    assert not looks_like_feed("<html><body>hi</body></html>")


def test_flat_entries_map_to_episodes() -> None:
    assert _episode({"url": " https://h.example/v?id=1 ", "title": "One"}) == Episode("https://h.example/v?id=1", "One")
    assert _episode({"webpage_url": "https://h.example/w", "title": None}) == Episode("https://h.example/w", None)
    assert _episode({"url": "ytsearch:x"}) is None and _episode(None) is None
