"""The local cloud as `make run` runs it: ready time on an empty data folder and on one holding
10,000 media items (BENCH_LOCALCLOUD_ITEMS), and the peak memory of all its processes (the
Python process, SeaweedFS, DynamoDB Local) while a 1 GiB file (BENCH_UPLOAD_MIB) is uploaded
through mediabatch_client and completed.

Method:
- `python -m localcloud --port 0 --data-dir DIR` in a child process, as a user starts it; the
  ready time runs from the start of the process to its `ready` line (imports, the parts, the
  template provisioned, the reconciler's first pass). Medians of 3 (1 with --quick).
- The stored items: media items written straight into DynamoDB Local through the catalog's own
  item format (25 per BatchWriteItem), each with a small object of its own in SeaweedFS; then
  the cloud is stopped (SIGTERM) and started again on the folder.
- Memory: RSS of the local cloud's process and its parts (from /proc, every 50 ms) during the
  upload and its completion; the peak of the sum.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.common import BenchResult, MiB, fmt_mib, fmt_runs, proc_status_kb, temp_dir
from bench.fingerprint import LOCAL_CLOUD

NAME = "local_cloud"
MEASURES = (*LOCAL_CLOUD, "localcloud/parts/package-lock.json", "requirements-dev.txt", "bench/local_cloud.py")
TITLE = "make run: ready time (empty, {items} media items stored); peak RSS of all its processes during a {size} upload"
ITEMS = int(os.environ.get("BENCH_LOCALCLOUD_ITEMS", "10000"))
UPLOAD_BYTES = int(os.environ.get("BENCH_UPLOAD_MIB", "1024")) * MiB
TARGET_READY_S = 10.0


def _cloud(data_dir: Path) -> Any:
    from tests.support.localcloud_process import LocalCloudProcess

    return LocalCloudProcess(data_dir, overrides="LogLevel=ERROR")


def _ready_times(data_dir: Path, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        cloud = _cloud(data_dir).start(timeout=120)
        times.append(cloud.ready_seconds)
        cloud.terminate()
    return times


def _fill(cloud: Any, items: int) -> None:
    """`items` media items of tenant `local`, each with its object, as the catalog stores them."""
    import boto3
    from botocore.config import Config

    from mediabatch.adapters.dynamodb.media_items import media_put_request
    from mediabatch.catalog.models import MediaItem, MediaType

    keys = {"aws_access_key_id": "localcloud", "aws_secret_access_key": "localcloud", "region_name": "us-east-1"}
    config = Config(s3={"addressing_style": "path"}, max_pool_connections=16)
    s3 = boto3.client("s3", endpoint_url=cloud.s3_url, config=config, **keys)
    ddb = boto3.client("dynamodb", endpoint_url=cloud.urls["DynamoDB"], config=config, **keys)
    bucket = next(b["Name"] for b in s3.list_buckets()["Buckets"] if "mediabucket" in b["Name"])
    table = next(t for t in ddb.list_tables()["TableNames"] if "MediabatchTable" in t)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

    def one(i: int) -> dict[str, Any]:
        media_id = str(uuid.uuid4())
        key = f"tenants/local/media/{media_id}/item-{i}.mp4"
        s3.put_object(Bucket=bucket, Key=key, Body=f"item {i}".encode() * 100, ContentType="video/mp4")
        item = MediaItem(
            tenant_id="local",
            id=media_id,
            type=MediaType("video"),
            storage_key=key,
            filename=f"item-{i}.mp4",
            size=600 + 100 * len(str(i)),
            content_type="video/mp4",
            folder="bench",
            title=f"item {i}",
            created_at=now,
            updated_at=now,
        )
        return {"PutRequest": {"Item": media_put_request(table, item)["Put"]["Item"]}}

    with ThreadPoolExecutor(16) as pool:
        requests = list(pool.map(one, range(items)))
        batches = [requests[i : i + 25] for i in range(0, len(requests), 25)]
        list(pool.map(lambda b: _write_batch(ddb, table, b), batches))


def _write_batch(ddb: Any, table: str, batch: list[dict[str, Any]]) -> None:
    pending = {table: batch}
    while pending:
        pending = ddb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}


def _tree_rss_kb(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, KeyError):  # a part that is gone weighs nothing
            total += proc_status_kb(pid)["VmRSS"]
    return total


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _upload_peak(cloud: Any, work: Path) -> tuple[int, int, float]:
    """(RSS before, peak RSS during, seconds) of the cloud's processes for one upload."""
    from mediabatch_client import UploadClient
    from tests.support.media import make_sized_file

    source = make_sized_file(work / "upload.mp4", UPLOAD_BYTES, seed=7)
    pids = [cloud.proc.pid, *_children(cloud.proc.pid)]
    before = _tree_rss_kb(pids)
    peak = [before]
    halt = threading.Event()

    def sample() -> None:
        while not halt.is_set():
            peak[0] = max(peak[0], _tree_rss_kb(pids))
            halt.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    try:
        with UploadClient(cloud.base_url, cloud.api_key) as client:
            client.upload_file(source)
    finally:
        halt.set()
        sampler.join()
    return before * 1024, peak[0] * 1024, time.monotonic() - started


def run(quick: bool = False) -> BenchResult:
    runs = 1 if quick else 3
    with temp_dir("mediabatch-bench-localcloud-") as work:
        empty = []
        for i in range(runs):  # a new empty folder each time
            empty += _ready_times(work / f"empty-{i}", 1)
        data_dir = work / "filled"
        cloud = _cloud(data_dir).start(timeout=120)
        fill_started = time.monotonic()
        _fill(cloud, ITEMS)
        fill_s = time.monotonic() - fill_started
        cloud.terminate()
        filled = _ready_times(data_dir, runs)
        cloud = _cloud(data_dir).start(timeout=120)
        try:
            before, peak, upload_s = _upload_peak(cloud, work)
        finally:
            cloud.terminate()
    ready_empty, ready_filled = statistics.median(empty), statistics.median(filled)
    met = ready_empty < TARGET_READY_S and ready_filled < TARGET_READY_S
    size = fmt_mib(UPLOAD_BYTES)
    return BenchResult(
        NAME,
        TITLE.format(items=f"{ITEMS:,}", size=size),
        f"ready in < {TARGET_READY_S:.0f} s, empty and with {ITEMS:,} media items stored",
        met,
        [
            ("ready, empty data folder", f"{ready_empty:.1f} s ({fmt_runs(empty)})"),
            (f"ready, {ITEMS:,} media items and their objects stored", f"{ready_filled:.1f} s ({fmt_runs(filled)})"),
            (f"peak RSS of the local cloud (all processes) during a {size} upload", fmt_mib(peak)),
            ("RSS of the local cloud before the upload", fmt_mib(before)),
            (f"the {size} upload through UploadClient (init, parts, complete)", f"{upload_s:.1f} s"),
        ],
        [f"filling {ITEMS:,} items and objects took {fill_s:.0f} s (not measured)"],
    )
