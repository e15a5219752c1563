"""Quotas over HTTP, on a cloud of its own with small limits (tests/support/guarded_cloud.py):
the creation window answers 429 with Retry-After and the envelope, for one tenant only, and
admits again after the window; requests beyond the bounds get their 4xx."""

from __future__ import annotations

import math
import time
import uuid

import pytest
import requests

from tests.support.guarded_cloud import (
    ADMIN_TOKEN,
    CREATE_LIMIT,
    CREATE_WINDOW_SECONDS,
    MAX_RUNNING_JOBS,
)
from tests.support.localcloud_process import LocalCloudProcess
from tests.support.media_server import MediaServer

pytestmark = pytest.mark.e2e
DELETE_BATCH = "/api/v0/media/batch/delete"


@pytest.fixture(scope="module")
def cloud(guarded: LocalCloudProcess) -> LocalCloudProcess:
    return guarded


def new_tenant_key(cloud: LocalCloudProcess) -> str:
    """A fresh tenant (so each test starts with an empty window), made through the admin routes."""
    admin = {"X-Admin-Token": ADMIN_TOKEN}
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    created = requests.post(cloud.base_url + "/admin/v1/tenants", json={"tenant_id": tenant}, headers=admin, timeout=30)
    assert created.status_code == 201, created.text
    issued = requests.post(cloud.base_url + f"/admin/v1/tenants/{tenant}/keys", headers=admin, timeout=30)
    return str(issued.json()["api_key"])


def create(cloud: LocalCloudProcess, key: str, body: object = None) -> requests.Response:
    """A batch delete of an id nobody has: cheap batch work that answers 200."""
    body = body if body is not None else {"ids": [str(uuid.uuid4())]}
    return requests.post(cloud.base_url + DELETE_BATCH, json=body, headers={"X-API-Key": key}, timeout=30)


def at_window_start() -> None:
    """Wait for a fresh window, so that the test's requests all fall into one."""
    now = time.time()
    time.sleep(math.ceil(now / CREATE_WINDOW_SECONDS) * CREATE_WINDOW_SECONDS - now + 0.05)


def test_over_the_creation_limit_429_then_allowed_after_the_window(cloud: LocalCloudProcess) -> None:
    key, other = new_tenant_key(cloud), new_tenant_key(cloud)
    at_window_start()
    admitted = [create(cloud, key).status_code for _ in range(CREATE_LIMIT)]
    refused = create(cloud, key)
    other_tenant = create(cloud, other)

    assert admitted == [200] * CREATE_LIMIT
    assert refused.status_code == 429
    retry_after = int(refused.headers["Retry-After"])
    assert 1 <= retry_after <= CREATE_WINDOW_SECONDS
    assert refused.json()["success"] is False
    assert refused.json()["error"]["code"] == "rate_limited"
    assert refused.json()["error"]["details"] == {"limit": CREATE_LIMIT, "window_seconds": CREATE_WINDOW_SECONDS}
    assert other_tenant.status_code == 200

    time.sleep(retry_after)
    assert create(cloud, key).status_code == 200


def test_refused_requests_do_not_use_up_the_window(cloud: LocalCloudProcess) -> None:
    key = new_tenant_key(cloud)
    at_window_start()
    invalid = [create(cloud, key, body={"ids": []}).status_code for _ in range(CREATE_LIMIT + 2)]
    valid = [create(cloud, key).status_code for _ in range(CREATE_LIMIT)]

    assert set(invalid) == {400}
    assert valid == [200] * CREATE_LIMIT


def test_reads_are_not_limited(cloud: LocalCloudProcess) -> None:
    key = new_tenant_key(cloud)
    statuses = {
        requests.get(cloud.base_url + "/api/v1/batch", headers={"X-API-Key": key}, timeout=30).status_code
        for _ in range(CREATE_LIMIT * 2)
    }

    assert statuses == {200}


def test_document_routes_answer_429_in_the_seed_body(cloud: LocalCloudProcess) -> None:
    key = new_tenant_key(cloud)
    at_window_start()
    for _ in range(CREATE_LIMIT):
        assert create(cloud, key).status_code == 200
    refused = requests.post(
        cloud.base_url + "/api/embedding-uploads",
        json={"files": [{"filename": "a.pdf", "size": 10}]},
        headers={"X-API-Key": key},
        timeout=30,
    )

    assert refused.status_code == 429
    assert set(refused.json()) == {"detail"} and "Retry-After" in refused.headers


@pytest.mark.parametrize(
    "path, headers, status, code",
    [
        ("/api/v1/batch/" + "x" * 3000, {}, 414, "uri_too_long"),
        ("/api/v1/batch?status=" + "q" * 5000, {}, 414, "query_too_long"),
        ("/api/v1/batch", {f"x-extra-{i}": "1" for i in range(70)}, 431, "headers_too_large"),
        ("/api/v1/batch", {f"x-big-{i}": "v" * 4000 for i in range(5)}, 431, "headers_too_large"),
    ],
)
def test_oversized_requests_get_a_clear_4xx(
    cloud: LocalCloudProcess, path: str, headers: dict[str, str], status: int, code: str
) -> None:
    response = requests.get(cloud.base_url + path, headers={"X-API-Key": cloud.api_key, **headers}, timeout=30)

    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code


def test_too_many_running_jobs_refuses_new_download_batches_until_some_end(
    cloud: LocalCloudProcess, media_server: MediaServer
) -> None:
    key = new_tenant_key(cloud)
    headers = {"X-API-Key": key}
    slow = [media_server.url(f"/slow/clip2.mp4?running={i}") for i in range(MAX_RUNNING_JOBS)]
    first = requests.post(cloud.base_url + "/api/v1/batch/download", json={"urls": slow}, headers=headers, timeout=30)
    assert first.status_code == 202, first.text

    refused = requests.post(
        cloud.base_url + "/api/v1/batch/download",
        json={"urls": [media_server.url("/clip.mp4")]},
        headers=headers,
        timeout=30,
    )
    other_tenant = requests.get(cloud.base_url + "/api/v1/batch", headers={"X-API-Key": cloud.api_key}, timeout=30)

    assert refused.status_code == 429, refused.text
    assert refused.json()["error"]["code"] == "too_many_running_jobs"
    assert int(refused.headers["Retry-After"]) > 0
    assert other_tenant.status_code == 200

    cancelled = requests.delete(
        cloud.base_url + f"/api/v1/batch/{first.json()['batch_id']}", headers=headers, timeout=30
    )
    assert cancelled.status_code == 200, cancelled.text
    again = requests.post(
        cloud.base_url + "/api/v1/batch/download",
        json={"urls": [media_server.url("/clip.mp4")]},
        headers=headers,
        timeout=30,
    )
    assert again.status_code == 202, again.text
