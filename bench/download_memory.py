"""Peak memory of one download job must not grow with the file's size: a 10 MiB file against a
1 GiB one (or BENCH_MEMORY_LARGE_MIB), each job run by RunDownloadJobFunction's handler in a
process of its own (bench/_job_probe.py) while the local cloud runs in this process (its S3 is
SeaweedFS and its DynamoDB is DynamoDB Local, processes of their own).

Why two processes: the local cloud runs moto, the API and every function in one Python process,
so measured there the job's RSS would include all of that, which on AWS is not in the Lambda.
The job's process holds exactly what a Lambda sandbox would: the runtime, the handler,
yt-dlp and boto3. Its peak RSS is read from the kernel's high-water mark (VmHWM, reset just
before the job through /proc/self/clear_refs) and cross-checked by sampling VmRSS every 10 ms;
the figure "delta" is peak minus the RSS just before the job, after a warm-up job.

Target (the issue): the 1 GiB job stays under 256 MiB RSS (the whole process, as Lambda counts).
BENCH_MEMORY_LARGE_MIB overrides the large size for a quick try (titles and labels name the size
used). MemorySize and Timeout of RunDownloadJobFunction are read from template.yaml.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import threading
from functools import lru_cache
from typing import Any

from bench.common import (
    REPO_ROOT,
    WORK_ROOT,
    BenchError,
    BenchResult,
    MediaServerProcess,
    MiB,
    cloud,
    disk_free,
    fmt_mib,
    proc_status_kb,
    size_label,
    temp_dir,
)
from bench.fingerprint import DOWNLOAD_JOB

NAME = "download_memory"
MEASURES = (*DOWNLOAD_JOB, "bench/download_memory.py", "bench/_job_probe.py")
GiB = 1024 * MiB
SMALL_BYTES = 10 * MiB
MID_BYTES = 128 * MiB  # above the 16 MiB multipart threshold: where the plateau starts
LARGE_BYTES = int(os.environ.get("BENCH_MEMORY_LARGE_MIB", "1024")) * MiB
TINY_BYTES = 16 * 1024
TITLE = f"Peak RSS of one download job: {size_label(SMALL_BYTES)} vs {size_label(LARGE_BYTES)}"
TARGET_MIB = 256
FUNCTION = "RunDownloadJobFunction"
HEADROOM = 1.5  # ffmpeg merges of real video+audio, runtime differences, fragmentation
LAMBDA_MB_PER_VCPU = 1769  # AWS: a function gets one vCPU's worth of CPU at 1769 MB, proportionally less below


@lru_cache(maxsize=1)
def function_properties() -> dict[str, Any]:
    """RunDownloadJobFunction's properties in template.yaml, with SAM's Globals applied (a
    MemorySize or Timeout the function does not set comes from Globals.Function)."""
    from localcloud.template import load_template, merge_globals

    return dict(merge_globals(load_template(REPO_ROOT / "template.yaml"))[FUNCTION]["Properties"])


def template_memory_mb() -> int:
    return int(function_properties()["MemorySize"])


def lambda_budget_s() -> int:
    """What a job may run: the function's Timeout less the margin the job keeps to record its end."""
    from mediabatch.settings import Settings

    margin = Settings.model_fields["lambda_safety_margin_seconds"].default
    return int(function_properties()["Timeout"]) - int(margin)


class _RssWatcher(threading.Thread):
    """Peak RSS of this process (the local cloud's Python process) while a job runs elsewhere."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.start_kb = proc_status_kb()["VmRSS"]
        self.peak_kb = self.start_kb
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            self.peak_kb = max(self.peak_kb, proc_status_kb()["VmRSS"])
            self._halt.wait(0.05)

    def stop(self) -> int:
        self._halt.set()
        self.join()
        return self.peak_kb - self.start_kb


def _probe(warmup_url: str, url: str) -> tuple[dict[str, Any], int]:
    watcher = _RssWatcher()
    watcher.start()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "bench._job_probe", warmup_url, url, "--memory-mb", str(template_memory_mb())],
            cwd=REPO_ROOT,
            env=dict(os.environ),
            capture_output=True,
            text=True,
            timeout=900,
        )
    finally:
        cloud_growth_kb = watcher.stop()
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith('{"status"')]
    if proc.returncode != 0 or not lines:
        raise BenchError(f"job probe failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    if result["status"] != "completed":
        raise BenchError(f"job for {url} ended {result['status']}: {result['error']}")
    return result, cloud_growth_kb


def _delete_objects(keys: list[str]) -> None:
    """Free the local S3's copies of the files (disk space for the next size)."""
    from mediabatch.settings import get_settings

    s3 = cloud().client("s3")
    for key in keys:
        s3.delete_object(Bucket=get_settings().media_bucket, Key=key)


def run(quick: bool = False) -> BenchResult:
    from tests.support.media import make_media, make_sized_file

    cloud()
    sizes = {"small": SMALL_BYTES, "mid": MID_BYTES, "large": LARGE_BYTES}
    need = 4 * LARGE_BYTES + GiB  # source + the job's /tmp copy + the local S3's parts and object
    results: dict[str, dict[str, Any]] = {}
    cloud_growth: dict[str, int] = {}
    with temp_dir("mediabatch-bench-memory-") as media:
        for where in (media, WORK_ROOT):
            if disk_free(where) < need:
                raise BenchError(f"{where} has {fmt_mib(disk_free(where))} free; this benchmark needs {fmt_mib(need)}")
        make_sized_file(media / "tiny.mp4", TINY_BYTES, seed=1)
        make_media(media / "real")  # ffmpeg-made clips and an HLS stream
        with MediaServerProcess(media) as server:
            # An HLS stream: yt-dlp fetches the segments and runs ffmpeg (a child process, which
            # a Lambda's memory counts too) to fix the MPEG-TS container up into mp4.
            results["hls"], cloud_growth["hls"] = _probe(server.url("tiny.mp4"), server.url("real/hls/index.m3u8"))
            _delete_objects([results["hls"]["s3_key"], results["hls"]["warmup_s3_key"]])
            for i, (name, size) in enumerate(sizes.items()):
                path = make_sized_file(media / f"{name}.mp4", size, seed=2 + i)
                try:
                    res, cloud_growth[name] = _probe(server.url("tiny.mp4"), server.url(path.name))
                    _delete_objects([res["s3_key"], res["warmup_s3_key"]])
                finally:
                    path.unlink()
                if res["size_bytes"] != size:
                    raise BenchError(f"stored {res['size_bytes']} bytes of {name}.mp4, expected {size}")
                results[name] = res
        hls = results.pop("hls")

    def delta(name: str) -> float:
        return float(results[name]["peak_kb"] - results[name]["rss_before_kb"]) / 1024

    large = results["large"]
    peak_large = large["peak_kb"] / 1024
    growth = delta("large") / delta("small") if delta("small") > 0 else math.inf
    met = peak_large < TARGET_MIB
    children = max(r["children_peak_kb"] for r in (*results.values(), hls)) / 1024
    memory_need = (peak_large + children) * HEADROOM
    recommended = max(256, math.ceil(memory_need / 128) * 128)
    cpu_per_gib = large["cpu_s"] / (LARGE_BYTES / GiB)
    budget = lambda_budget_s()
    small, mid, big = (size_label(n) for n in (SMALL_BYTES, MID_BYTES, LARGE_BYTES))

    def at(memory_mb: int) -> str:
        per_gib = cpu_per_gib * LAMBDA_MB_PER_VCPU / memory_mb
        return f"{memory_mb} MB: ~{per_gib:.0f} s/GiB, ~{budget / per_gib:.0f} GiB in {budget} s"

    def row(name: str) -> tuple[str, str]:
        r = results[name]
        return (
            f"{size_label(sizes[name])} job: RSS before / peak / delta",
            f"{r['rss_before_kb'] / 1024:.0f} / {r['peak_kb'] / 1024:.0f} / **{delta(name):.1f} MiB** "
            f"({r['seconds']:.1f} s wall, {r['cpu_s']:.1f} s CPU; download {r['download_s']:.1f} s, "
            f"upload to the local S3 {r['upload_s']:.1f} s)",
        )

    small_row, mid_row, large_row = row("small"), row("mid"), row("large")
    figures = [
        (
            "Workload",
            "a one-URL job per file (made by make_sized_file in a temporary folder, served unthrottled by "
            "MediaServer in its own process); each job in a fresh process, after a warm-up job",
        ),
        ("Baseline: " + small_row[0], small_row[1]),
        mid_row,
        large_row,
        (
            f"**Growth ratio** ({big} delta / {small} delta)",
            f"**{growth:.2f}x** for a {LARGE_BYTES / SMALL_BYTES:.0f}x larger file; {big} delta / {mid} delta = "
            f"{delta('large') / delta('mid'):.2f}x ({small} is below the 16 MiB multipart threshold, so its upload "
            f"keeps no part buffers)",
        ),
        (
            f"**Peak RSS of the {big} job / target**",
            f"**{peak_large / TARGET_MIB:.2f}x** ({peak_large:.0f} of {TARGET_MIB} MiB)",
        ),
        ("Peak measured by", f"{large['peak_source']}; 10 ms sampling saw {large['sampled_peak_kb'] / 1024:.0f} MiB"),
        (
            "HLS job (3 s stream; yt-dlp runs ffmpeg to fix the container up)",
            f"job process peak {hls['peak_kb'] / 1024:.0f} MiB "
            f"(delta {(hls['peak_kb'] - hls['rss_before_kb']) / 1024:.1f} MiB); "
            f"{hls['children']} child process(es) (ffmpeg), peak {hls['children_peak_kb'] / 1024:.0f} MiB "
            f"(sampled every 10 ms); process + children peak {hls['total_peak_kb'] / 1024:.0f} MiB",
        ),
        (
            f"Local cloud's Python process RSS growth during the {big} job, for scale",
            f"{cloud_growth['large'] / 1024:.0f} MiB (S3 itself is SeaweedFS, a process of its own, not counted here; "
            "on AWS neither is in the Lambda)",
        ),
        (
            "CPU of the job per GiB, and what it means on Lambda (1 vCPU at 1769 MB)",
            f"{cpu_per_gib:.1f} CPU-s/GiB here; estimated "
            + "; ".join(at(m) for m in sorted({256, 512, 1024, template_memory_mb()})),
        ),
        (
            f"Memory-based MemorySize for {FUNCTION}",
            f"{recommended} MB ({big} job peak + ffmpeg child peak = {peak_large + children:.0f} MiB, x {HEADROOM} "
            "headroom, rounded up to 128 MB; "
            f"template.yaml: {template_memory_mb()} MB)",
        ),
    ]
    notes = []
    if not met:
        notes.append(f"Target missed: the {big} job peaked at {peak_large:.0f} MiB RSS.")
    return BenchResult(
        NAME,
        TITLE,
        f"the {size_label(LARGE_BYTES)} job stays under {TARGET_MIB} MiB RSS (whole process)",
        met,
        figures,
        notes,
    )
