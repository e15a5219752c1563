"""Shared fixtures: one local cloud per test session (moto state and the environment are
process-wide), a real media server on 127.0.0.1 with ffmpeg-made files, a webhook receiver."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from localcloud import LocalCloud
from tests.support.guarded_cloud import guarded_cloud
from tests.support.iam_session import (  # noqa: F401 - pytest hooks: AWS calls checked against IAM
    pytest_configure,
    pytest_sessionfinish,
    pytest_terminal_summary,
)
from tests.support.localcloud_process import LocalCloudProcess
from tests.support.media import MediaSet, make_media
from tests.support.media_server import MediaServer
from tests.support.webhook_receiver import WebhookReceiver

TENANT_A, KEY_A = "tenant-a", "key-a-0123456789"
TENANT_B, KEY_B = "tenant-b", "key-b-0123456789"
# A tenant of its own for the reliability suites (fuzzing writes whatever the contract allows).
TENANT_C, KEY_C = "tenant-c", "key-c-0123456789"
TERMINAL = {"completed", "failed", "cancelled"}


class Api:
    """A tiny client for the local API, as a user's script would use it."""

    def __init__(self, base_url: str, api_key: str | None) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        if api_key:
            self.session.headers["X-API-Key"] = api_key

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, self.base_url + path, timeout=30, **kwargs)

    def create_batch(self, **body: Any) -> requests.Response:
        return self.request("POST", "/api/v1/batch/download", json=body)

    def batch(self, batch_id: str) -> dict[str, Any]:
        response = self.request("GET", f"/api/v1/batch/{batch_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    def wait_for(
        self, batch_id: str, predicate: Callable[[dict[str, Any]], bool] | None = None, timeout: float = 60.0
    ) -> dict[str, Any]:
        predicate = predicate or (lambda b: b["status"] in TERMINAL)
        deadline = time.monotonic() + timeout
        while True:
            state = self.batch(batch_id)
            if predicate(state):
                return state
            if time.monotonic() > deadline:
                raise AssertionError(f"batch {batch_id} did not get there in {timeout} s: {state}")
            time.sleep(0.2)


@pytest.fixture(scope="session")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    local = LocalCloud(
        port=0,
        parameter_overrides={
            "UrlAllowlist": "127.0.0.1",
            "WebhookBackoffBaseSeconds": "1",
            "WebhookMaxAttempts": "3",
            "ShowConcurrency": "8",
        },
        api_keys=f"{TENANT_A}:{KEY_A},{TENANT_B}:{KEY_B},{TENANT_C}:{KEY_C}",
        work_dir=tmp_path_factory.mktemp("lambda-tmp"),
        data_dir=tmp_path_factory.mktemp("localcloud-data"),
        # The reconciler would start the batches integration tests write without starting them.
        schedule_interval_seconds=24 * 3600,
    )
    local.start()
    yield local
    local.stop()


@pytest.fixture(scope="session")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloudProcess]:
    """The cloud of small quotas and an admin token (tests/support/guarded_cloud.py), started
    once for the suites of rate limits and key management; each of their tests makes its own
    tenants, so they share it."""
    with guarded_cloud(tmp_path_factory.mktemp("guarded-cloud")) as started:
        yield started


@pytest.fixture(scope="session")
def api(cloud: LocalCloud) -> Api:
    return Api(cloud.base_url, KEY_A)


@pytest.fixture(scope="session")
def api_b(cloud: LocalCloud) -> Api:
    return Api(cloud.base_url, KEY_B)


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> MediaSet:
    return make_media(tmp_path_factory.mktemp("media"))


@pytest.fixture(scope="session")
def media_root(media: MediaSet) -> Path:
    return media.root


@pytest.fixture(scope="session")
def media_server(media_root: Path) -> Iterator[MediaServer]:
    with MediaServer(media_root, slow_chunk_size=4096, slow_delay_s=0.25) as server:
        yield server


@pytest.fixture
def webhook_receiver(api: Api) -> Iterator[WebhookReceiver]:
    with WebhookReceiver(lambda: api.request("GET", "/api/v1/webhooks/secret").json()["secret"]) as receiver:
        yield receiver
