"""Batch downloads wired to in-memory fakes of every port (tests/fakes/downloads.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediabatch.downloads.finalizer import BatchFinalizer
from mediabatch.downloads.job_runner import DownloadJobRunner, JobLimits
from mediabatch.downloads.models import BatchDownloadRequest, BatchRecord
from mediabatch.downloads.service import BatchDownloadService
from mediabatch.urlguard import UrlPolicy
from tests.fakes.downloads import (
    FakeDownloader,
    FakeWorkflow,
    InMemoryBatches,
    InMemoryStorage,
    InMemoryStorageKeys,
    RecordingEvents,
)

TENANT = "tenant-a"
OTHER_TENANT = "tenant-b"
# Literal public addresses: the URL policy checks them without DNS.
URL_1 = "http://93.184.216.34/one.mp4"
URL_2 = "http://93.184.216.34/two.mp4"
URL_3 = "http://93.184.216.34/three.mp4"


class World:
    """Every fake, and the services built on them."""

    def __init__(self, work_dir: Path) -> None:
        self.store = InMemoryBatches()
        self.keys = InMemoryStorageKeys()
        self.storage = InMemoryStorage()
        self.workflow = FakeWorkflow()
        self.events = RecordingEvents()
        self.downloader = FakeDownloader()
        self.work_dir = work_dir
        self.finalizer = BatchFinalizer(self.store, self.events)
        self.service = BatchDownloadService(
            self.store, self.workflow, self.finalizer, self.storage, UrlPolicy.from_allowlist("")
        )

    def runner(self, downloader: FakeDownloader | None = None) -> DownloadJobRunner:
        limits = JobLimits(job_timeout_seconds=1800, safety_margin_seconds=30, work_dir=str(self.work_dir))
        return DownloadJobRunner(
            self.store, self.keys, self.storage, downloader or self.downloader, self.finalizer, limits
        )

    def create(self, *urls: str, tenant_id: str = TENANT, **options: object) -> BatchRecord:
        request = BatchDownloadRequest.model_validate({"urls": list(urls or [URL_1]), **options})
        return self.service.create(tenant_id, request)


@pytest.fixture
def world(tmp_path: Path) -> World:
    work = tmp_path / "work"
    work.mkdir()
    return World(work)
