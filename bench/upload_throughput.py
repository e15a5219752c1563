"""mediabatch_client.UploadClient against boto3's `upload_file`: a 1 GiB file (or BENCH_UPLOAD_MIB) to the same
local S3 (the local cloud's SeaweedFS and MEDIA_BUCKET) in the same run; the client's peak memory; and
POST /init for the largest file the API accepts.

Method:
- The local cloud (the API in this process, its S3 in SeaweedFS beside it) runs here; every upload
  runs in a fresh process of its own (`python -m bench.upload_throughput --probe KIND FILE`), so the
  uploader's memory is its own and no uploader inherits the
  other's threads or pools. The probe uploads a 1 MiB file first (imports, connections, as a
  warm client), then the measured file; the time is the call alone, inside the probe.
- The client: POST /init, then the server's plan (64 parts of 16 MiB) as presigned part PUTs,
  8 at a time (its default `max_workers`), then POST /complete, which joins the parts and
  registers the media item: the whole flow a user waits for. boto3: `upload_file` with
  `TransferConfig()` defaults (8 MiB parts, 10 threads; botocore's default CRC32 checksums),
  and a second baseline matched to the client (16 MiB parts, 8 threads). Runs interleaved
  (client, boto3 defaults, boto3 matched), medians of 3; between runs the stored objects are
  deleted, the processing the upload started is waited for and the table is reset.
- Memory: peak RSS of the client's whole process (interpreter, requests, the client): the
  kernel's high-water mark VmHWM, reset through /proc/self/clear_refs just before the upload
  (after the warm-up), cross-checked by sampling VmRSS every 10 ms. tracemalloc is not used: it
  sees only Python's allocations (not socket buffers or the allocator's arenas) and slows the
  upload it measures. boto3's process is measured the same way, for scale.
- Init: POST /init over HTTP for one file of MAX_FILE_BYTES (100 GiB: 6,400 chunks, of which the
  answer signs the first 1,000) and for the largest request (5 such files); time (median of 5)
  and the size of the answer, against Lambda's 6 MB response limit.

BENCH_UPLOAD_MIB overrides the 1024 MiB file size for a quick try (the doc records the size).
"""

from __future__ import annotations

import gc
import json
import os
import resource
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from bench.common import (
    API_KEY,
    REPO_ROOT,
    BenchError,
    BenchResult,
    MiB,
    TableReset,
    cloud,
    disk_free,
    fmt_mib,
    fmt_runs,
    median,
    proc_status_kb,
    reset_peak_rss,
    temp_dir,
)
from bench.fingerprint import UPLOAD

NAME = "upload_throughput"
MEASURES = (*UPLOAD, "bench/upload_throughput.py")
TITLE = "UploadClient: {size} upload vs boto3 upload_file; client memory; init for the largest file"
GiB = 1024 * MiB
FILE_BYTES = int(os.environ.get("BENCH_UPLOAD_MIB", "1024")) * MiB
WARMUP_BYTES = 1 * MiB
CLIENT_WORKERS = 8  # UploadClient's default
PLAIN_CHUNK, PLAIN_THREADS = 16 * MiB, 8  # the server's part size, the client's workers
KINDS = ("client", "boto3-default", "boto3-plain")
MIN_RATIO = 1.0
MAX_PEAK_BYTES = 100 * 1000 * 1000  # 100 MB
LAMBDA_RESPONSE_LIMIT = 6 * 1000 * 1000  # 6 MB (AWS: synchronous invocation response payload)
MAX_INIT_ANSWER = LAMBDA_RESPONSE_LIMIT // 4  # "well under": a quarter of the limit for one file
BOTO_PREFIX = "bench-upload/"


# ------------------------------------------------------------------ the probe (its own process)
class _Sampler(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_kb = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            self.peak_kb = max(self.peak_kb, proc_status_kb()["VmRSS"])
            self._halt.wait(0.01)

    def stop(self) -> int:
        self._halt.set()
        self.join()
        return self.peak_kb


def _timed(method: Any, name: str, phases: dict[str, float]) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            phases[name] = phases.get(name, 0.0) + time.perf_counter() - started

    return wrapper


def _time_operation(s3: Any, operation: str, name: str, phases: dict[str, float]) -> None:
    """Time one S3 operation of a boto3 client through botocore's event hooks."""
    started: dict[int, float] = {}

    def before(**_: Any) -> None:
        started[threading.get_ident()] = time.perf_counter()

    def after(**_: Any) -> None:
        t0 = started.pop(threading.get_ident(), None)
        if t0 is not None:
            phases[name] = phases.get(name, 0.0) + time.perf_counter() - t0

    s3.meta.events.register(f"before-call.s3.{operation}", before)
    s3.meta.events.register(f"after-call.s3.{operation}", after)


def _probe(kind: str, path: Path, warmup: Path) -> dict[str, Any]:
    phases: dict[str, float] = {}
    stored: list[str] = []  # media ids (client) or S3 keys (boto3), for the parent to delete
    if kind == "client":
        from mediabatch_client import UploadClient

        client = UploadClient(os.environ["BENCH_API_URL"], API_KEY, max_workers=CLIENT_WORKERS)
        for name in ("init", "complete"):  # wrapped on the instance: where the time goes
            setattr(client, name, _timed(getattr(client, name), name, phases))

        def upload(p: Path) -> None:
            stored.append(client.upload_file(p).media_id)
    else:
        import boto3
        from boto3.s3.transfer import TransferConfig
        from botocore.config import Config

        if kind == "boto3-default":
            botocore_config, config = Config(s3={"addressing_style": "path"}), TransferConfig()
        else:  # what the client sends: no checksums, its part size and concurrency
            botocore_config = Config(s3={"addressing_style": "path"}, request_checksum_calculation="when_required")
            config = TransferConfig(multipart_chunksize=PLAIN_CHUNK, max_concurrency=PLAIN_THREADS)
        # The local cloud's S3 (SeaweedFS), where the client's presigned URLs point too.
        s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL_S3"], config=botocore_config)
        for operation, name in (("CreateMultipartUpload", "init"), ("CompleteMultipartUpload", "complete")):
            _time_operation(s3, operation, name, phases)

        def upload(p: Path) -> None:
            key = f"{BOTO_PREFIX}{kind}/{uuid.uuid4()}/{p.name}"
            s3.upload_file(str(p), os.environ["MEDIA_BUCKET"], key, Config=config)
            stored.append(key)

    upload(warmup)
    if kind == "client":  # the warm-up's processing runs in the cloud's process: let it end first
        _wait_for_processing(stored[0])
    gc.collect()
    phases.clear()
    before = proc_status_kb()["VmRSS"]
    hwm_reset = reset_peak_rss()
    sampler = _Sampler()
    sampler.start()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    upload(path)
    seconds = time.perf_counter() - started
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    sampled = sampler.stop()
    after = proc_status_kb()
    return {
        "kind": kind,
        "seconds": seconds,
        "stored": stored,
        "phases": phases,
        "cpu_s": (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime),
        "rss_before_kb": before,
        "peak_kb": after["VmHWM"] if hwm_reset else max(sampled, after["VmRSS"]),
        "peak_source": "VmHWM after clear_refs" if hwm_reset else "sampled VmRSS every 10 ms",
        "sampled_peak_kb": sampled,
        "threads": threading.active_count(),
    }


# ------------------------------------------------------------------ the benchmark (this process)
def _wait_for_processing(media_id: str, timeout: float = 120.0) -> None:
    """Until the processing an upload started (probe, thumbnail, HLS; it fails fast on random
    bytes) has ended, so that it does not run in the cloud's process during a measurement."""
    import requests

    base_url = os.environ.get("BENCH_API_URL") or cloud().base_url
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        item = requests.get(f"{base_url}/api/v0/media/{media_id}", headers={"X-API-Key": API_KEY}, timeout=60).json()
        if item.get("processing", {}).get("state") not in ("pending", "running"):
            return
        time.sleep(0.2)
    raise BenchError(f"processing of {media_id} still running after {timeout:.0f} s")


def _run_probe(kind: str, path: Path, warmup: Path) -> dict[str, Any]:
    env = {**os.environ, "BENCH_API_URL": cloud().base_url}
    proc = subprocess.run(
        [sys.executable, "-m", "bench.upload_throughput", "--probe", kind, str(path), str(warmup)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith('{"kind"')]
    if proc.returncode != 0 or not lines:
        raise BenchError(f"{kind} probe failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def _clean_up(result: dict[str, Any]) -> None:
    """Delete what a run stored (in the local cloud's S3);
    for the client, first wait for the processing its upload started (it fails fast on random
    bytes) so that it does not run during the next measurement."""
    from mediabatch.settings import get_settings

    s3 = cloud().client("s3")
    bucket = get_settings().media_bucket
    prefixes = [BOTO_PREFIX] if result["kind"] != "client" else []
    for media_id in result["stored"] if result["kind"] == "client" else []:
        _wait_for_processing(media_id)
        prefixes.append(f"tenants/bench/media/{media_id}/")
    for prefix in prefixes:
        keys = [
            o["Key"]
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            for o in page.get("Contents", [])
        ]
        for start in range(0, len(keys), 1000):
            s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys[start : start + 1000]]})


def _init_cost(files: int, repeats: int) -> tuple[list[float], int, int, int]:
    """POST /init for `files` files of MAX_FILE_BYTES: (seconds per call, answer bytes, the answer
    as the body string of the Lambda's response (JSON-escaped), URLs in it)."""
    import requests

    from mediabatch.uploads.plan import MAX_FILE_BYTES

    body = {
        "files": [{"filename": f"largest{i}.mp4", "size": MAX_FILE_BYTES, "type": "video/mp4"} for i in range(files)]
    }
    times: list[float] = []
    size = escaped = urls = 0
    with requests.Session() as http:
        for _ in range(repeats):
            started = time.perf_counter()
            response = http.post(
                f"{cloud().base_url}/api/v1/videos/batch/init", json=body, headers={"X-API-Key": API_KEY}, timeout=300
            )
            times.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise BenchError(f"POST /init answered {response.status_code}: {response.text[:500]}")
            size, escaped = len(response.content), len(json.dumps(response.text))
            urls = sum(len(s["presignedUrls"]) for s in response.json()["data"])
    return times, size, escaped, urls


def _label(n_bytes: int) -> str:
    return f"{n_bytes / GiB:.0f} GiB" if n_bytes >= GiB else f"{n_bytes / MiB:.0f} MiB"


def run(quick: bool = False) -> BenchResult:
    from mediabatch.uploads.plan import MAX_FILE_BYTES, plan_upload
    from tests.support.media import make_sized_file

    rounds = 1 if quick else 3
    cloud()
    reset = TableReset()
    runs: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
    with temp_dir("mediabatch-bench-upload-") as folder:
        need = FILE_BYTES + WARMUP_BYTES + GiB
        if disk_free(folder) < need:
            raise BenchError(f"{folder} has {fmt_mib(disk_free(folder))} free; this benchmark needs {fmt_mib(need)}")
        warmup = make_sized_file(folder / "warmup.mp4", WARMUP_BYTES, seed=11)
        path = make_sized_file(folder / "upload.mp4", FILE_BYTES, seed=12)
        with open(path, "rb") as fh:  # written back to disk now, not during the first upload
            os.fsync(fh.fileno())
        for round_ in range(rounds):
            for kind in KINDS[round_ % len(KINDS) :] + KINDS[: round_ % len(KINDS)]:  # each kind goes first once
                reset()
                result = _run_probe(kind, path, warmup)
                _clean_up(result)
                runs[kind].append(result)
                print(f"  {kind}: {result['seconds']:.2f} s, peak RSS {result['peak_kb'] / 1024:.0f} MiB", flush=True)
    reset()
    init_repeats = 1 if quick else 5
    one_times, one_size, _, one_urls = _init_cost(1, init_repeats)
    five_times, five_size, five_escaped, five_urls = _init_cost(5, init_repeats)
    reset()

    def secs(kind: str) -> list[float]:
        return [float(r["seconds"]) for r in runs[kind]]

    def phase(kind: str, name: str) -> float:
        return median([float(r["phases"].get(name, 0.0)) for r in runs[kind]])

    def transfer(kind: str) -> float:
        """Median of (whole call - create/init - complete): the parts going over the wire."""
        return median(
            [float(r["seconds"]) - r["phases"].get("init", 0.0) - r["phases"].get("complete", 0.0) for r in runs[kind]]
        )

    client_s, default_s, plain_s = (median(secs(k)) for k in KINDS)
    ratio_default, ratio_plain = default_s / client_s, plain_s / client_s
    transfer_default = transfer("boto3-default") / transfer("client")
    transfer_plain = transfer("boto3-plain") / transfer("client")
    peak = max(runs["client"], key=lambda r: r["peak_kb"])
    peak_bytes = peak["peak_kb"] * 1024
    boto_peak = max((r for k in KINDS[1:] for r in runs[k]), key=lambda r: r["peak_kb"])
    plan = plan_upload(FILE_BYTES)
    largest = plan_upload(MAX_FILE_BYTES)
    met = (
        ratio_default >= MIN_RATIO
        and peak_bytes < MAX_PEAK_BYTES
        and one_size < MAX_INIT_ANSWER
        and five_escaped < LAMBDA_RESPONSE_LIMIT
    )

    def row(kind: str, what: str) -> tuple[str, str]:
        cpu = median([float(r["cpu_s"]) for r in runs[kind]])
        return (
            f"{what} ({'1 run' if len(runs[kind]) == 1 else f'median of {len(runs[kind])}'})",
            f"{median(secs(kind)):.2f} s = {FILE_BYTES / MiB / median(secs(kind)):.0f} MiB/s "
            f"(runs: {fmt_runs(secs(kind))}); create / parts / complete {phase(kind, 'init'):.2f} / "
            f"{transfer(kind):.2f} / {phase(kind, 'complete'):.2f} s; {cpu:.1f} s CPU in the uploader's process",
        )

    figures = [
        (
            "Workload",
            f"one {_label(FILE_BYTES)} file (make_sized_file, in a temporary folder, deleted after) to the local "
            f"cloud's S3 (SeaweedFS), each upload in a fresh process after a {_label(WARMUP_BYTES)} warm-up upload; "
            "runs interleaved, the order rotated each round",
        ),
        row(
            "boto3-default",
            "Baseline: boto3 `upload_file`, `TransferConfig()` defaults (8 MiB parts, 10 threads, CRC32 checksums)",
        ),
        row(
            "boto3-plain",
            f"boto3 `upload_file` as the client sends: {PLAIN_CHUNK // MiB} MiB parts, "
            f"{PLAIN_THREADS} threads, no checksums (`request_checksum_calculation=when_required`)",
        ),
        row(
            "client",
            f"UploadClient.upload_file ({CLIENT_WORKERS} workers; POST /init, {plan.total_chunks} presigned "
            f"{_label(plan.chunk_size)} part PUT{'s' if plan.total_chunks != 1 else ''}, POST /complete)",
        ),
        (
            "**Throughput ratio** (boto3 defaults time / client time, whole call)",
            f"**{ratio_default:.2f}x** (target >= {MIN_RATIO:.1f}x); "
            f"against boto3 as the client sends: {ratio_plain:.2f}x",
        ),
        (
            "Transfer-only ratio (the parts, without create and complete)",
            f"{transfer_default:.2f}x against boto3 defaults, {transfer_plain:.2f}x against boto3 as the client sends",
        ),
        (
            "**Client peak RSS** (whole process) / target",
            f"**{peak_bytes / 1e6:.0f} MB** ({peak_bytes / MiB:.0f} MiB; "
            f"{peak_bytes / MAX_PEAK_BYTES:.2f}x of 100 MB); "
            f"RSS before the upload {peak['rss_before_kb'] / 1024:.0f} MiB, delta "
            f"{(peak['peak_kb'] - peak['rss_before_kb']) / 1024:.1f} MiB",
        ),
        (
            "Peak measured by",
            f"{peak['peak_source']} (the client's runs: "
            f"{', '.join(str(r['peak_kb'] // 1024) for r in runs['client'])} MiB); "
            f"10 ms sampling saw {peak['sampled_peak_kb'] / 1024:.0f} MiB",
        ),
        (
            "boto3's process peak RSS, same method, for scale",
            f"{boto_peak['peak_kb'] / 1024:.0f} MiB ({boto_peak['kind']}; delta "
            f"{(boto_peak['peak_kb'] - boto_peak['rss_before_kb']) / 1024:.1f} MiB)",
        ),
        (
            f"**POST /init, one file of {MAX_FILE_BYTES / GiB:.0f} GiB** ({largest.total_chunks} chunks of "
            f"{largest.chunk_size // MiB} MiB)",
            f"**{one_size / 1e6:.2f} MB** answer ({one_urls} URLs, {one_size / max(1, one_urls):.0f} bytes a URL; "
            f"{one_size / LAMBDA_RESPONSE_LIMIT:.2f}x of Lambda's 6 MB); {median(one_times) * 1000:.0f} ms "
            f"(runs: {', '.join(f'{t * 1000:.0f}' for t in one_times)} ms)",
        ),
        (
            f"POST /init, 5 files of {MAX_FILE_BYTES / GiB:.0f} GiB (the largest request)",
            f"{five_size / 1e6:.2f} MB answer, {five_escaped / 1e6:.2f} MB as the Lambda response's JSON-escaped body "
            f"({five_urls} URLs; {five_escaped / LAMBDA_RESPONSE_LIMIT:.2f}x of 6 MB); "
            f"{median(five_times) * 1000:.0f} ms "
            f"(runs: {', '.join(f'{t * 1000:.0f}' for t in five_times)} ms)",
        ),
    ]
    notes = [
        "Memory: the client sends each part from the file block by block (1 MiB reads) while the PUT streams, so "
        "it holds about `max_workers` x 1 MiB besides the interpreter, not `max_workers` x the 16 MiB part size "
        "(8 x 16 MiB alone would be 134 MB); boto3 reads each part into memory.",
        "Complete: SeaweedFS joins the parts by reference, as S3 does (milliseconds for a GiB; moto 5.2.5 "
        "copied the object up to three times in memory). The client's complete also includes the API's own work "
        "(ListParts to reconcile, registering the media item, starting its processing). The transfer-only row "
        "compares what the uploaders themselves do.",
    ]
    if not met:
        notes.append(
            "Target missed: "
            + "; ".join(
                m
                for ok, m in (
                    (ratio_default >= MIN_RATIO, f"throughput {ratio_default:.2f}x < {MIN_RATIO}x"),
                    (peak_bytes < MAX_PEAK_BYTES, f"peak RSS {peak_bytes / 1e6:.0f} MB"),
                    (one_size < MAX_INIT_ANSWER, f"init answer {one_size / 1e6:.2f} MB"),
                    (five_escaped < LAMBDA_RESPONSE_LIMIT, "5-file init over 6 MB"),
                )
                if not ok
            )
            + "."
        )
    target = (
        f"throughput >= {MIN_RATIO:.1f}x boto3 `upload_file` (defaults); client peak RSS < 100 MB; "
        f"init answer for one {MAX_FILE_BYTES / GiB:.0f} GiB file < {MAX_INIT_ANSWER / 1e6:.1f} MB "
        "(a quarter of 6 MB) and for 5 such files < 6 MB"
    )
    return BenchResult(NAME, TITLE.format(size=_label(FILE_BYTES)), target, met, figures, notes)


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description="one upload in this process (used by the benchmark)")
    parser.add_argument("--probe", choices=KINDS, required=True)
    parser.add_argument("file", type=Path)
    parser.add_argument("warmup", type=Path)
    args = parser.parse_args()
    print(json.dumps(_probe(args.probe, args.file, args.warmup)), flush=True)


if __name__ == "__main__":
    main()
