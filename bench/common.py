"""Plumbing shared by the benchmarks: the machine, the local cloud, a media server in its own
process, a client of the local API, results."""

from __future__ import annotations

import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

REPO_ROOT = Path(__file__).resolve().parent.parent
WORK_ROOT = REPO_ROOT / "bench" / ".work"  # git-ignored scratch space
for _path in (REPO_ROOT / "layers" / "shared", REPO_ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

TENANT, API_KEY = "bench", "bench-key-0123456789"
TERMINAL = {"completed", "failed", "cancelled"}
POLL_INTERVAL_S = 0.1  # how often the client asks GET /api/v1/batch/{id}; the wall-time resolution
YTDLP_CLI = Path(sys.executable).parent / "yt-dlp"
MiB = 1024 * 1024


class BenchError(RuntimeError):
    """The benchmark could not measure what it set out to (not a missed target)."""


@dataclass
class BenchResult:
    """One benchmark's outcome: the rows of its table and what the run found."""

    name: str
    title: str
    target: str
    met: bool
    figures: list[tuple[str, str]]
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    commit: str = ""  # the code measured (bench.fingerprint): `git rev-parse --short HEAD`[+dirty]
    code_hash: str = ""  # sha256 of the measured files, shortened
    code_files: int = 0  # how many files the hash covers


# ------------------------------------------------------------------ machine
def machine() -> dict[str, str]:
    nproc = len(os.sched_getaffinity(0))
    mem_kb = 0
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    model = ""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "nproc": str(nproc),
        "memory": f"{mem_kb / MiB:.1f} GiB",
        "cpu": model or platform.processor() or "unknown CPU",
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def machine_line() -> str:
    m = machine()
    return f"nproc {m['nproc']}, {m['memory']} RAM ({m['cpu']}; Linux {m['kernel']}, Python {m['python']})"


def versions() -> str:
    from importlib.metadata import version

    return ", ".join(f"{name} {version(name)}" for name in ("yt-dlp", "moto", "boto3"))


# ------------------------------------------------------------------ numbers
def median(values: list[float]) -> float:
    return float(statistics.median(values))


def fmt_s(seconds: float) -> str:
    return f"{seconds:.2f} s"


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def fmt_runs(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values) + " s"


def fmt_mib(n_bytes: float) -> str:
    return f"{n_bytes / MiB:.1f} MiB"


def size_label(n_bytes: int) -> str:
    """A size as a label: "1 GiB", "1.5 GiB", "32 MiB", "16 KiB" (the size actually used)."""
    for unit, name in ((1024 * MiB, "GiB"), (MiB, "MiB"), (1024, "KiB")):
        if n_bytes >= unit:
            value = n_bytes / unit
            text = f"{value:.0f}" if value == int(value) else f"{value:.2f}".rstrip("0").rstrip(".")
            return f"{text} {name}"
    return f"{n_bytes} bytes"


def how_many(values: list[float]) -> str:
    """How a figure was taken from its runs: "1 run" or "median of 3"."""
    return "1 run" if len(values) == 1 else f"median of {len(values)}"


def work_dir(name: str) -> Path:
    path = WORK_ROOT / name
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def disk_free(path: Path) -> int:
    path.mkdir(parents=True, exist_ok=True)
    return shutil.disk_usage(path).free


# ------------------------------------------------------------------ the local cloud
_cloud: Any = None


def cloud() -> Any:
    """The one LocalCloud of this process (moto state and the environment are process-wide),
    serving template.yaml on 127.0.0.1 with downloads from 127.0.0.1 allowed."""
    global _cloud
    if _cloud is None:
        from bench.tracing import TRACE_FILE_ENV, WORKER_HOOK
        from localcloud import LocalCloud

        # The functions' workers trace their calls for bench/tracing.py (only while it listens).
        os.environ[TRACE_FILE_ENV] = str(work_dir("trace") / "spans.jsonl")
        hooks = [h for h in os.environ.get("LOCALCLOUD_WORKER_HOOKS", "").split(",") if h]
        os.environ["LOCALCLOUD_WORKER_HOOKS"] = ",".join([*hooks, WORKER_HOOK] if WORKER_HOOK not in hooks else hooks)
        _cloud = LocalCloud(
            port=0,
            parameter_overrides={"UrlAllowlist": "127.0.0.1", "LogLevel": "ERROR"},
            api_keys=f"{TENANT}:{API_KEY}",
            work_dir=work_dir("lambda-tmp"),
        ).start()
    return _cloud


def stop_cloud() -> None:
    global _cloud
    if _cloud is not None:
        _cloud.stop()
        _cloud = None


class Api:
    """The local API as a user's script uses it: POST a batch, poll GET until terminal."""

    def __init__(self, base_url: str, api_key: str = API_KEY) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self.session.headers["X-API-Key"] = api_key

    def create(self, urls: list[str], concurrent_limit: int) -> str:
        response = self.session.post(
            f"{self.base_url}/api/v1/batch/download",
            timeout=60,
            json={"urls": urls, "concurrent_limit": concurrent_limit},
        )
        if response.status_code != 202:
            raise BenchError(f"POST /api/v1/batch/download answered {response.status_code}: {response.text}")
        return str(response.json()["batch_id"])

    def get(self, batch_id: str) -> dict[str, Any]:
        response = self.session.get(f"{self.base_url}/api/v1/batch/{batch_id}", timeout=60)
        if response.status_code != 200:
            raise BenchError(f"GET batch answered {response.status_code}: {response.text}")
        return dict(response.json())

    def run_batch(self, urls: list[str], concurrent_limit: int, timeout: float = 300.0) -> float:
        """Seconds from just before the POST to the first GET that shows the batch terminal.
        Raises BenchError unless every job completed."""
        started = time.monotonic()
        batch_id = self.create(urls, concurrent_limit)
        while True:
            state = self.get(batch_id)
            if state["status"] in TERMINAL:
                elapsed = time.monotonic() - started
                break
            if time.monotonic() - started > timeout:
                raise BenchError(f"batch {batch_id} not terminal after {timeout} s: {state['status']}")
            time.sleep(POLL_INTERVAL_S)
        if state["status"] != "completed" or state["completed_jobs"] != len(urls):
            errors = [j["error"] for j in state["jobs"] if j["error"]][:3]
            raise BenchError(
                f"batch {batch_id} ended {state['status']} ({state['completed_jobs']}/{len(urls)} completed): {errors}"
            )
        return elapsed


# ------------------------------------------------------------------ media server process
class MediaServerProcess:
    """tests.support.MediaServer serving `root`, run by `python -m bench._serve` (own process)."""

    def __init__(self, root: Path, throttle_bps: int | None = None) -> None:
        self.root = root
        self.throttle_bps = throttle_bps
        self._proc: subprocess.Popen[str] | None = None
        self.port = 0

    def __enter__(self) -> MediaServerProcess:
        cmd = [sys.executable, "-m", "bench._serve", str(self.root), "--throttle-bps", str(self.throttle_bps or 0)]
        self._proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line.strip().isdigit():
            self.__exit__()
            raise BenchError(f"media server did not start: {line!r}")
        self.port = int(line)
        return self

    def __exit__(self, *exc: object) -> None:
        proc = self._proc
        if proc is None:
            return
        if proc.stdin:
            proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        self._proc = None

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"


# ------------------------------------------------------------------ memory of processes
def proc_status_kb(pid: int | str = "self") -> dict[str, int]:
    """VmRSS, VmHWM, ... of a process in KiB (Linux /proc)."""
    out: dict[str, int] = {}
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            m = re.match(r"^(Vm\w+|Rss\w+):\s+(\d+) kB", line)
            if m:
                out[m.group(1)] = int(m.group(2))
    return out


def reset_peak_rss() -> bool:
    """VmHWM back to the current RSS (Linux >= 4.0); False if the kernel refused."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        return False
    status = proc_status_kb()
    return status["VmHWM"] <= status["VmRSS"] + 1024


@contextmanager
def temp_dir(prefix: str) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


# ------------------------------------------------------------------ emulator state between runs
def _table_scan(projection: bool) -> list[dict[str, Any]]:
    from mediabatch.settings import get_settings

    ddb = cloud().client("dynamodb")
    kwargs: dict[str, Any] = {"TableName": get_settings().table_name}
    if projection:
        kwargs.update(ProjectionExpression="pk, sk")
    items: list[dict[str, Any]] = []
    while True:
        page = ddb.scan(**kwargs)
        items += page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


class TableReset:
    """Puts the DynamoDB table back to how it was when created (tenants and API keys only).

    moto copies the whole table for every item of every TransactWriteItems (a rollback copy), so
    in the emulator each job gets slower the more jobs were stored before it: without a reset the
    third of three runs measures a table three times as large as the first. DynamoDB's cost does
    not depend on the table's size, so the benchmarks start every measured run from this state."""

    def __init__(self) -> None:
        self._keep = {(i["pk"]["S"], i["sk"]["S"]) for i in _table_scan(projection=True)}

    def __call__(self) -> int:
        """Wait for the previous batches' executions to end (their last step, FinalizeBatch, runs
        after the batch already shows terminal), then delete what was added since."""
        from mediabatch.settings import get_settings

        settings = get_settings()
        sfn = cloud().client("stepfunctions")
        deadline = time.monotonic() + 60
        while sfn.list_executions(stateMachineArn=settings.batch_state_machine_arn, statusFilter="RUNNING")[
            "executions"
        ]:
            if time.monotonic() > deadline:
                raise BenchError("batch executions still running after 60 s")
            time.sleep(0.1)
        table = settings.table_name
        ddb = cloud().client("dynamodb")
        extra = [i for i in _table_scan(projection=True) if (i["pk"]["S"], i["sk"]["S"]) not in self._keep]
        for start in range(0, len(extra), 25):
            pending: dict[str, Any] = {
                table: [{"DeleteRequest": {"Key": {"pk": i["pk"], "sk": i["sk"]}}} for i in extra[start : start + 25]]
            }
            while pending:
                pending = ddb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
        return len(self._keep)

    @staticmethod
    def items() -> int:
        return len(_table_scan(projection=True))


def cloud_cpu_seconds() -> float:
    """CPU seconds used so far by the local cloud's Python side: this process (gateway, moto,
    Step Functions) and its functions' worker processes; not the parts (DynamoDB Local,
    SeaweedFS), which are processes of their own. Workers that ended since are not counted."""
    from localcloud.workers import _descendants

    parts = {pid for part in cloud().parts.values() for pid in part.pids()}
    parts |= {child for pid in parts for child in _descendants(pid)}
    ticks = os.sysconf("SC_CLK_TCK")
    total = time.process_time()
    for pid in _descendants(os.getpid()):
        if pid in parts:
            continue
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total
