"""`python -m localcloud` as a user runs it (`make run`), in a child process on a data folder:
started with port 0 (the child binds and prints its URLs), stopped gently or with `kill -9`."""

from __future__ import annotations

import collections
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from localcloud.cloud import REPO_ROOT
from localcloud.parts import die_with_parent

_INHERITED = ("PATH", "HOME", "LANG", "TMPDIR", "SYSTEMROOT")


class LocalCloudProcess:
    def __init__(self, data_dir: Path, *, overrides: str = "", schedule_seconds: float | None = None) -> None:
        self.data_dir = data_dir
        self.overrides = overrides
        self.schedule_seconds = schedule_seconds
        self.proc: subprocess.Popen[str] | None = None
        self.lines: list[str] = []
        self.urls: dict[str, str] = {}
        self.api_key = ""
        self.ready_seconds = 0.0

    def start(self, timeout: float = 90.0) -> LocalCloudProcess:
        # A clean environment: an in-process cloud of this test session set AWS variables.
        env = {k: v for k, v in os.environ.items() if k in _INHERITED} | {"PYTHONPATH": str(REPO_ROOT)}
        argv = [sys.executable, "-m", "localcloud", "--port", "0", "--data-dir", str(self.data_dir)]
        if self.overrides:
            argv += ["--parameter-overrides", self.overrides]
        if self.schedule_seconds:
            argv += ["--schedule-seconds", str(self.schedule_seconds)]
        started = time.monotonic()
        self.proc = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            cwd=REPO_ROOT,
            preexec_fn=die_with_parent,  # a killed test run leaves no cloud behind
        )
        assert self.proc.stdout is not None
        output: queue.Queue[str | None] = queue.Queue()
        stdout = self.proc.stdout
        threading.Thread(target=lambda: [*map(output.put, stdout), output.put(None)], daemon=True).start()
        self.lines = []
        deadline = time.monotonic() + timeout
        while not self.lines or self.lines[-1].strip() != "ready":
            try:
                line = output.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                line = None
            if line is None:
                self.kill()
                raise AssertionError("local cloud did not start:\n" + "".join(self.lines))
            self.lines.append(line)
        self.ready_seconds = time.monotonic() - started
        # Keep draining, so a chatty child never blocks on a full pipe; the last lines stay
        # readable (`recent_output`) for a test that fails to say what the cloud said.
        self.tail: collections.deque[str] = collections.deque(maxlen=200)
        threading.Thread(target=lambda: [*map(self.tail.append, iter(output.get, None))], daemon=True).start()
        for line in self.lines:
            words = line.split()
            urls = [w for w in words if w.startswith("http")]
            if urls and words[0].endswith(":"):
                self.urls[words[0].rstrip(":")] = urls[0]
            elif urls and len(words) > 1 and words[1].endswith(":"):
                self.urls[words[1].rstrip(":")] = urls[0]
            if line.startswith("API key of tenant 'local':"):
                self.api_key = words[-1]
        return self

    def recent_output(self) -> str:
        return "".join(getattr(self, "tail", ()))

    @property
    def base_url(self) -> str:
        return self.urls["API"]

    @property
    def s3_url(self) -> str:
        return self.urls["S3"]

    def kill(self) -> None:
        """`kill -9`: no handler runs, nothing is flushed by the process itself."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)

    def terminate(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self) -> LocalCloudProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.terminate()
