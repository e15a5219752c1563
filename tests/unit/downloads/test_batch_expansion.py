"""Feeds and playlists in a batch of URLs become their episodes (downloads/expansion.py)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from mediabatch.downloads.expansion import BatchUrlExpander
from mediabatch.downloads.models import BatchDownloadRequest, BatchRecord
from mediabatch.downloads.service import BatchDownloadService
from mediabatch.errors import ValidationFailed
from mediabatch.shows.models import Episode, Expansion
from mediabatch.urlguard import UrlPolicy
from tests.fakes.downloads import FakeMediaTypeProbe
from tests.fakes.shows import FakeExpander
from tests.unit.downloads.conftest import TENANT, URL_1, URL_2, World

FEED = "http://93.184.216.34/feed.xml"
PAGE = "http://93.184.216.34/watch?v=1"


def episodes(n: int, prefix: str = "ep") -> list[Episode]:
    return [Episode(url=f"http://93.184.216.34/{prefix}{i}.mp3", title=f"Episode {i}") for i in range(n)]


class Expanding:
    def __init__(self, world: World) -> None:
        self.world = world
        self.probe = FakeMediaTypeProbe({URL_1: "video/mp4", URL_2: "audio/mpeg", FEED: "application/rss+xml"})
        self.expander = FakeExpander({FEED: episodes(3)})
        self.service = BatchDownloadService(
            world.store,
            world.workflow,
            world.finalizer,
            world.storage,
            UrlPolicy.from_allowlist(""),
            expansion=BatchUrlExpander(self.probe, self.expander, timeout_seconds=120),
        )

    def create(self, *urls: str, **options: object) -> BatchRecord:
        request = BatchDownloadRequest.model_validate({"urls": list(urls), **options})
        return self.service.create(TENANT, request)

    def jobs(self, batch: BatchRecord) -> list[tuple[str, str | None]]:
        found = self.world.store.get_batch_with_jobs(TENANT, batch.batch_id)
        assert found is not None
        return [(job.url, job.title) for job in found[1]]


@pytest.fixture
def expanding(tmp_path: Path) -> Expanding:
    return Expanding(World(tmp_path))


def test_a_feed_becomes_one_job_per_episode_in_place_keeping_the_titles(expanding: Expanding) -> None:
    batch = expanding.create(URL_1, FEED, URL_2, quality="720p", path_template="batch/{batch_id}/{safe_title}.{ext}")

    assert batch.total_jobs == 5 and batch.queued_jobs == 5
    assert expanding.jobs(batch) == [
        (URL_1, None),
        ("http://93.184.216.34/ep0.mp3", "Episode 0"),
        ("http://93.184.216.34/ep1.mp3", "Episode 1"),
        ("http://93.184.216.34/ep2.mp3", "Episode 2"),
        (URL_2, None),
    ]
    assert batch.options.quality == "720p" and batch.options.path_template == "batch/{batch_id}/{safe_title}.{ext}"
    assert len(expanding.world.workflow.started[0]["job_ids"]) == 5


def test_a_url_naming_a_media_file_is_neither_probed_nor_extracted(expanding: Expanding) -> None:
    batch = expanding.create(URL_1, URL_2, "http://93.184.216.34/song.MP3?token=1")

    assert [url for url, _ in expanding.jobs(batch)] == [URL_1, URL_2, "http://93.184.216.34/song.MP3?token=1"]
    assert expanding.probe.calls == [] and expanding.expander.calls == []


def test_a_url_that_answers_a_media_type_is_probed_but_never_extracted(expanding: Expanding) -> None:
    stream = "http://93.184.216.34/stream?id=7"
    expanding.probe.types[stream] = "audio/mpeg"
    batch = expanding.create(stream, FEED)

    assert expanding.probe.calls.count(stream) == 1
    assert [url for url, _ in expanding.expander.calls] == [FEED]
    assert len(expanding.jobs(batch)) == 4


def test_a_page_that_is_not_a_list_stays_one_job_and_one_that_is_expands(expanding: Expanding) -> None:
    playlist = "http://93.184.216.34/playlist?list=1"
    expanding.expander.feeds[playlist] = episodes(2, "video")
    batch = expanding.create(PAGE, playlist)

    assert expanding.jobs(batch) == [
        (PAGE, None),
        ("http://93.184.216.34/video0.mp3", "Episode 0"),
        ("http://93.184.216.34/video1.mp3", "Episode 1"),
    ]


def test_a_url_that_cannot_be_read_stays_one_job(expanding: Expanding) -> None:
    expanding.expander.failing.add(PAGE)
    expanding.expander.slow.add(FEED)
    batch = expanding.create(PAGE, FEED)

    assert expanding.jobs(batch) == [(PAGE, None), (FEED, None)]


def test_more_than_100_downloads_after_expansion_is_refused_pointing_to_jobs(expanding: Expanding) -> None:
    expanding.expander.feeds[FEED] = episodes(150)

    with pytest.raises(ValidationFailed) as caught:
        expanding.create(URL_1, FEED)

    assert caught.value.code == "too_many_urls"
    assert "151" in caught.value.message and "POST /jobs" in caught.value.message
    assert expanding.world.store.list_batches(TENANT, status=None, limit=10, cursor=None)[0] == []
    assert expanding.world.workflow.started == []


def test_an_episode_that_duplicates_another_url_is_refused_naming_both(expanding: Expanding) -> None:
    with pytest.raises(ValidationFailed) as caught:
        expanding.create("http://93.184.216.34/ep1.mp3", FEED)

    assert caught.value.code == "duplicate_urls"
    assert caught.value.details == [
        {"field": "urls[1].entries[1]", "url": "http://93.184.216.34/ep1.mp3", "message": "duplicate of urls[0]"}
    ]


def test_a_feed_with_no_episodes_stays_one_job(expanding: Expanding) -> None:
    expanding.expander.feeds[FEED] = []
    batch = expanding.create(FEED)

    assert expanding.jobs(batch) == [(FEED, None)]


class StallingExpander(FakeExpander):
    """A server that never answers: extraction blocks until the test ends it."""

    def __init__(self) -> None:
        super().__init__({FEED: episodes(3)})
        self.release = threading.Event()

    def expand(self, url: str, *, timeout_seconds: float) -> Expansion:
        self.release.wait(5)
        return super().expand(url, timeout_seconds=timeout_seconds)


def test_a_url_not_read_by_the_batch_deadline_stays_one_job_and_the_answer_is_not_held() -> None:
    expander = StallingExpander()
    batches = BatchUrlExpander(FakeMediaTypeProbe({URL_1: "video/mp4"}), expander, timeout_seconds=0.2)
    started = time.monotonic()
    try:
        entries = batches.expand([URL_1, FEED])
    finally:
        expander.release.set()

    assert time.monotonic() - started < 2
    assert [(e.url, e.source, e.title) for e in entries] == [(URL_1, "urls[0]", None), (FEED, "urls[1]", None)]
