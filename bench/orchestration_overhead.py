"""What the system adds per job, API to terminal state, on files so small that downloading them
costs next to nothing: 50 jobs, concurrent_limit 10. Two figures, because the batch runs ten jobs
at a time (five rounds of ten):

- throughput cost per job = (batch wall - pure download wall) / 50 jobs: what each job adds to
  the batch's wall time, ten jobs sharing it; the target (<= 30 ms a job) is checked against
  this one, as it was before the latency was shown beside it.
- latency added per job = (batch wall - pure download wall) / 5 rounds: how much longer each job
  takes than its download alone. Both runs keep ten jobs in flight, so each of the ten slots
  runs five jobs back to back in both; the difference per slot, split over its five jobs, is
  what orchestration adds to every one of them (50 jobs / 5 rounds = ten times the throughput
  cost). The phase tracer's function wall minus download is shown beside it: the part spent
  inside the job's own function (the rest is the API, Step Functions dispatch, events,
  finalisation, polling).

The pure download time is measured in the same run by the product's own downloader
(mediabatch YtDlpDownloader, the exact code a job runs) called directly, 10 threads at a time
like the batch, in this process; so what remains is orchestration: API, Step Functions, the
job's DynamoDB writes, the S3 upload, events, finalisation, polling. A plain urllib fetch of the
same files is given too, for scale.
"""

from __future__ import annotations

import math
import shutil
import tempfile
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.common import (
    POLL_INTERVAL_S,
    Api,
    BenchResult,
    MediaServerProcess,
    TableReset,
    cloud,
    cloud_cpu_seconds,
    fmt_runs,
    fmt_s,
    how_many,
    median,
    size_label,
    work_dir,
)
from bench.fingerprint import DOWNLOAD_BATCH
from bench.tracing import PhaseTracer

NAME = "orchestration_overhead"
MEASURES = (*DOWNLOAD_BATCH, "bench/orchestration_overhead.py")
TITLE = "Per-job orchestration overhead (API to terminal state)"
JOBS = 50
FILE_BYTES = 16 * 1024
CONCURRENT_LIMIT = 10
ROUNDS = math.ceil(JOBS / CONCURRENT_LIMIT)  # jobs each of the concurrent slots runs back to back
TARGET_MS = 30.0


def _pure_ytdlp(urls: list[str], scratch: Path) -> float:
    """The 50 downloads alone, through the product's downloader, 10 at a time."""
    from mediabatch import container
    from mediabatch.adapters.ytdlp.downloader import YtDlpDownloader
    from mediabatch.downloads.models import DownloadSpec

    downloader = YtDlpDownloader(container.url_policy())

    def one(url: str) -> int:
        target = Path(tempfile.mkdtemp(dir=scratch))
        try:
            result = downloader.download(DownloadSpec(url=url), target, lambda p: None, time.monotonic() + 120)
            return result.path.stat().st_size
        finally:
            shutil.rmtree(target, ignore_errors=True)

    return _timed_in_parallel(one, urls, "pure download")


def _timed_in_parallel(fetch: Callable[[str], int], urls: list[str], label: str) -> float:
    """Seconds to fetch every URL, CONCURRENT_LIMIT at a time; every file must arrive whole."""
    started = time.monotonic()
    with ThreadPoolExecutor(CONCURRENT_LIMIT) as pool:
        sizes = list(pool.map(fetch, urls))
    elapsed = time.monotonic() - started
    if sizes != [FILE_BYTES] * len(urls):
        raise RuntimeError(f"{label} got sizes {set(sizes)}")
    return elapsed


def _pure_urllib(urls: list[str]) -> float:
    def one(url: str) -> int:
        with urllib.request.urlopen(url, timeout=30) as response:
            return len(response.read())

    return _timed_in_parallel(one, urls, "urllib")


def run(quick: bool = False) -> BenchResult:
    from tests.support.media import make_sized_file

    repeats = 1 if quick else 3
    root = work_dir("overhead-media")
    scratch = work_dir("overhead-pure")
    names = [f"tiny{i:02d}.mp4" for i in range(JOBS)]
    for i, name in enumerate(names):
        make_sized_file(root / name, FILE_BYTES, seed=1000 + i)
    api = Api(cloud().base_url)
    reset = TableReset()
    tracer = PhaseTracer()
    with MediaServerProcess(root) as server, tracer.installed():
        urls = [server.url(n) for n in names]
        # Warm-up, not measured: a job per slot, so every worker the batch uses has started.
        for function in ("RunDownloadJobFunction", "MediaProcessingFunction"):
            cloud().prewarm(function, CONCURRENT_LIMIT)
        api.run_batch(urls[:CONCURRENT_LIMIT], CONCURRENT_LIMIT)
        _pure_ytdlp(urls[:3], scratch)

        batch, pure, plain, cpu_per_job, items = [], [], [], [], []
        tracer.clear()
        for _ in range(repeats):  # interleaved, so drift hits both alike
            pure.append(_pure_ytdlp(urls, scratch))
            plain.append(_pure_urllib(urls))
            reset()
            items.append(TableReset.items())
            cpu0 = cloud_cpu_seconds()
            batch.append(api.run_batch(urls, CONCURRENT_LIMIT))
            cpu_per_job.append((cloud_cpu_seconds() - cpu0) / JOBS)
        phases = tracer.summary()
        calls = tracer.aws_calls_per_job()
    shutil.rmtree(root, ignore_errors=True)
    shutil.rmtree(scratch, ignore_errors=True)

    per_job = [(b - p) / JOBS * 1000 for b, p in zip(batch, pure, strict=True)]
    latency = [(b - p) / ROUNDS * 1000 for b, p in zip(batch, pure, strict=True)]
    ms = median(per_job)
    ratio = ms / TARGET_MS
    met = ms <= TARGET_MS
    ms_urllib = (median(batch) - median(plain)) / JOBS * 1000
    n = how_many(batch)
    figures = [
        (
            "Workload",
            f"{JOBS} jobs of a {size_label(FILE_BYTES)} file (unthrottled), concurrent_limit "
            f"{CONCURRENT_LIMIT} ({ROUNDS} rounds); client polls every {POLL_INTERVAL_S:.1f} s "
            f"(a resolution of +-{POLL_INTERVAL_S / JOBS * 1000:.0f} ms on the throughput cost, "
            f"+-{POLL_INTERVAL_S / ROUNDS * 1000:.0f} ms on the latency)",
        ),
        (
            f"Baseline: pure download, product downloader in-process, {CONCURRENT_LIMIT} threads ({how_many(pure)})",
            f"{fmt_s(median(pure))} (runs: {fmt_runs(pure)}) = {median(pure) / JOBS * 1000:.0f} ms a file",
        ),
        (
            f"Reference: plain urllib GET of the same files, {CONCURRENT_LIMIT} threads ({how_many(plain)})",
            f"{fmt_s(median(plain))} (runs: {fmt_runs(plain)})",
        ),
        (
            f"Batch of {JOBS} through the API, POST to terminal ({n})",
            f"{fmt_s(median(batch))} (runs: {fmt_runs(batch)})",
        ),
        (
            f"**Throughput cost per job** (batch wall - pure download wall) / {JOBS} jobs ({n})",
            f"**{ms:.0f} ms** (runs: {', '.join(f'{v:.0f}' for v in per_job)} ms)",
        ),
        (f"**Ratio to target** (throughput cost / {TARGET_MS:.0f} ms)", f"**{ratio:.2f}x**"),
        (
            f"**Latency added per job** (batch wall - pure download wall) / {ROUNDS} rounds of "
            f"{CONCURRENT_LIMIT} ({n})",
            f"**{median(latency):.0f} ms** (runs: {', '.join(f'{v:.0f}' for v in latency)} ms)",
        ),
        ("Throughput cost per job against the urllib reference instead", f"{ms_urllib:.0f} ms"),
    ]
    if phases:
        figures.append(
            (
                "Of the latency, inside the job's function: function wall - its download (median over jobs)",
                f"{(phases['wall'] - phases['download']) * 1000:.0f} ms (upload + the rest of the function; "
                "the API, Step Functions dispatch, events, finalisation and polling make up the remainder)",
            )
        )
        figures.append(
            (
                "Per job in the batch (median over jobs): download / upload / rest of the function (wall)",
                f"{phases['download'] * 1000:.0f} / {phases['upload'] * 1000:.0f} / {phases['other'] * 1000:.0f} ms; "
                f"CPU of the job's thread {phases['cpu'] * 1000:.0f} ms",
            )
        )
    if calls:
        figures.append(
            (
                "Emulated AWS calls in each job (the function's own thread; the S3 upload adds its own)",
                f"{sum(calls.values()):.1f}: "
                + ", ".join(f"{op} {n:.1f}" for op, n in calls.items())
                + f"; {phases['aws'] * 1000:.0f} ms of the job's wall time is spent waiting on them (median over jobs)",
            )
        )
    figures.append(
        (
            f"Process CPU per job during the batch (the cloud's process and the functions' workers) ({n})",
            f"{median(cpu_per_job) * 1000:.0f} ms (runs: {', '.join(f'{c * 1000:.0f}' for c in cpu_per_job)} ms)",
        )
    )
    figures.append(
        (
            "DynamoDB items in the table when each batch started (reset between runs, see Method)",
            ", ".join(str(n) for n in items),
        )
    )
    notes = []
    if not met:
        notes.append(
            f"Target missed: a throughput cost of {ms:.0f} ms a job against {TARGET_MS:.0f} ms. See the analysis "
            "below the generated section."
        )
    notes.append(
        f"Throughput cost and latency are two views of the same difference: the batch keeps {CONCURRENT_LIMIT} "
        f"jobs in flight, so its extra wall time divided by all {JOBS} jobs is what each job costs the batch, "
        f"while divided by the {ROUNDS} jobs each slot runs back to back it is how much longer each job takes "
        "than its download alone."
    )
    return BenchResult(
        NAME,
        TITLE,
        f"<= {TARGET_MS:.0f} ms a job (throughput cost: batch wall - pure download, / jobs)",
        met,
        figures,
        notes,
    )
