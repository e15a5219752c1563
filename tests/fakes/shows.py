"""In-memory fakes of mediabatch.shows.ports (the rest are the batch fakes: shows are batches)."""

from __future__ import annotations

from mediabatch.shows.models import Episode, Expansion, ExpansionFailed, ExpansionTimedOut


class FakeExpander:
    """FeedExpander: answers from `feeds` (url -> episodes); other URLs are single media.
    `failing` URLs raise ExpansionFailed, `slow` ones ExpansionTimedOut."""

    def __init__(self, feeds: dict[str, list[Episode]] | None = None) -> None:
        self.feeds = feeds or {}
        self.failing: set[str] = set()
        self.slow: set[str] = set()
        self.calls: list[tuple[str, float]] = []

    def expand(self, url: str, *, timeout_seconds: float) -> Expansion:
        self.calls.append((url, timeout_seconds))
        if url in self.slow:
            raise ExpansionTimedOut()
        if url in self.failing:
            raise ExpansionFailed("HTTP Error 404: Not Found")
        if url in self.feeds:
            return Expansion(is_list=True, episodes=list(self.feeds[url]), title="A show")
        return Expansion(is_list=False, episodes=[Episode(url=url, title="media")])
