"""Show batches through fakes: expansion into jobs, the seed's statuses, file names from
titles, retry of exactly the failed and cancelled episodes, tenant isolation."""

from __future__ import annotations

import pytest

from mediabatch.downloads.models import JobStatus
from mediabatch.downloads.retry import jobs_to_retry
from mediabatch.errors import Conflict, NotFound, ValidationFailed
from mediabatch.shows.models import ShowStatus
from mediabatch.shows.naming import episode_title, folder_template
from tests.fakes.downloads import FakeDownloader
from tests.unit.shows.conftest import FEED, TENANT, ShowWorld, episode


def test_a_feed_becomes_one_queued_job_per_episode_titled_from_the_feed(shows: ShowWorld) -> None:
    made = shows.submit(folder="my-podcast-2024")
    assert made.single is None
    batch = made.batch.batch
    assert batch.total_jobs == 3 and batch.show_url == FEED and batch.folder == "my-podcast-2024"
    assert made.batch.status is ShowStatus.PROCESSING
    _, jobs = shows.store.get_batch_with_jobs(TENANT, batch.batch_id) or (None, [])
    assert [(j.url, j.title, j.status) for j in jobs] == [
        (f"http://93.184.216.34/ep{i}.mp3", f"Episode {i}", JobStatus.QUEUED) for i in range(1, 4)
    ]
    assert made.batch.episode_jobs == [j.job_id for j in jobs]
    assert shows.workflow.started == [
        {"tenant_id": TENANT, "batch_id": batch.batch_id, "concurrent_limit": 7, "job_ids": made.batch.episode_jobs}
    ]
    assert shows.expander.calls == [(FEED, 120)]


def test_a_single_media_url_is_one_job_named_by_the_file(shows: ShowWorld) -> None:
    made = shows.submit("http://93.184.216.34/one.mp3")
    assert made.single is not None and made.single.job.title is None
    assert made.batch.batch.total_jobs == 1


def test_statuses_completed_when_all_succeed_and_finished_when_some_failed(shows: ShowWorld) -> None:
    all_good = shows.submit().batch.batch.batch_id
    shows.run_all()
    assert shows.service.get_batch(TENANT, all_good).status is ShowStatus.COMPLETED
    some_bad = shows.submit().batch.batch.batch_id
    shows.run_all(failing={1})
    shown = shows.service.get_batch(TENANT, some_bad)
    assert shown.status is ShowStatus.FINISHED
    assert (shown.batch.completed_jobs, shown.batch.failed_jobs) == (2, 1)


def test_episodes_are_stored_under_the_folder_by_title_unique_and_in_their_format(shows: ShowWorld) -> None:
    shows.expander.feeds[FEED] = [episode(1, "Intro: a/b?"), episode(2, "Intro: a/b?"), episode(3, "")]
    batch_id = shows.submit(folder="my podcast/2024").batch.batch.batch_id
    shows.run_all(FakeDownloader(info={"id": "x", "title": "x", "ext": "mp3"}))
    _, jobs = shows.store.get_batch_with_jobs(TENANT, batch_id) or (None, [])
    paths = [j.file_info.filepath for j in jobs if j.file_info]
    assert paths == [
        "batch/my_podcast/2024/Intro_a_b.mp3",
        "batch/my_podcast/2024/Intro_a_b-2.mp3",
        "batch/my_podcast/2024/ep3.mp3",  # no title: the enclosure's file name
    ]
    assert [j.title for j in jobs] == ["Intro: a/b?", "Intro: a/b?", "ep3"]
    assert {j.file_info.content_type for j in jobs if j.file_info} == {"audio/mpeg"}


def test_naming_rules() -> None:
    assert folder_template(None) == "batch/{batch_id}/{safe_title}.{ext}"
    assert folder_template("../../etc") == "batch/etc/{safe_title}.{ext}"
    assert folder_template("{batch_id}") == "batch/batch_id/{safe_title}.{ext}"
    assert episode_title("  Two   spaces ", "http://h/x.mp3", 0) == "Two spaces"
    assert episode_title(None, "http://h/", 4) == "Episode 5"


def test_retry_runs_exactly_the_failed_and_cancelled_episodes_in_the_same_batch(shows: ShowWorld) -> None:
    shows.expander.feeds[FEED] = [episode(i) for i in range(5)]
    made = shows.submit()
    batch_id = made.batch.batch.batch_id
    shows.run_all(failing={1, 3})
    shown = shows.service.retry(TENANT, batch_id)
    assert shown.status is ShowStatus.PROCESSING and shown.batch.round == 2
    assert (shown.batch.queued_jobs, shown.batch.failed_jobs, shown.batch.completed_jobs) == (2, 0, 3)
    again = shows.workflow.started[-1]
    assert again["job_ids"] == [made.batch.episode_jobs[1], made.batch.episode_jobs[3]] and again["round"] == 2
    shows.run_all()
    done = shows.service.get_batch(TENANT, batch_id)
    assert done.status is ShowStatus.COMPLETED and done.batch.completed_jobs == 5
    finals = [d for t, d in shows.events.events if t.startswith("batch.")]
    assert [d.get("round", 1) for d in finals] == [1, 2]  # one announcement per round
    assert finals[0]["show_url"] == FEED


def test_retry_of_a_batch_still_processing_is_a_conflict(shows: ShowWorld) -> None:
    batch_id = shows.submit().batch.batch.batch_id
    with pytest.raises(Conflict) as caught:
        shows.service.retry(TENANT, batch_id)
    assert caught.value.code == "batch_not_finished"
    shows.run_all()
    with pytest.raises(Conflict) as nothing:
        shows.service.retry(TENANT, batch_id)
    assert nothing.value.code == "nothing_to_retry"


def test_jobs_to_retry_selects_failed_and_cancelled_only(shows: ShowWorld) -> None:
    shows.expander.feeds[FEED] = [episode(i) for i in range(4)]
    batch_id = shows.submit().batch.batch.batch_id
    shows.run_all(failing={0})
    _, jobs = shows.store.get_batch_with_jobs(TENANT, batch_id) or (None, [])
    jobs[2] = jobs[2].model_copy(update={"status": JobStatus.CANCELLED})
    assert [j.index for j in jobs_to_retry(jobs)] == [0, 2]


def test_spotify_empty_feeds_and_unreadable_urls_are_refused_before_any_job(shows: ShowWorld) -> None:
    with pytest.raises(ValidationFailed) as spotify:
        shows.submit("https://open.spotify.com/show/7iQXmUT7XGuZSzAMjoNWlX")
    assert spotify.value.code == "drm_protected" and "DRM" in spotify.value.message
    assert shows.expander.calls == []  # recognised before fetching anything
    shows.expander.feeds["http://93.184.216.34/empty.rss"] = []
    with pytest.raises(ValidationFailed) as empty:
        shows.submit("http://93.184.216.34/empty.rss")
    assert empty.value.code == "no_episodes"
    shows.expander.slow.add("http://93.184.216.34/slow.rss")
    with pytest.raises(ValidationFailed) as slow:
        shows.submit("http://93.184.216.34/slow.rss")
    assert slow.value.code == "extraction_timed_out"
    with pytest.raises(ValidationFailed) as local:
        shows.submit("http://127.0.0.1/feed.rss")
    assert local.value.code == "invalid_url"
    assert shows.store.batches == {}


def test_another_tenants_ids_answer_like_missing_ones(shows: ShowWorld) -> None:
    made = shows.submit()
    batch_id, job_id = made.batch.batch.batch_id, made.batch.episode_jobs[0]
    assert shows.service.get_job(TENANT, job_id).job.job_id == job_id
    for tenant, bid, jid in (("tenant-b", batch_id, job_id), (TENANT, "batch_" + "0" * 16, "job_x_1")):
        with pytest.raises(NotFound) as batch_missing:
            shows.service.get_batch(tenant, bid)
        with pytest.raises(NotFound) as job_missing:
            shows.service.get_job(tenant, jid)
        assert (batch_missing.value.code, job_missing.value.code) == ("batch_not_found", "job_not_found")
