"""The local cloud's process model: many clients of the API while a batch runs, with functions in
warm worker processes (as Lambda's execution environments) against the single-process design
(`--workers inline`: every handler in the cloud's process, one GIL, the API one request at a
time), both in the same run; plus what a worker costs: its cold start and a warm invoke.

- Load: CLIENTS threads (200; `--quick` 50), each with its own keep-alive connection, poll
  `GET /api/v1/batch/{id}` back to back for SECONDS (30; `--quick` 10) while a batch of
  throttled downloads runs. Each cloud is `python -m localcloud` in a child process, on a fresh
  data folder. The same load runs unmeasured first (half as long, at least 10 s), so the API's
  workers have started: their cold start is a figure of its own. Figures: requests answered,
  errors (anything but 200, or no answer), throughput, p50/p99 latency.
- Worker costs, in this process's own local cloud (worker mode): cold start = a new worker of
  the function, from spawn to its handler imported and ready; warm invoke = the API's health
  route through a warm worker, against the same call to the handler in this process.

Environment: BENCH_WORKERS_CLIENTS, BENCH_WORKERS_SECONDS override the load.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from bench.common import (
    REPO_ROOT,
    Api,
    BenchError,
    BenchResult,
    MediaServerProcess,
    cloud,
    fmt_s,
    median,
    size_label,
    work_dir,
)
from bench.fingerprint import LOCAL_CLOUD

NAME = "local_cloud_workers"
# What the load runs through: the local cloud, the API function (GET a batch) and the batch
# download it polls (the domain and its adapters).
MEASURES = (
    *LOCAL_CLOUD,
    "functions/api/**/*.py",
    "layers/shared/mediabatch/downloads/**",
    "layers/shared/mediabatch/adapters/**",
    "bench/local_cloud_workers.py",
)
TITLE = "Local cloud: functions in worker processes vs one process"
KEY = "bench-key-0123456789"
FILES = 20
FILE_BYTES = 1 * 2**20
THROTTLE_BPS = 64 * 1024  # each file takes ~16 s: the batch runs through the whole load
CONCURRENT_LIMIT = 10
COLD_STARTS = 3
WARM_INVOKES = 200


@dataclass
class Load:
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)

    @property
    def answered(self) -> int:
        return len(self.latencies)

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else float("nan")


class CloudProcess:
    """`python -m localcloud` in a child process on a fresh data folder."""

    def __init__(self, workers: str, data_dir: Path) -> None:
        self.workers = workers
        self.data_dir = data_dir
        self.proc: subprocess.Popen[str] | None = None
        self.base_url = ""

    def __enter__(self) -> CloudProcess:
        inherited = ("PATH", "HOME", "LANG", "TMPDIR")
        env = {k: v for k, v in os.environ.items() if k in inherited} | {
            "PYTHONPATH": str(REPO_ROOT),
            "MEDIABATCH_API_KEYS": f"bench:{KEY}",
        }
        argv = [sys.executable, "-m", "localcloud", "--port", "0", "--data-dir", str(self.data_dir)]
        argv += ["--workers", self.workers, "--parameter-overrides", "UrlAllowlist=127.0.0.1 LogLevel=ERROR"]
        self.proc = subprocess.Popen(
            argv, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        assert self.proc.stdout is not None
        lines: queue.Queue[str | None] = queue.Queue()
        stdout = self.proc.stdout
        threading.Thread(target=_forward, args=(stdout, lines), daemon=True).start()
        seen: list[str] = []
        deadline = time.monotonic() + 120
        while not seen or seen[-1].strip() != "ready":
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                line = None
            if line is None:
                self.__exit__()
                raise BenchError(f"local cloud ({self.workers}) did not start:\n" + "".join(seen[-30:]))
            seen.append(line)
            if line.startswith("mediabatch API:"):
                self.base_url = line.split()[-1]
        threading.Thread(target=lambda: [*iter(lines.get, None)], daemon=True).start()  # keep draining
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.data_dir, ignore_errors=True)


def _forward(stream: Any, lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def _poll(url: str, stop: threading.Event, load: Load, lock: threading.Lock) -> None:
    session = requests.Session()
    session.headers["X-API-Key"] = KEY
    latencies: list[float] = []
    errors: list[str] = []
    while not stop.is_set():
        started = time.monotonic()
        try:
            response = session.get(url, timeout=60)
            ok = response.status_code == 200
            detail = f"{response.status_code}: {response.text[:120]}"
        except requests.RequestException as exc:
            ok, detail = False, type(exc).__name__
        if ok:
            latencies.append(time.monotonic() - started)
        else:
            errors.append(detail)
    with lock:
        load.latencies.extend(latencies)
        load.errors += len(errors)
        load.error_samples.extend(errors[: 3 - len(load.error_samples)] if len(load.error_samples) < 3 else [])


def _load_one(workers: str, media: MediaServerProcess, clients: int, seconds: float) -> Load:
    with CloudProcess(workers, work_dir(f"workers-cloud-{workers}")) as local:
        api = Api(local.base_url, KEY)
        batch_id = api.create([media.url(f"f{i:02d}.mp4") for i in range(FILES)], CONCURRENT_LIMIT)
        url = f"{local.base_url}/api/v1/batch/{batch_id}"
        # The same load, unmeasured, first: the API's workers start (cold starts are their own figure).
        _load(url, clients, max(10.0, seconds / 2))
        return _load(url, clients, seconds)


def _load(url: str, clients: int, seconds: float) -> Load:
    load = Load(seconds)
    stop, lock = threading.Event(), threading.Lock()
    threads = [threading.Thread(target=_poll, args=(url, stop, load, lock), daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=120)
    return load


def _worker_costs() -> dict[str, Any]:
    """Cold start of a worker (two functions) and a warm invoke through a worker vs in-process."""
    from localcloud.workers import Worker

    local = cloud()
    if local.workers != "process":
        raise BenchError("the worker costs need the worker mode (unset MEDIABATCH_LOCAL_WORKERS)")
    out: dict[str, Any] = {}
    for logical_id in ("ApiFunction", "RunDownloadJobFunction"):
        pool = local.function(logical_id).pool
        starts = []
        for _ in range(COLD_STARTS):
            t0 = time.monotonic()
            worker = Worker(pool.spec)
            if worker.wait_ready() is not None:
                raise BenchError(f"a worker of {logical_id} did not start")
            starts.append(time.monotonic() - t0)
            worker.kill()
        out[logical_id] = starts
    api = local.function("ApiFunction")
    event = json.loads((REPO_ROOT / "events" / "ApiFunction.json").read_text())
    for _ in range(10):
        api.invoke(event), api.invoke_here(event)
    out["warm"] = [_timed(api.invoke, event) for _ in range(WARM_INVOKES)]
    out["here"] = [_timed(api.invoke_here, event) for _ in range(WARM_INVOKES)]
    return out


def _timed(call: Any, event: Any) -> float:
    t0 = time.monotonic()
    call(event)
    return time.monotonic() - t0


def _load_row(label: str, load: Load) -> tuple[str, str]:
    rate = load.answered / load.seconds
    text = (
        f"{load.answered} answered, **{load.errors} errors**, **{rate:.0f} req/s**, "
        f"p50 {load.percentile(50) * 1000:.0f} ms, p99 {load.percentile(99) * 1000:.0f} ms"
    )
    if load.error_samples:
        text += f" (e.g. {load.error_samples[0]})"
    return label, text


def run(quick: bool = False) -> BenchResult:
    from tests.support.media import make_sized_file

    clients = int(os.environ.get("BENCH_WORKERS_CLIENTS", "50" if quick else "200"))
    seconds = float(os.environ.get("BENCH_WORKERS_SECONDS", "10" if quick else "30"))
    root = work_dir("workers-media")
    for i in range(FILES):
        make_sized_file(root / f"f{i:02d}.mp4", FILE_BYTES, seed=2000 + i)
    with MediaServerProcess(root, throttle_bps=THROTTLE_BPS) as media:
        loads = {mode: _load_one(mode, media, clients, seconds) for mode in ("process", "inline")}
    shutil.rmtree(root, ignore_errors=True)
    costs = _worker_costs()
    workers, inline = loads["process"], loads["inline"]
    speedup = (workers.answered / max(1, inline.answered)) if inline.answered else float("inf")
    warm_ms, here_ms = median(costs["warm"]) * 1000, median(costs["here"]) * 1000
    figures = [
        (
            "Load",
            f"{clients} clients polling GET /api/v1/batch/{{id}} back to back for {seconds:.0f} s while a batch of "
            f"{FILES} files x {size_label(FILE_BYTES)} (throttled to {size_label(THROTTLE_BPS)}/s, concurrent_limit "
            f"{CONCURRENT_LIMIT}) runs",
        ),
        _load_row("**Worker processes** (default)", workers),
        _load_row("Baseline: one process (`--workers inline`)", inline),
        ("Throughput, workers / one process", f"**{speedup:.2f}x**"),
        (
            f"Worker cold start, spawn to handler ready ({COLD_STARTS} runs each)",
            "; ".join(
                f"{lid} {fmt_s(median(costs[lid]))} (runs: {', '.join(f'{v:.2f}' for v in costs[lid])} s)"
                for lid in ("ApiFunction", "RunDownloadJobFunction")
            ),
        ),
        (
            f"Warm invoke, API health route (median of {WARM_INVOKES})",
            f"through a worker {warm_ms:.1f} ms; the handler in this process {here_ms:.1f} ms; "
            f"the worker's round trip adds {warm_ms - here_ms:.1f} ms",
        ),
    ]
    met = workers.errors == 0 and workers.answered >= inline.answered
    notes = [
        "Both clouds are `python -m localcloud` on fresh data folders, measured one after the other against the "
        "same media server; the clients run as threads of the benchmark's own process (on a small machine they "
        "share its CPUs with the cloud under test)."
    ]
    return BenchResult(NAME, TITLE, "0 errors; workers serve at least the one-process design", met, figures, notes)
