"""Load: 200 concurrent clients on the local gateway for a bounded time, mixed reads (batch,
media and upload lists, a batch's details) and creates (one-URL download batches against the
loopback media server, upload inits), every request with a timeout. No answer may be a 5xx and
no request may fail in transport (refused, reset, timed out); a 429 is the rate limit doing its
work and is counted apart. Figures: requests, p50/p99 latency, throughput.

`MEDIABATCH_LOAD_SECONDS` sets the duration (20 s here; `make reliability` runs the issue's 60 s),
`MEDIABATCH_LOAD_CLIENTS` the clients (200). The clients act as a tenant of their own, so what
they create shows in no other suite's lists. Creates are paced (`CREATES_PER_SECOND` in all):
the batches they start run in the same cloud as the API."""

from __future__ import annotations

import os
import random
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from localcloud import LocalCloud
from tests.conftest import TERMINAL, Api
from tests.reliability.figures import record
from tests.support.media_server import MediaServer

SECONDS = float(os.environ.get("MEDIABATCH_LOAD_SECONDS", "20"))
CLIENTS = int(os.environ.get("MEDIABATCH_LOAD_CLIENTS", "200"))
CREATES_PER_SECOND = float(os.environ.get("MEDIABATCH_LOAD_CREATES_PER_SECOND", "2"))
# (connect, read) seconds. Today's local API answers one request at a time, so with 200 clients
# a request queues behind the others: generous, but finite (a hang fails as a transport error).
TIMEOUT = (10.0, 60.0)
TENANT, KEY = "tenant-load", "key-load-0123456789"


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: Counter[str] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    transport_errors: list[str] = field(default_factory=list)
    batch_ids: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, seconds: float, status: int | None, detail: str = "") -> None:
        with self.lock:
            self.latencies.setdefault(kind, []).append(seconds)
            if status is None:
                self.transport_errors.append(f"{kind}: {detail}")
                return
            self.statuses[str(status)] += 1
            if status >= 500:
                self.server_errors.append(f"{kind}: {status} {detail[:200]}")


class Pace:
    """At most `rate` creates per second over all clients (a token each 1/rate s)."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self.next_at = time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            now = time.monotonic()
            if now < self.next_at:
                return False
            self.next_at = max(self.next_at + self.interval, now)
            return True


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


@pytest.fixture(scope="module")
def load_api(cloud: LocalCloud) -> Api:
    from mediabatch import container

    container.tenant_service().register_api_key(TENANT, KEY)
    return Api(cloud.base_url, KEY)


def operations(
    base: str, media_server: MediaServer, tally: Tally
) -> list[tuple[str, Callable[[requests.Session], requests.Response]]]:
    """The mix; reads outnumber creates, and creates run only when the pace allows."""

    def create_batch(s: requests.Session) -> requests.Response:
        url = media_server.url(f"/clip.mp4?load={random.random()}")
        return s.post(f"{base}/api/v1/batch/download", json={"urls": [url]}, timeout=TIMEOUT)

    def init_upload(s: requests.Session) -> requests.Response:
        files = [{"filename": f"load-{random.randrange(10**6)}.mp4", "size": 1024, "type": "video/mp4"}]
        return s.post(f"{base}/api/v1/videos/batch/init", json={"files": files}, timeout=TIMEOUT)

    def batch_details(s: requests.Session) -> requests.Response:
        with tally.lock:
            known = list(tally.batch_ids[-20:])
        batch_id = random.choice(known) if known else "batch_" + "0" * 16
        return s.get(f"{base}/api/v1/batch/{batch_id}", timeout=TIMEOUT)

    def get(path: str) -> Callable[[requests.Session], requests.Response]:
        return lambda s: s.get(f"{base}{path}", timeout=TIMEOUT)

    return [
        ("GET /api/v1/batch", get("/api/v1/batch?limit=20")),
        ("GET /api/v0/media", get("/api/v0/media?limit=20")),
        ("GET /api/v1/videos/batch/uploads", get("/api/v1/videos/batch/uploads")),
        ("GET /api/v1/batch/{batch_id}", batch_details),
        ("POST /api/v1/batch/download", create_batch),
        ("POST /api/v1/videos/batch/init", init_upload),
    ]


def client_loop(
    ops: list[tuple[str, Callable[[requests.Session], requests.Response]]], pace: Pace, tally: Tally, until: float
) -> None:
    session = requests.Session()
    session.headers["X-API-Key"] = KEY
    reads, creates = ops[:4], ops[4:]
    while time.monotonic() < until:
        kind, call = random.choice(creates) if pace.take() else random.choice(reads)
        started = time.monotonic()
        try:
            response = call(session)
        except requests.RequestException as exc:
            tally.add(kind, time.monotonic() - started, None, repr(exc))
            session = requests.Session()  # a broken connection is not reused
            session.headers["X-API-Key"] = KEY
            continue
        tally.add(kind, time.monotonic() - started, response.status_code, response.text)
        if kind == "POST /api/v1/batch/download" and response.status_code == 202:
            with tally.lock:
                tally.batch_ids.append(str(response.json()["batch_id"]))
    session.close()


def summary(tally: Tally, wall: float) -> dict[str, Any]:
    every = [x for values in tally.latencies.values() for x in values]
    return {
        "clients": CLIENTS,
        "seconds": round(wall, 1),
        "timeout_s": list(TIMEOUT),
        "creates_per_second": CREATES_PER_SECOND,
        "requests": len(every),
        "throughput_rps": round(len(every) / wall, 1),
        "p50_ms": round(1000 * statistics.median(every)) if every else None,
        "p99_ms": round(1000 * percentile(every, 0.99)) if every else None,
        "statuses": dict(sorted(tally.statuses.items())),
        "rate_limited_429": tally.statuses.get("429", 0),
        "server_errors": len(tally.server_errors),
        "transport_errors": len(tally.transport_errors),
        "by_route": {
            kind: {
                "requests": len(values),
                "p50_ms": round(1000 * statistics.median(values)),
                "p99_ms": round(1000 * percentile(values, 0.99)),
            }
            for kind, values in sorted(tally.latencies.items())
        },
    }


def test_200_clients_get_no_server_error_and_no_transport_error(
    load_api: Api, cloud: LocalCloud, media_server: MediaServer
) -> None:
    tally, pace = Tally(), Pace(CREATES_PER_SECOND)
    ops = operations(cloud.base_url, media_server, tally)
    started = time.monotonic()
    until = started + SECONDS
    with ThreadPoolExecutor(max_workers=CLIENTS, thread_name_prefix="load") as pool:
        running = [pool.submit(client_loop, ops, pace, tally, until) for _ in range(CLIENTS)]
        for future in running:
            future.result()
    figures = summary(tally, time.monotonic() - started)

    # What the load created must still finish (the batches run in the same cloud).
    unfinished = unfinished_after(load_api, tally.batch_ids, timeout=120)
    figures["batches_created"] = len(tally.batch_ids)
    figures["batches_unfinished"] = len(unfinished)
    figures["workers"] = cloud.workers
    record("load", figures)

    assert tally.server_errors == [], tally.server_errors[:10]
    assert tally.transport_errors == [], tally.transport_errors[:10]
    ok = {s for s in tally.statuses if s.startswith("2")}
    assert ok and figures["requests"] >= CLIENTS, figures
    unexpected = {s: n for s, n in tally.statuses.items() if s not in ok | {"404", "429"}}
    assert unexpected == {}, unexpected  # 404: a batch id not made yet; 429: the rate limit
    assert unfinished == [], unfinished


def unfinished_after(api: Api, batch_ids: list[str], timeout: float) -> list[str]:
    """The batches still not terminal once `timeout` seconds have passed (polled together)."""
    deadline = time.monotonic() + timeout
    waiting = list(batch_ids)
    while waiting and time.monotonic() < deadline:
        waiting = [b for b in waiting if api.batch(b)["status"] not in TERMINAL]
        if waiting:
            time.sleep(0.5)
    return waiting
