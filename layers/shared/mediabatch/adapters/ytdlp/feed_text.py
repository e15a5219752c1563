"""A lenient reader of RSS and Atom text, for feeds yt-dlp's XML parser refuses: podcasts in the
wild use undeclared namespace prefixes (`<itunes:episode>` without xmlns), several enclosures
per item, spaces around URLs, no guid, no title. One episode per item: its first enclosure."""

from __future__ import annotations

import html
import re

from mediabatch.shows.models import Episode, Expansion

_ITEM = re.compile(r"<(item|entry)\b[^>]*>(.*?)</\1\s*>", re.DOTALL | re.IGNORECASE)
_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title\s*>", re.DOTALL | re.IGNORECASE)
_ENCLOSURE = re.compile(r"<enclosure\b[^>]*?\burl\s*=\s*(\"[^\"]*\"|'[^']*')", re.IGNORECASE)
_ATOM_ENCLOSURE = re.compile(r"<link\b(?=[^>]*\brel\s*=\s*[\"']enclosure[\"'])[^>]*?\bhref\s*=\s*(\"[^\"]*\"|'[^']*')")
_MEDIA_CONTENT = re.compile(r"<media:content\b[^>]*?\burl\s*=\s*(\"[^\"]*\"|'[^']*')", re.IGNORECASE)
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def looks_like_feed(text: str) -> bool:
    head = text[:4096].lower()
    return "<rss" in head or "<feed" in head or "<rdf:rdf" in head


def parse_feed(text: str) -> Expansion:
    """Every item with a media enclosure, in feed order; the channel's title."""
    first_item = _ITEM.search(text)
    channel = text[: first_item.start()] if first_item else text
    episodes = []
    for match in _ITEM.finditer(text):
        body = match.group(2)
        url = _first_url(body)
        if url:
            episodes.append(Episode(url=url, title=_title_of(body)))
    return Expansion(is_list=True, episodes=episodes, title=_title_of(channel))


def _first_url(body: str) -> str | None:
    for pattern in (_ENCLOSURE, _ATOM_ENCLOSURE, _MEDIA_CONTENT):
        found = pattern.search(body)
        if found:
            url = html.unescape(found.group(1)[1:-1]).strip()
            if url:
                return url
    return None


def _title_of(body: str) -> str | None:
    found = _TITLE.search(body)
    if not found:
        return None
    text = _CDATA.sub(lambda m: m.group(1), found.group(1))
    text = html.unescape(_TAG.sub("", text))
    return " ".join(text.split()) or None
