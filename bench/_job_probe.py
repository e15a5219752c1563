"""`python -m bench._job_probe WARMUP_URL URL`: one download job through RunDownloadJobFunction's
own handler (functions/download_job/app.py), in a process of its own, the way a Lambda sandbox
runs it; prints one JSON line with the memory the job took.

The environment (table, bucket, endpoint of the emulated AWS, URL allowlist) is inherited from
the bench process that runs the local cloud. The batch is created with the product's
BatchDownloadService and an orchestrator that starts nothing, so no other process runs the job.
The process runs a warm-up job first (lazy imports, clients, yt-dlp's extractor tables, as in a
warm Lambda), then resets the kernel's peak-RSS mark (/proc/self/clear_refs) and runs the job.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
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

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "layers" / "shared"))
TENANT = "bench"


# Deliberately self-contained (no `bench.common`, which imports the local cloud): this process
# measures its own memory, and every import counts.
def status_kb() -> dict[str, int]:
    out: dict[str, int] = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, val = line.split(":", 1)
                out[key] = int(val.split()[0])
    return out


def reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False if the kernel refused."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        return False
    s = status_kb()
    return s["VmHWM"] <= s["VmRSS"] + 1024


class Context:
    """What the handler (and Powertools) read from a Lambda context."""

    def __init__(self, memory_mb: int) -> None:
        self.function_name = "bench-RunDownloadJobFunction"
        self.memory_limit_in_mb = memory_mb
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"
        self.aws_request_id = str(uuid.uuid4())
        self._deadline = time.monotonic() + 900

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def rss_of(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


CHILD_PIDS: set[int] = set()
_popen_init = subprocess.Popen.__init__


def _recording_popen_init(self: subprocess.Popen[Any], *args: Any, **kwargs: Any) -> None:
    """Remember every child (yt-dlp's ffmpeg/ffprobe): a Lambda counts their memory too.
    (ru_maxrss of RUSAGE_CHILDREN cannot tell: it includes the parent's RSS at fork time.)"""
    _popen_init(self, *args, **kwargs)
    CHILD_PIDS.add(self.pid)


subprocess.Popen.__init__ = _recording_popen_init  # type: ignore[method-assign]


class Sampler(threading.Thread):
    """Reads VmRSS of this process and of its live children every few ms: a cross-check of the
    kernel's peak mark, and the only view of the children's memory."""

    def __init__(self, interval: float = 0.01) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.peak_kb = 0
        self.children_peak_kb = 0
        self.total_peak_kb = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            own = status_kb()["VmRSS"]
            children = sum(rss_of(pid) for pid in list(CHILD_PIDS))
            self.peak_kb = max(self.peak_kb, own)
            self.children_peak_kb = max(self.children_peak_kb, children)
            self.total_peak_kb = max(self.total_peak_kb, own + children)
            self._stop_event.wait(self.interval)

    def stop(self) -> int:
        self._stop_event.set()
        self.join()
        return self.peak_kb


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("warmup_url")
    parser.add_argument("url")
    parser.add_argument("--memory-mb", type=int, default=512)
    args = parser.parse_args()

    spec = importlib.util.spec_from_file_location("download_job_app", REPO / "functions" / "download_job" / "app.py")
    assert spec and spec.loader
    app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)

    from mediabatch import container
    from mediabatch.adapters.s3.media_bucket import MediaBucket
    from mediabatch.adapters.ytdlp.downloader import YtDlpDownloader
    from mediabatch.downloads.models import BatchDownloadRequest
    from mediabatch.downloads.service import BatchDownloadService, job_id_for

    class NotStarted:
        def start(self, **_: Any) -> None:
            pass

    phases: dict[str, float] = {}

    def timed(owner: Any, attr: str) -> None:
        original = getattr(owner, attr)

        def wrapper(obj: Any, *a: Any, **k: Any) -> Any:
            t0 = time.monotonic()
            try:
                return original(obj, *a, **k)
            finally:
                phases[attr] = phases.get(attr, 0.0) + time.monotonic() - t0

        setattr(owner, attr, wrapper)

    timed(YtDlpDownloader, "download")
    timed(MediaBucket, "upload_file")
    store = container.batch_table()
    service = BatchDownloadService(
        store,
        NotStarted(),  # type: ignore[arg-type]
        container.batch_finalizer(),
        container.media_bucket(),
        container.url_policy(),
    )

    def run_job(url: str) -> dict[str, Any]:
        batch = service.create(TENANT, BatchDownloadRequest(urls=[url], concurrent_limit=1))
        task = {"tenant_id": TENANT, "batch_id": batch.batch_id, "job_id": job_id_for(batch.batch_id, 0)}
        result = app.lambda_handler(task, Context(args.memory_mb))
        job = store.get_job(TENANT, batch.batch_id, 0)
        assert job is not None
        return {
            "status": result["status"],
            "error": result.get("error"),
            "size_bytes": job.file_info.size_bytes if job.file_info else None,
            "s3_key": job.file_info.s3_key if job.file_info else None,
            "batch_id": batch.batch_id,
        }

    warm = run_job(args.warmup_url)
    if warm["status"] != "completed":
        raise SystemExit(f"warm-up job {warm['status']}: {warm['error']}")
    gc.collect()
    phases.clear()
    CHILD_PIDS.clear()
    before = status_kb()["VmRSS"]
    hwm_reset = reset_peak()
    sampler = Sampler()
    sampler.start()
    t0 = time.monotonic()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    job = run_job(args.url)
    seconds = time.monotonic() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = sum((b.ru_utime + b.ru_stime) - (a.ru_utime + a.ru_stime) for a, b in zip(cpu0, cpu1, strict=True))
    sampled = sampler.stop()
    after = status_kb()
    print(
        json.dumps(
            {
                **job,
                "warmup_s3_key": warm["s3_key"],
                "seconds": seconds,
                "cpu_s": cpu_s,
                "download_s": phases.get("download", 0.0),
                "upload_s": phases.get("upload_file", 0.0),
                "rss_before_kb": before,
                "peak_kb": after["VmHWM"] if hwm_reset else max(sampled, after["VmRSS"]),
                "peak_source": "VmHWM after clear_refs" if hwm_reset else "sampled VmRSS every 10 ms",
                "sampled_peak_kb": sampled,
                "rss_after_kb": after["VmRSS"],
                "lifetime_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                "children_peak_kb": sampler.children_peak_kb,
                "total_peak_kb": max(sampler.total_peak_kb, after["VmHWM"] if hwm_reset else 0),
                "children": len(CHILD_PIDS),
                "pid": os.getpid(),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
