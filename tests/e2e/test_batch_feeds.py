"""Feeds and playlists in a batch of URLs (POST /api/v1/batch/download) expand into one job per
episode, like a show batch: a feed served from 127.0.0.1 next to a direct media URL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import Api
from tests.support.feed_server import FeedServer, make_audio, rss
from tests.support.media_server import MediaServer

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def podcasts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FeedServer]:
    directory = tmp_path_factory.mktemp("audio")
    with FeedServer({"mp3": make_audio(directory, "mp3")}) as server:
        yield server


def test_a_feed_and_a_direct_url_become_four_jobs_that_all_complete_under_their_titles(
    api: Api, podcasts: FeedServer, media_server: MediaServer
) -> None:
    episodes = [(f"Episode {i}", podcasts.url(f"/audio/batchfeed/ep{i}.mp3")) for i in range(1, 4)]
    podcasts.feeds["three.rss"] = rss("Three", episodes)
    direct = media_server.url("/clip.mp4?feedbatch")

    created = api.create_batch(
        urls=[podcasts.url("/feeds/three.rss"), direct], path_template="batch/{batch_id}/{safe_title}.{ext}"
    )
    assert created.status_code == 202, created.text
    body = created.json()
    assert body["total_jobs"] == 4 and body["queued_jobs"] == 4

    final = api.wait_for(body["batch_id"], timeout=120)
    assert final["status"] == "completed"
    assert (final["completed_jobs"], final["failed_jobs"]) == (4, 0)
    jobs = final["jobs"]
    assert [job["url"] for job in jobs] == [url for _, url in episodes] + [direct]
    assert all(job["status"] == "completed" for job in jobs)
    assert [job["title"] for job in jobs[:3]] == ["Episode 1", "Episode 2", "Episode 3"]
    assert [job["file_info"]["filename"] for job in jobs[:3]] == ["Episode_1.mp3", "Episode_2.mp3", "Episode_3.mp3"]
    # A URL that names a media file is not asked anything before its job runs.
    assert ("HEAD", "/clip.mp4?feedbatch") not in media_server.requests


def test_a_feed_of_150_episodes_is_refused_with_too_many_urls_pointing_to_jobs(api: Api, podcasts: FeedServer) -> None:
    episodes = [(f"Episode {i}", podcasts.url(f"/audio/bigfeed/ep{i}.mp3")) for i in range(150)]
    podcasts.feeds["big.rss"] = rss("Big", episodes)

    refused = api.create_batch(urls=[podcasts.url("/feeds/big.rss")])

    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert error["code"] == "too_many_urls"
    assert "150" in error["message"] and "POST /jobs" in error["message"]
