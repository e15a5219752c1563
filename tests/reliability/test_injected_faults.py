"""Injected faults: the product's AWS calls fail on purpose while batches of every kind run
(URL downloads, show jobs, uploads, media copy and delete, document batches). Kinds: throttling
(DynamoDB ThrottlingException and ProvisionedThroughputExceededException, S3 SlowDown 503,
Step Functions / EventBridge / SQS ThrottlingException), 500s, read timeouts, transaction
conflicts, connections reset (botocore's, and a TCP proxy cutting the client's presigned PUTs
mid-part). The plan (localcloud/faults.py) hits only the product's own clients (`app/mediabatch`).

Each batch must reach a terminal state with every item done once: 0 lost, 0 duplicated, its
counters equal to its jobs. Retries come from botocore's standard mode and tenacity.
`MEDIABATCH_FAULT_RATE` sets the base rate (default 0.04 per call and kind)."""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from localcloud import LocalCloud, faults
from mediabatch_client import UploadClient
from tests.conftest import KEY_C, Api
from tests.reliability.figures import record
from tests.support.feed_server import FeedServer, make_audio, rss
from tests.support.media import make_sized_file
from tests.support.media_server import MediaServer
from tests.support.reset_proxy import ProxiedSession, ResettingProxy

RATE = float(os.environ.get("MEDIABATCH_FAULT_RATE", "0.04"))
SEED = int(os.environ.get("MEDIABATCH_FAULT_SEED", "14"))
DOCUMENTS = Path("/work/shared/corpus/documents")
# Writes whose answer is lost after they took effect (`timeout-answer-lost`), at this rate.
LOST_RATE = float(os.environ.get("MEDIABATCH_FAULT_LOST_RATE", str(RATE)))
# Not TransactWriteItems: botocore's re-send carries the same idempotency token, which DynamoDB
# honours; see docs/reliability.md for the one chain that still misreads a lost answer.
DDB_WRITES = ["PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"]
S3_WRITES = ["PutObject", "UploadPart", "CreateMultipartUpload", "CompleteMultipartUpload", "CopyObject"]

_figures: dict[str, Any] = {"rate": RATE, "seed": SEED, "batches": {}}


def rule(name: str, service: str, rate: float, suffix: str = "", **extra: Any) -> dict[str, Any]:
    """A rate rule on the product's calls to `service`; its kind is `name` unless given."""
    return {
        "name": f"{name}:{service}{suffix}",
        "kind": name,
        "service": service,
        "rate": rate,
        "app_only": True,
    } | extra


def plan(rate: float) -> list[dict[str, Any]]:
    """Every kind of fault, on every service the product calls (names: `<kind>:<where>`)."""
    half = rate / 2
    return [
        rule("throttling", "dynamodb", rate),
        rule("throttling", "dynamodb", half, "-capacity", code="ProvisionedThroughputExceededException"),
        *(rule("throttling", s, rate) for s in ("s3", "states", "events", "sqs")),
        *(rule("server_error", s, half) for s in ("dynamodb", "s3", "states")),
        *(rule("timeout", s, half) for s in ("dynamodb", "s3")),
        rule("transaction_conflict", "dynamodb", 0.1, operation="TransactWriteItems"),
        rule("connection_reset", "s3", rate, operation=S3_WRITES),
        # The request did its work, only the answer was lost: botocore sends it again.
        rule("timeout-answer-lost", "dynamodb", LOST_RATE, kind="timeout", after_send=True, operation=DDB_WRITES),
        rule("timeout-answer-lost", "s3", LOST_RATE, kind="timeout", after_send=True, operation=S3_WRITES),
        # At least one of each on S3 per batch, whose calls are few.
        {
            "name": "connection_reset:s3-first",
            "kind": "connection_reset",
            "service": "s3",
            "count": 1,
            "operation": S3_WRITES,
            "app_only": True,
        },
        {"name": "throttling:s3-first", "kind": "throttling", "service": "s3", "count": 1, "app_only": True},
    ]


class FaultWindow:
    """The plan in force from `start()` until `stop()`, which returns what it injected per kind."""

    def start(self) -> None:
        faults.clear()
        faults.set_plan(plan(RATE), seed=SEED)

    def stop(self) -> dict[str, dict[str, int]]:
        seen = faults.stats()
        faults.clear()
        per_kind: dict[str, dict[str, int]] = {}
        for rule, counts in seen.items():
            kind = per_kind.setdefault(rule.partition(":")[0], {"faults": 0, "retries": 0})
            kind["faults"] += counts["faults"]
            kind["retries"] += counts["retries"]
        return per_kind


@pytest.fixture(scope="module", autouse=True)
def report() -> Iterator[None]:
    yield
    faults.clear()
    record("faults", _figures)


@pytest.fixture
def window() -> Iterator[FaultWindow]:
    w = FaultWindow()
    w.start()
    try:
        yield w
    finally:
        faults.clear()


def note(kind: str, items: int, injected: dict[str, dict[str, int]], lost: int, duplicated: int, **extra: Any) -> None:
    _figures["batches"][kind] = {"items": items, "faults": injected, "lost": lost, "duplicated": duplicated, **extra}


def wait(check: Callable[[], dict[str, Any] | None], what: str, timeout: float = 90.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found is not None:
            return found
        assert time.monotonic() < deadline, f"{what} not terminal in {timeout} s"
        time.sleep(0.3)


def stored(cloud: LocalCloud, contains: str) -> list[str]:
    """Keys of the media bucket holding `contains` (the test's own client: no faults)."""
    pages = cloud.client("s3").get_paginator("list_objects_v2").paginate(Bucket=os.environ["MEDIA_BUCKET"])
    return [o["Key"] for page in pages for o in page.get("Contents", []) if contains in o["Key"]]


def media_in(api: Api, folder: str) -> list[dict[str, Any]]:
    response = api.request("GET", "/api/v0/media", params={"folder": folder, "limit": 100})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def faults_met(injected: dict[str, dict[str, int]]) -> int:
    return sum(k["faults"] for k in injected.values())


# ---------------------------------------------------------------------- URL downloads
def test_a_url_batch_under_faults_downloads_every_file_once(
    api_c: Api, cloud: LocalCloud, media_server: MediaServer, window: FaultWindow
) -> None:
    urls = [media_server.url(f"/clip.mp4?fault={i}") for i in range(8)]
    created = api_c.create_batch(urls=urls, concurrent_limit=4)
    assert created.status_code == 202, created.text
    batch_id = created.json()["batch_id"]
    final = api_c.wait_for(batch_id, timeout=120)
    injected = window.stop()

    jobs = final["jobs"]
    statuses = [j["status"] for j in jobs]
    counters = {s: final[f"{s}_jobs"] for s in ("completed", "failed", "running", "queued")}
    assert counters == {s: statuses.count(s) for s in counters}, final  # counters equal the jobs
    keys = [j["file_info"]["filepath"] for j in jobs if j.get("file_info")]
    listed = media_in(api_c, f"batch/{batch_id}")
    objects = stored(cloud, f"batch/{batch_id}/")
    lost = len(urls) - len(keys)
    duplicated = (len(objects) - len(set(keys))) + (len(listed) - len({m["id"] for m in listed}))
    note("URL download batch", len(urls), injected, lost, duplicated, status=final["status"])
    assert final["status"] == "completed" and statuses == ["completed"] * len(urls), final
    assert lost == 0 and len(set(keys)) == len(urls) and duplicated == 0, (keys, objects)
    assert sorted(m["storage_key"] for m in listed) == sorted(keys)
    assert faults_met(injected) > 0, "the plan injected nothing: raise MEDIABATCH_FAULT_RATE"


# ---------------------------------------------------------------------- show jobs
@pytest.fixture(scope="module")
def podcasts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FeedServer]:
    audio = {"mp3": make_audio(tmp_path_factory.mktemp("fault-audio"), "mp3")}
    with FeedServer(audio) as server:
        yield server


def test_a_show_job_under_faults_stores_every_episode_once(
    api_c: Api, cloud: LocalCloud, podcasts: FeedServer, window: FaultWindow
) -> None:
    episodes = [(f"Faulty episode {i}", podcasts.url(f"/audio/faulty/ep{i}.mp3")) for i in range(8)]
    podcasts.feeds["faulty.rss"] = rss("Faulty", episodes)
    folder = f"faulty-{uuid.uuid4().hex[:8]}"
    created = api_c.request("POST", "/jobs", json={"url": podcasts.url("/feeds/faulty.rss"), "folder": folder})
    assert created.status_code == 202, created.text
    body = created.json()

    def done() -> dict[str, Any] | None:
        state = dict(api_c.request("GET", f"/batch/{body['batch_id']}").json())
        return state if state["status"] in {"completed", "finished"} else None

    final = wait(done, "show batch", timeout=120)
    injected = window.stop()
    jobs = [api_c.request("GET", f"/jobs/{job_id}").json() for job_id in body["episode_jobs"]]
    statuses = [j["status"] for j in jobs]
    assert (final["completed_episodes"], final["failed_episodes"]) == (
        statuses.count("completed"),
        statuses.count("failed"),
    ), final  # counters equal the jobs
    paths = [j["file"]["filepath"] for j in jobs if j.get("file")]
    objects = stored(cloud, f"batch/{folder}/")
    lost = len(episodes) - len(paths)
    duplicated = len(objects) - len(set(paths))
    note("show job", len(episodes), injected, lost, duplicated, status=final["status"])
    assert final["status"] == "completed" and final["total_episodes"] == len(episodes), final
    assert lost == 0 and duplicated == 0 and len(set(paths)) == len(episodes), (paths, objects)
    assert faults_met(injected) > 0


# ---------------------------------------------------------------------- uploads
@pytest.fixture(scope="module")
def upload_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("fault-uploads")
    return [make_sized_file(folder / f"faulty-{i}.mp4", 3 * 2**20 + i * 4099, seed=40 + i) for i in range(5)]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_uploaded: dict[str, Any] = {}


def test_uploads_under_faults_and_parts_cut_mid_way_register_every_file_once(
    api_c: Api, cloud: LocalCloud, upload_files: list[Path], window: FaultWindow
) -> None:
    channel = f"faulty-{uuid.uuid4().hex[:8]}"
    with (
        ResettingProxy(cloud.s3_endpoint_url, resets=2) as proxy,
        UploadClient(cloud.base_url, KEY_C, session=ProxiedSession(proxy), retry_backoff=0.05, max_workers=3) as client,
    ):
        results = client.upload_files(upload_files, channel_id=channel)
    injected = window.stop()
    injected["connection_reset (client PUT, TCP proxy)"] = {"faults": proxy.resets_done, "retries": proxy.resets_done}

    listed = media_in(api_c, f"channels/{channel}")
    by_name = {m["filename"]: m for m in listed}
    lost = len(upload_files) - len(by_name)
    duplicated = len(listed) - len(by_name)
    note("upload (presigned PUTs)", len(upload_files), injected, lost, duplicated)
    assert proxy.resets_done == 2, "the proxy cut two PUTs mid-way"
    assert lost == 0 and duplicated == 0, listed
    for path, result in zip(upload_files, results, strict=True):
        item = by_name[path.name]
        assert item["id"] == result.media_id and item["size"] == path.stat().st_size
        fetched = requests.get(item["download_url"], timeout=30).content
        assert sha256(fetched) == sha256(path.read_bytes())
    _uploaded.update(channel=channel, ids=[r.media_id for r in results])


# ---------------------------------------------------------------------- media copy and delete
def test_media_copy_and_delete_under_faults_act_on_every_item_once(
    api_c: Api, cloud: LocalCloud, window: FaultWindow
) -> None:
    if not _uploaded:
        pytest.skip("needs the uploads of the test above")
    folder, ids = f"channels/{_uploaded['channel']}", list(_uploaded["ids"])
    copied = api_c.request("POST", "/api/v0/media/batch/copy", json={"ids": ids})
    assert copied.status_code == 200, copied.text
    copies = [r["new_id"] for r in copied.json()["results"] if r["status"] == 201]
    after_copy = media_in(api_c, folder)
    deleted = api_c.request("POST", "/api/v0/media/batch/delete", json={"ids": copies})
    assert deleted.status_code == 200, deleted.text
    injected = window.stop()

    after_delete = media_in(api_c, folder)
    copy_objects = [k for c in copies for k in stored(cloud, c)]
    lost = (len(ids) - len(copies)) + len(set(ids) - {m["id"] for m in after_delete})
    duplicated = (len(after_copy) - 2 * len(ids)) + len(copy_objects)
    note("media copy + delete", 2 * len(ids), injected, lost, duplicated)
    assert [r["status"] for r in copied.json()["results"]] == [201] * len(ids), copied.json()
    assert [r["status"] for r in deleted.json()["results"]] == [204] * len(copies), deleted.json()
    assert len(after_copy) == 2 * len(ids) and {m["id"] for m in after_delete} == set(ids)
    assert copy_objects == [], "a deleted copy left its file"
    assert lost == 0 and duplicated == 0


# ---------------------------------------------------------------------- document batches
def test_a_document_batch_under_faults_indexes_every_file_once(api_c: Api, window: FaultWindow) -> None:
    named = [(n, (DOCUMENTS / n).read_bytes()) for n in ("crazyones-pdfa.pdf", "minimal-document.pdf", "test.pptx")]
    collection = f"faulty-{uuid.uuid4().hex[:8]}"
    response = api_c.request(
        "POST",
        "/api/start-embedding-batch",
        files=[("files", (n, data, "application/octet-stream")) for n, data in named],
        data={"collection_name": collection},
    )
    assert response.status_code == 202, response.text
    job_id = response.json()["job_id"]

    def done() -> dict[str, Any] | None:
        job = dict(api_c.request("GET", f"/api/job-status/{job_id}").json())
        return job if job["status"] in {"completed", "partially_completed", "failed"} else None

    final = wait(done, "document job", timeout=180)
    injected = window.stop()
    files = final["files"]
    names = [f["name"] for f in files]
    meta = final["metadata"]
    assert (meta["successful_files"], meta["failed_files"]) == (
        sum(f["status"] == "completed" for f in files),
        sum(f["status"] == "failed" for f in files),
    ), final  # counters equal the files
    lost = len(named) - sum(f["status"] == "completed" for f in files)
    duplicated = len(names) - len(set(names))
    note("document batch", len(named), injected, lost, duplicated, status=final["status"])
    assert final["status"] == "completed" and final["processed_files"] == len(named), final
    assert lost == 0 and duplicated == 0
    assert all(f["chunks"] >= 1 for f in files), files


def test_the_faults_reach_only_the_products_clients(cloud: LocalCloud) -> None:
    """The plan's `app_only` rules spare a client without `app/mediabatch` (moto's, a test's)."""
    faults.set_plan([{"name": "all", "kind": "server_error", "service": "dynamodb", "rate": 1.0, "app_only": True}])
    try:
        assert "TableNames" in cloud.client("dynamodb").list_tables()
        assert faults.stats() == {}
    finally:
        faults.clear()


def test_counted_faults_are_shared_and_consumed_exactly(cloud: LocalCloud) -> None:
    """A counted rule is consumed once per faulty call, whichever process makes it."""
    faults.set_plan([{"name": "two", "kind": "throttling", "service": "dynamodb", "count": 2}])
    try:
        ddb = cloud.client("dynamodb")  # botocore's default mode: retries throttling too
        ddb.list_tables()
        assert faults.stats() == {"two": {"faults": 2, "retries": 2}}
        ddb.list_tables()
        assert faults.stats()["two"]["faults"] == 2
    finally:
        faults.clear()


def test_every_kind_of_fault_was_met() -> None:
    """The suite proves something only if its plan fired: every kind, over the batches above."""
    if len(_figures["batches"]) < 5:
        pytest.skip("needs the batch tests above")
    met = {kind.partition(" ")[0] for b in _figures["batches"].values() for kind in b["faults"]}
    expected = {"throttling", "server_error", "timeout", "transaction_conflict", "connection_reset"}
    assert expected <= met, f"never injected: {expected - met}"
