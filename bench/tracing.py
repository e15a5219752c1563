"""Where a job's time goes: wraps a few product methods at run time (nothing in the product
changes) and records wall and thread-CPU time of each call. Costs a few microseconds a call."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from bench.common import median


@dataclass(frozen=True)
class Span:
    label: str
    thread: int
    start: float
    end: float
    cpu: float  # thread CPU seconds spent inside the call

    @property
    def wall(self) -> float:
        return self.end - self.start


class PhaseTracer:
    def __init__(self) -> None:
        self.spans: list[Span] = []
        self._lock = threading.Lock()

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
                )
                with tracer._lock:
                    tracer.spans.append(span)

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
                span = Span(label, threading.get_ident(), t0, time.monotonic(), time.thread_time() - c0)
                with tracer._lock:
                    tracer.spans.append(span)

        client_class._make_api_call = wrapper
        return lambda: setattr(client_class, "_make_api_call", original)

    @contextmanager
    def installed(self) -> Iterator[PhaseTracer]:
        from botocore.client import BaseClient

        from localcloud.functions import LocalFunction
        from mediabatch.adapters.s3.media_bucket import MediaBucket
        from mediabatch.adapters.ytdlp.downloader import YtDlpDownloader

        undo = [
            self._wrap(LocalFunction, "invoke", lambda fn: f"fn:{fn.logical_id}"),
            self._wrap(YtDlpDownloader, "download", "download"),
            self._wrap(MediaBucket, "upload_file", "upload"),
            self._wrap_aws(BaseClient),
        ]
        try:
            yield self
        finally:
            for restore in reversed(undo):
                restore()

    def clear(self) -> None:
        with self._lock:
            self.spans.clear()

    def jobs(self) -> list[dict[str, float]]:
        """One dict per download-job invocation: wall and CPU of the whole function call and
        of the download and upload calls made inside it (matched by thread and time)."""
        with self._lock:
            spans = list(self.spans)
        out = []
        for inv in (s for s in spans if s.label == "fn:RunDownloadJobFunction"):
            inner = [s for s in spans if s.thread == inv.thread and inv.start <= s.start and s.end <= inv.end]
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
        with self._lock:
            spans = list(self.spans)
        invocations = [s for s in spans if s.label == "fn:RunDownloadJobFunction"]
        counts: dict[str, int] = {}
        for inv in invocations:
            for s in spans:
                if s.label.startswith("aws:") and s.thread == inv.thread and inv.start <= s.start <= inv.end:
                    counts[s.label[4:]] = counts.get(s.label[4:], 0) + 1
        n = max(1, len(invocations))
        return {op: c / n for op, c in sorted(counts.items(), key=lambda kv: -kv[1])}

    def summary(self) -> dict[str, float]:
        """Medians over the job invocations recorded."""
        rows = self.jobs()
        if not rows:
            return {}
        return {key: median([r[key] for r in rows]) for key in rows[0] if key not in ("start", "end")}
