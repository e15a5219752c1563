"""Show batches wired to in-memory fakes (tests/fakes/shows.py and the batch fakes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediabatch.downloads.finalizer import BatchFinalizer
from mediabatch.downloads.job_runner import DownloadJobRunner, JobLimits
from mediabatch.shows.models import Episode, ShowRequest, Submission
from mediabatch.shows.service import ShowService
from mediabatch.urlguard import UrlPolicy
from tests.fakes.downloads import (
    FakeDownloader,
    FakeWorkflow,
    InMemoryBatches,
    InMemoryStorage,
    InMemoryStorageKeys,
    RecordingEvents,
)
from tests.fakes.shows import FakeExpander

TENANT = "tenant-a"
FEED = "http://93.184.216.34/feed.rss"


def episode(i: int, title: str | None = None) -> Episode:
    return Episode(url=f"http://93.184.216.34/ep{i}.mp3", title=title if title is not None else f"Episode {i}")


class ShowWorld:
    def __init__(self, work_dir: Path) -> None:
        self.store = InMemoryBatches()
        self.keys = InMemoryStorageKeys()
        self.storage = InMemoryStorage()
        self.workflow = FakeWorkflow()
        self.events = RecordingEvents()
        self.expander = FakeExpander({FEED: [episode(i) for i in range(1, 4)]})
        self.finalizer = BatchFinalizer(self.store, self.events)
        self.work_dir = work_dir
        self.service = ShowService(
            self.store,
            self.workflow,
            self.expander,
            self.finalizer,
            self.storage,
            UrlPolicy.from_allowlist(""),
            concurrency=7,
            extraction_timeout_seconds=120,
        )

    def submit(self, url: str = FEED, **fields: object) -> Submission:
        return self.service.submit(TENANT, ShowRequest.model_validate({"url": url, **fields}))

    def run_all(self, downloader: FakeDownloader | None = None, *, failing: set[int] | None = None) -> None:
        """Run every started job (the state machine), the ones in `failing` with a 503."""
        from mediabatch.downloads.models import DownloadFailed

        limits = JobLimits(job_timeout_seconds=60, safety_margin_seconds=1, work_dir=str(self.work_dir))
        ok = DownloadJobRunner(
            self.store, self.keys, self.storage, downloader or FakeDownloader(), self.finalizer, limits
        )
        bad = DownloadJobRunner(
            self.store,
            self.keys,
            self.storage,
            FakeDownloader(error=DownloadFailed("HTTP Error 503")),
            self.finalizer,
            limits,
        )
        started = self.workflow.started[-1]
        for job_id in started["job_ids"]:
            index = int(job_id.rsplit("_", 1)[1])
            runner = bad if failing and index in failing else ok
            runner.run(started["tenant_id"], started["batch_id"], job_id, lambda: 900.0)


@pytest.fixture
def shows(tmp_path: Path) -> ShowWorld:
    work = tmp_path / "work"
    work.mkdir()
    return ShowWorld(work)
