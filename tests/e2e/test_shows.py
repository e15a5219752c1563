"""Show and playlist batches end to end (seed: podcast-show-batches.md): feeds served from
127.0.0.1 (generated ones, and the real-world quirky feeds of the corpus with their hosts
rewritten), episodes stored under the folder by title in their own format, the seed's batch
statuses and webhook, retry in place, and a 300-episode show through the Distributed Map."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import Api
from tests.support.feed_server import FeedServer, make_audio, rss
from tests.support.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.e2e

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "feeds"
DONE = {"completed", "finished"}


@pytest.fixture(scope="module")
def podcasts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FeedServer]:
    directory = tmp_path_factory.mktemp("audio")
    audio = {ext: make_audio(directory, ext) for ext in ("mp3", "ogg", "opus")}
    with FeedServer(audio) as server:
        yield server


def submit(api: Api, **body: Any) -> requests.Response:
    return api.request("POST", "/jobs", json=body)


def wait_done(api: Api, batch_id: str, timeout: float = 120.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        state = api.request("GET", f"/batch/{batch_id}").json()
        if state["status"] in DONE:
            return dict(state)
        assert time.monotonic() < deadline, f"show batch {batch_id} not done in {timeout} s: {state}"
        time.sleep(0.3)


def shows_for(receiver: WebhookReceiver, batch_id: str) -> list[Any]:
    return [d for d in receiver.deliveries if (d.json or {}).get("batch_id") == batch_id]


def test_a_show_expands_into_episode_jobs_stored_by_title_with_one_signed_webhook_and_a_retry_round(
    api: Api, api_b: Api, podcasts: FeedServer, webhook_receiver: WebhookReceiver
) -> None:
    episodes = [(f"Episode {i} - Part {i}", podcasts.url(f"/audio/show12/ep{i}.mp3")) for i in range(1, 13)]
    episodes[4] = ("Episode 5 - Broken", podcasts.url("/audio/show12/broken.mp3"))
    episodes[7] = ("Episode 1 - Part 1", episodes[7][1])  # same title twice: names stay unique
    podcasts.unavailable.add("/audio/show12/broken.mp3")
    podcasts.feeds["show12.rss"] = rss("Twelve", episodes)
    show_url = podcasts.url("/feeds/show12.rss")

    created = submit(api, url=show_url, folder="my-podcast-2024", webhook_url=webhook_receiver.url)
    assert created.status_code == 202, created.text
    body = created.json()
    assert set(body) == {"batch_id", "total_episodes", "episode_jobs"}
    assert body["total_episodes"] == 12 and len(body["episode_jobs"]) == 12
    batch_id = body["batch_id"]

    final = wait_done(api, batch_id)
    assert final == {
        "id": batch_id,
        "show_url": show_url,
        "status": "finished",  # all episodes done, but one failed
        "folder": "my-podcast-2024",
        "total_episodes": 12,
        "completed_episodes": 11,
        "failed_episodes": 1,
        "episode_jobs": body["episode_jobs"],
    }
    jobs = [api.request("GET", f"/jobs/{job_id}").json() for job_id in body["episode_jobs"]]
    assert [j["title"] for j in jobs] == [t for t, _ in episodes]
    broken = jobs[4]
    assert broken["status"] == "failed" and broken["file"] is None and "503" in broken["error"]
    names = [j["file"]["filepath"] for j in jobs if j["status"] == "completed"]
    # The two episodes of one title run at once: whichever claims the name first keeps it.
    assert {jobs[0]["file"]["filepath"], jobs[7]["file"]["filepath"]} == {
        "batch/my-podcast-2024/Episode_1_-_Part_1.mp3",
        "batch/my-podcast-2024/Episode_1_-_Part_1-2.mp3",
    }
    assert len(set(names)) == 11
    tone = podcasts.audio["mp3"].read_bytes()
    first = jobs[0]["file"]
    assert first["content_type"] == "audio/mpeg" and first["size_bytes"] == len(tone)
    assert requests.get(first["download_url"], timeout=30).content == tone  # the enclosure's own bytes

    delivery = webhook_receiver.wait_for(lambda d: (d.json or {}).get("batch_id") == batch_id, timeout=30)
    assert delivery.signature_valid and delivery.timestamp_fresh
    assert delivery.json == {
        "type": "batch_completed",
        "batch_id": batch_id,
        "show_url": show_url,
        "folder": "my-podcast-2024",
        "completed": 11,
        "failed": 1,
        "total": 12,
    }

    # Another tenant's ids answer exactly like missing ones.
    for path in (f"/batch/{batch_id}", f"/jobs/{body['episode_jobs'][0]}"):
        theirs, missing = api_b.request("GET", path), api.request("GET", path.replace(batch_id, "batch_" + "0" * 16))
        assert theirs.status_code == missing.status_code == 404
        assert theirs.json()["error"]["code"] == missing.json()["error"]["code"]

    # The host is back: one retry round runs exactly the failed episode, in the same batch.
    podcasts.unavailable.clear()
    before = len(podcasts.log)
    retried = api.request("POST", f"/batch/{batch_id}/retry")
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "processing" and retried.json()["failed_episodes"] == 0
    again = wait_done(api, batch_id)
    assert again["status"] == "completed" and again["completed_episodes"] == 12
    assert again["episode_jobs"] == body["episode_jobs"]
    fetched = [p for p in podcasts.log[before:] if p.startswith("/audio/")]
    assert set(fetched) == {"/audio/show12/broken.mp3"}
    fixed = api.request("GET", f"/jobs/{body['episode_jobs'][4]}").json()
    assert (
        fixed["status"] == "completed" and fixed["file"]["filepath"] == "batch/my-podcast-2024/Episode_5_-_Broken.mp3"
    )

    second = webhook_receiver.wait_for(
        lambda d: (d.json or {}).get("batch_id") == batch_id and d.json["completed"] == 12, timeout=30
    )
    assert second.signature_valid and second.msg_id == f"{delivery.msg_id}_r2"
    assert second.json["failed"] == 0 and second.json["total"] == 12
    time.sleep(2.5)  # a duplicate would come after the backoff (1 s) and a poll
    assert len(shows_for(webhook_receiver, batch_id)) == 2  # once per round

    assert api.request("POST", f"/batch/{batch_id}/retry").status_code == 409  # nothing failed any more


# What the corpus feeds hold (hosts rewritten to the local server): titles of the episodes.
CORPUS_EXPECTED = {
    "episode_number.rss": ["Episode"],  # undeclared itunes: prefix (not well-formed XML)
    "html_in_description.rss": ["Ep 1"],  # an .opus enclosure
    "itunes_type_serial.rss": ["Episode 2", "Episode 1"],
    "leading_space_url.rss": ["Episode"],
    "max_episodes.rss": ["Episode 1", "Episode 2"],
    "multi_enclosures.rss": ["Bar"],  # enclosure and media:content: one episode
    "no_guid.rss": ["test"],  # no guid, no title: named after its file
}


def corpus_feed(name: str, podcasts: FeedServer) -> str:
    text = (CORPUS / name).read_text()
    return re.sub(r"http://(?:cdn\.)?example\.(?:org|com)/", podcasts.url(f"/audio/{name}/"), text)


def test_the_real_world_feeds_of_the_corpus(api: Api, podcasts: FeedServer) -> None:
    created = {}
    for name in CORPUS_EXPECTED:
        podcasts.feeds[name] = corpus_feed(name, podcasts)
        response = submit(api, url=podcasts.url(f"/feeds/{name}"), folder=f"corpus/{name}")
        assert response.status_code == 202, (name, response.text)
        created[name] = response.json()
    for name, titles in CORPUS_EXPECTED.items():
        final = wait_done(api, created[name]["batch_id"])
        assert final["status"] == "completed", (name, final)
        jobs = [api.request("GET", f"/jobs/{j}").json() for j in final["episode_jobs"]]
        assert [j["title"] for j in jobs] == titles, name
        for job in jobs:
            ext = job["url"].rsplit(".", 1)[-1]
            assert job["file"]["filename"].endswith("." + ext), job  # the enclosure's own format
            assert job["file"]["filepath"].startswith(f"batch/corpus/{name.replace('.', '.')}/")

    podcasts.feeds["chapters.rss"] = corpus_feed("chapters.rss", podcasts)  # an item without enclosure
    empty = submit(api, url=podcasts.url("/feeds/chapters.rss"))
    assert empty.status_code == 422 and empty.json()["error"]["code"] == "no_episodes"


def test_a_300_episode_show_runs_through_the_distributed_map(api: Api, podcasts: FeedServer) -> None:
    podcasts.feeds["big.rss"] = rss("Big", [(f"Ep {i}", podcasts.url(f"/audio/big/{i}.mp3")) for i in range(300)])
    started = time.monotonic()
    created = submit(api, url=podcasts.url("/feeds/big.rss"), folder="big")
    assert created.status_code == 202, created.text
    body = created.json()
    assert body["total_episodes"] == 300 and len(set(body["episode_jobs"])) == 300
    final = wait_done(api, body["batch_id"], timeout=600)
    assert final["status"] == "completed" and final["completed_episodes"] == 300, final
    print(f"300 episodes in {time.monotonic() - started:.1f} s")


def test_spotify_is_refused_at_once_and_an_empty_feed_is_a_clear_4xx(api: Api, podcasts: FeedServer) -> None:
    for url in (
        "https://open.spotify.com/show/7iQXmUT7XGuZSzAMjoNWlX",
        "https://open.spotify.com/episode/4rOoJ6Egrf8K2IrywzwOMk?si=x",
    ):
        started = time.monotonic()
        refused = submit(api, url=url)
        assert refused.status_code == 422 and time.monotonic() - started < 5
        assert refused.json()["error"]["code"] == "drm_protected"
        assert "DRM" in refused.json()["error"]["message"]
    podcasts.feeds["empty.rss"] = rss("Nothing yet", [])
    empty = submit(api, url=podcasts.url("/feeds/empty.rss"))
    assert empty.status_code == 422 and empty.json()["error"]["code"] == "no_episodes"
    assert submit(api, url="ftp://example.com/feed").status_code == 400


def test_a_feed_not_read_in_time_answers_504_in_the_envelope_not_the_gateways_timeout(
    api: Api, podcasts: FeedServer
) -> None:
    """The seed allows 120 s to read a show, but the answer lists its episode jobs, so the
    reading happens inside a request that API Gateway ends at 30 s: it gets 20 s, then a clear
    504 (docs/limits.md). Before, the API function itself was killed at 29 s."""
    stalled = "/feeds/stalled.rss"
    podcasts.feeds["stalled.rss"] = rss("Stalled", [("Episode 1", podcasts.url("/audio/stalled/e1.mp3"))])
    podcasts.stalled.add(stalled)
    try:
        answer = submit(api, url=podcasts.url(stalled))
    finally:
        podcasts.release.set()
    assert answer.status_code == 504, answer.text
    error = answer.json()["error"]
    assert error["code"] == "extraction_timed_out"
    assert error["message"] == "reading the episodes took longer than 20 s; try again later"


def test_a_single_media_url_is_one_job(api: Api, podcasts: FeedServer) -> None:
    created = submit(api, url=podcasts.url("/audio/single/one.mp3"))
    assert created.status_code == 202, created.text
    job = created.json()
    assert job["status"] == "queued" and job["id"].startswith("job_")
    deadline = time.monotonic() + 60
    while (state := api.request("GET", f"/jobs/{job['id']}").json())["status"] not in ("completed", "failed"):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert state["status"] == "completed" and state["file"]["filename"] == "one.mp3"  # audio stays audio


def test_retry_in_place_of_a_batch_of_urls(api: Api, podcasts: FeedServer) -> None:
    flaky = "/audio/urls/flaky.mp3"
    podcasts.unavailable.add(flaky)
    created = api.create_batch(urls=[podcasts.url("/audio/urls/fine.mp3"), podcasts.url(flaky)]).json()
    batch_id = created["batch_id"]
    assert api.request("POST", f"/api/v1/batch/{batch_id}/retry").status_code in (200, 409)
    first = api.wait_for(batch_id)
    assert (first["completed_jobs"], first["failed_jobs"]) == (1, 1)
    podcasts.unavailable.discard(flaky)
    retried = api.request("POST", f"/api/v1/batch/{batch_id}/retry")
    assert retried.status_code == 200, retried.text
    assert retried.json()["failed_jobs"] == 0
    busy = api.request("POST", f"/api/v1/batch/{batch_id}/retry")
    assert busy.status_code == 409 or busy.json()["status"] in ("completed",)
    final = api.wait_for(batch_id)
    assert final["status"] == "completed" and (final["completed_jobs"], final["failed_jobs"]) == (2, 0)
    assert [j["job_id"] for j in final["jobs"]] == [j["job_id"] for j in first["jobs"]]
    assert final["jobs"][1]["file_info"]["filename"] == "flaky.mp3"
