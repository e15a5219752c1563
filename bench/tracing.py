"""Where a job's time goes: wraps a few product methods at run time (nothing in the product
changes) and records wall and thread-CPU time of each call. Costs a few microseconds a call.

Functions run in worker processes of the local cloud: there the same wraps are installed by the
worker hook `install_in_worker` (bench.common.cloud() names it in LOCALCLOUD_WORKER_HOOKS), and
their spans go, one JSON line each, to the file named by MEDIABATCH_BENCH_TRACE_FILE while its
`.on` flag file exists (that is, while a PhaseTracer is installed). CLOCK_MONOTONIC is one clock
for every process of the machine, so spans of the workers and of the cloud line up."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.common import median

TRACE_FILE_ENV = "MEDIABATCH_BENCH_TRACE_FILE"
WORKER_HOOK = "bench.tracing:install_in_worker"
TRACED_FUNCTIONS = ("RunDownloadJobFunction",)  # what jobs() reads


@dataclass(frozen=True)
class Span:
    label: str
    thread: int
    start: float
    end: float
    cpu: float  # thread CPU seconds spent inside the call
    pid: int = 0

    @property
    def wall(self) -> float:
        return self.end - self.start


class PhaseTracer:
    def __init__(self, trace_file: Path | None = None) -> None:
        self.spans: list[Span] = []
        self._lock = threading.Lock()
        named = os.environ.get(TRACE_FILE_ENV)
        self._file = trace_file or (Path(named) if named else None)  # the workers' spans

    def _record(self, span: Span) -> None:
        with self._lock:
            self.spans.append(span)

    def _wrap(self, owner: Any, attr: str, label: Callable[[Any], str] | str) -> Callable[[], None]:
        original = getattr(owner, attr)
        tracer = self

        def wrapper(obj: Any, *args: Any, **kwargs: Any) -> Any:
            t0, c0 = time.monotonic(), time.thread_time()
            try:
                return original(obj, *args, **kwargs)
            finally:
                span = Span(
                    label(obj) if callable(label) else label,
                    threading.get_ident(),
                    t0,
                    time.monotonic(),
                    time.thread_time() - c0,
                    os.getpid(),
                )
                tracer._record(span)

        setattr(owner, attr, wrapper)
        return lambda: setattr(owner, attr, original)

    def _wrap_aws(self, client_class: Any) -> Callable[[], None]:
        """Every call to the emulated AWS (botocore), labelled `aws:service.Operation`."""
        original = client_class._make_api_call
        tracer = self

        def wrapper(client: Any, operation: str, params: Any) -> Any:
            t0, c0 = time.monotonic(), time.thread_time()
            try:
                return original(client, operation, params)
            finally:
                label = f"aws:{client.meta.service_model.service_name}.{operation}"
                span = Span(label, threading.get_ident(), t0, time.monotonic(), time.thread_time() - c0, os.getpid())
                tracer._record(span)

        client_class._make_api_call = wrapper
        return lambda: setattr(client_class, "_make_api_call", original)

    def wrap_product(self) -> list[Callable[[], None]]:
        """Wrap the product's download, upload and AWS calls in this process; the undos."""
        from botocore.client import BaseClient

        from mediabatch.adapters.s3.media_bucket import MediaBucket
        from mediabatch.adapters.ytdlp.downloader import YtDlpDownloader

        return [
            self._wrap(YtDlpDownloader, "download", "download"),
            self._wrap(MediaBucket, "upload_file", "upload"),
            self._wrap_aws(BaseClient),
        ]

    @contextmanager
    def installed(self) -> Iterator[PhaseTracer]:
        from localcloud.functions import LocalFunction

        # invoke_here: a function run in this process (the inline mode); the workers trace their own.
        undo = [self._wrap(LocalFunction, "invoke_here", lambda fn: f"fn:{fn.logical_id}"), *self.wrap_product()]
        flag = self._flag()
        if flag is not None:
            self.clear()
            flag.touch()
        try:
            yield self
        finally:
            if flag is not None:
                flag.unlink(missing_ok=True)
            for restore in reversed(undo):
                restore()

    def _flag(self) -> Path | None:
        return self._file.with_suffix(".on") if self._file else None

    def clear(self) -> None:
        with self._lock:
            self.spans.clear()
        if self._file is not None:
            self._file.write_text("")

    def _all_spans(self) -> list[Span]:
        with self._lock:
            spans = list(self.spans)
        if self._file is not None and self._file.exists():
            spans += [Span(**json.loads(line)) for line in self._file.read_text().splitlines() if line.strip()]
        return spans

    def jobs(self) -> list[dict[str, float]]:
        """One dict per download-job invocation: wall and CPU of the whole function call and
        of the download and upload calls made inside it (matched by thread and time)."""
        spans = self._all_spans()
        out = []
        for inv in (s for s in spans if s.label == "fn:RunDownloadJobFunction"):
            inner = [
                s
                for s in spans
                if (s.pid, s.thread) == (inv.pid, inv.thread) and inv.start <= s.start and s.end <= inv.end
            ]
            dl = [s for s in inner if s.label == "download"]
            up = [s for s in inner if s.label == "upload"]
            # AWS calls of the job itself (those the S3 upload makes run in its worker threads)
            aws = [s for s in inner if s.label.startswith("aws:")]
            row = {
                "start": inv.start,
                "end": inv.end,
                "wall": inv.wall,
                "cpu": inv.cpu,
                "download": sum(s.wall for s in dl),
                "download_cpu": sum(s.cpu for s in dl),
                "upload": sum(s.wall for s in up),
                "upload_cpu": sum(s.cpu for s in up),
                "aws_calls": len(aws),
                "aws": sum(s.wall for s in aws),
            }
            row["other"] = row["wall"] - row["download"] - row["upload"]
            row["other_cpu"] = row["cpu"] - row["download_cpu"] - row["upload_cpu"]
            out.append(row)
        return out

    def aws_calls_per_job(self) -> dict[str, float]:
        """Calls to the emulated AWS made in download-job invocations, by operation, per job."""
        spans = self._all_spans()
        invocations = [s for s in spans if s.label == "fn:RunDownloadJobFunction"]
        counts: dict[str, int] = {}
        for inv in invocations:
            for s in spans:
                same_thread = (s.pid, s.thread) == (inv.pid, inv.thread)
                if s.label.startswith("aws:") and same_thread and inv.start <= s.start <= inv.end:
                    counts[s.label[4:]] = counts.get(s.label[4:], 0) + 1
        n = max(1, len(invocations))
        return {op: c / n for op, c in sorted(counts.items(), key=lambda kv: -kv[1])}

    def summary(self) -> dict[str, float]:
        """Medians over the job invocations recorded."""
        rows = self.jobs()
        if not rows:
            return {}
        return {key: median([r[key] for r in rows]) for key in rows[0] if key not in ("start", "end")}


class _WorkerTracer(PhaseTracer):
    """The tracer inside a function's worker: spans go to the shared file while it is switched on."""

    def __init__(self, trace_file: Path) -> None:
        super().__init__(trace_file)
        self._path = trace_file
        self._on = trace_file.with_suffix(".on")

    def _record(self, span: Span) -> None:
        if not self._on.exists():
            return
        line = (json.dumps(asdict(span)) + "\n").encode()
        fd = os.open(str(self._path), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)  # one write of one short line: appends of processes don't interleave
        finally:
            os.close(fd)


def install_in_worker() -> None:
    """Worker hook: wrap the handler call (`fn:<LogicalId>`) and the product's calls in this worker."""
    named = os.environ.get(TRACE_FILE_ENV)
    spec = json.loads(os.environ.get("LOCALCLOUD_FUNCTION", "{}"))
    if not named or spec.get("logical_id") not in TRACED_FUNCTIONS:
        return  # other workers start and run exactly as without the bench
    import sys

    import localcloud.worker

    # The worker runs as `python -m localcloud.worker`: its serving loop is the __main__ module's.
    main = sys.modules.get("__main__")
    worker = main if main is not None and hasattr(main, "serve") else localcloud.worker

    tracer = _WorkerTracer(Path(named))
    label = f"fn:{spec.get('logical_id', spec.get('name'))}"
    original = worker.invoke

    def invoke(handler: Any, fn_spec: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
        t0, c0 = time.monotonic(), time.thread_time()
        try:
            answer: dict[str, Any] = original(handler, fn_spec, message)
            return answer
        finally:
            end = time.monotonic()
            tracer._record(Span(label, threading.get_ident(), t0, end, time.thread_time() - c0, os.getpid()))

    worker.invoke = invoke  # type: ignore[attr-defined]
    tracer.wrap_product()
