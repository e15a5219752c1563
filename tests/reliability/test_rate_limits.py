"""Rate limits under a burst: one tenant sends twice its creation limit at once on a cloud of
its own (tests/support/guarded_cloud.py); exactly the limit is admitted, the rest answer 429
with Retry-After, a second tenant is unaffected, and the first is admitted again after
Retry-After. The figures go to docs/reliability.md."""

from __future__ import annotations

import math
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.reliability.figures import record
from tests.support.guarded_cloud import ADMIN_TOKEN, CREATE_LIMIT, CREATE_WINDOW_SECONDS
from tests.support.localcloud_process import LocalCloudProcess

BURST = 2 * CREATE_LIMIT


@pytest.fixture(scope="module")
def cloud(guarded: LocalCloudProcess) -> LocalCloudProcess:
    return guarded


def tenant_key(cloud: LocalCloudProcess) -> str:
    admin = {"X-Admin-Token": ADMIN_TOKEN}
    tenant = f"burst-{uuid.uuid4().hex[:10]}"
    requests.post(cloud.base_url + "/admin/v1/tenants", json={"tenant_id": tenant}, headers=admin, timeout=30)
    issued = requests.post(cloud.base_url + f"/admin/v1/tenants/{tenant}/keys", headers=admin, timeout=30)
    return str(issued.json()["api_key"])


def create(cloud: LocalCloudProcess, key: str) -> requests.Response:
    return requests.post(
        cloud.base_url + "/api/v0/media/batch/delete",
        json={"ids": [str(uuid.uuid4())]},
        headers={"X-API-Key": key},
        timeout=30,
    )


def test_a_burst_gets_exactly_the_limit_then_429_and_the_window_reopens(cloud: LocalCloudProcess) -> None:
    key, other = tenant_key(cloud), tenant_key(cloud)
    now = time.time()
    time.sleep(math.ceil(now / CREATE_WINDOW_SECONDS) * CREATE_WINDOW_SECONDS - now + 0.05)
    started = time.monotonic()
    with ThreadPoolExecutor(BURST) as pool:
        answers = list(pool.map(lambda _: create(cloud, key), range(BURST)))
    burst_seconds = time.monotonic() - started
    statuses = Counter(a.status_code for a in answers)
    refused = [a for a in answers if a.status_code == 429]
    other_status = create(cloud, other).status_code
    retry_after = max(int(a.headers["Retry-After"]) for a in refused) if refused else 0
    time.sleep(retry_after)
    reopened = create(cloud, key).status_code

    record(
        "rate_limits",
        {
            "limit": CREATE_LIMIT,
            "window_seconds": CREATE_WINDOW_SECONDS,
            "burst": BURST,
            "admitted": statuses.get(200, 0),
            "refused_429": statuses.get(429, 0),
            "other_statuses": {str(s): n for s, n in statuses.items() if s not in (200, 429)},
            "burst_seconds": round(burst_seconds, 2),
            "retry_after_max": retry_after,
            "other_tenant_status": other_status,
            "after_retry_after_status": reopened,
        },
    )
    assert burst_seconds < CREATE_WINDOW_SECONDS, "the burst outlasted the window: the figures say nothing"
    assert statuses == Counter({200: CREATE_LIMIT, 429: BURST - CREATE_LIMIT})
    assert all(a.json()["error"]["code"] == "rate_limited" for a in refused)
    assert all(1 <= int(a.headers["Retry-After"]) <= CREATE_WINDOW_SECONDS for a in refused)
    assert other_status == 200
    assert reopened == 200
