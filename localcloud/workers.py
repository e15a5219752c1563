"""Execution environments as processes: a pool of warm workers per function.

Each worker (`localcloud.worker`) imports its handler once and serves one invocation at a time,
as a Lambda execution environment does. Workers are added on demand up to the function's
reserved concurrency (or a local cap) and reaped when idle. The pool enforces what Lambda
enforces: past the function's Timeout, or past its MemorySize (resident memory of the worker
and its children, sampled every 100 ms), the worker is killed and the caller gets Lambda's error;
a worker that dies on its own (os._exit, a segfault) gets Lambda's exit error and is replaced.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import IO, Any

logger = logging.getLogger("localcloud.workers")
SAMPLE_SECONDS = 0.1
# Workers of one function starting at once: a burst of cold starts on a small machine would
# starve them all, while the first ones ready already serve what waits.
MAX_STARTING = 2
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
# As the Go runtime of Lambda's sandbox names the signals that end a runtime.
_SIGNAL_NAMES = {
    signal.SIGKILL: "killed",
    signal.SIGSEGV: "segmentation fault",
    signal.SIGABRT: "aborted",
    signal.SIGTERM: "terminated",
    signal.SIGBUS: "bus error",
}


class FunctionError(Exception):
    """An invocation that failed: `payload` is what Lambda returns for it (errorType,
    errorMessage, stackTrace); `code` the domain error's code when the handler raised one."""

    def __init__(self, payload: dict[str, Any], code: str | None = None) -> None:
        super().__init__(f"{payload.get('errorType')}: {payload.get('errorMessage')}")
        self.payload = payload
        self.error_type = str(payload.get("errorType", ""))
        self.code = code


_STOPPING = {"errorType": "Lambda.ServiceException", "errorMessage": "the local cloud is stopping"}


@dataclass(frozen=True)
class WorkerSpec:
    """What a worker of one function is started with."""

    logical_id: str
    name: str
    arn: str
    handler: str
    timeout: int
    memory: int
    env: dict[str, str]
    max_workers: int
    enforce_memory: bool = True

    def describe(self) -> str:
        keys = ("logical_id", "name", "arn", "handler", "timeout", "memory")
        return json.dumps({k: getattr(self, k) for k in keys})


def _lambda_error(error_type: str, request_id: str, detail: str) -> dict[str, Any]:
    return {"errorType": error_type, "errorMessage": f"RequestId: {request_id} Error: {detail}"}


def tree_rss_bytes(pid: int) -> int:
    """Resident memory of `pid` and all its descendants (Linux /proc)."""
    total = 0
    for current in (pid, *_descendants(pid)):
        try:
            with open(f"/proc/{current}/statm") as fh:
                total += int(fh.read().split()[1]) * _PAGE
        except (OSError, ValueError, IndexError):
            continue  # it ended meanwhile
    return total


class Worker:
    """One worker process and its connection."""

    def __init__(self, spec: WorkerSpec) -> None:
        self.spec = spec
        ours, theirs = socket.socketpair()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "localcloud.worker", str(theirs.fileno())],
            pass_fds=[theirs.fileno()],
            stdin=subprocess.PIPE,  # held open, never written: its end tells the worker we are gone
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env={**spec.env, "LOCALCLOUD_FUNCTION": spec.describe(), "PYTHONUNBUFFERED": "1"},
        )
        theirs.close()
        self.conn = Connection(ours.detach())
        self.init_seconds = 0.0
        self.last_used = time.monotonic()
        self.patch_generation = 0
        assert self.proc.stdout is not None
        threading.Thread(
            target=_pump, args=(self.proc.stdout, spec.logical_id), daemon=True, name=f"log-{spec.logical_id}"
        ).start()

    def wait_ready(self) -> dict[str, Any] | None:
        """None when ready; else the init error payload (the worker has ended)."""
        try:
            message = json.loads(self.conn.recv_bytes())
        except (EOFError, OSError):
            return _lambda_error("Runtime.ExitError", "init", f"Runtime exited with error: {self._exit_status()}")
        if "init_error" in message:
            self.kill()
            return dict(message["init_error"])
        self.init_seconds = float(message.get("init_seconds", 0.0))
        return None

    def send_patches(self, patches: list[list[Any]], generation: int) -> None:
        self.conn.send_bytes(json.dumps({"patches": patches}).encode())
        self.patch_generation = generation

    def call(self, event: Any, request_id: str) -> dict[str, Any]:
        """The worker's answer ({"result"} or {"error", "attrs"}); raises FunctionError when the
        worker had to be killed or died."""
        try:
            self.conn.send_bytes(json.dumps({"event": event, "request_id": request_id}, default=str).encode())
        except OSError:
            detail = f"Runtime exited with error: {self._exit_status()}"
            raise FunctionError(_lambda_error("Runtime.ExitError", request_id, detail)) from None
        deadline = time.monotonic() + self.spec.timeout
        limit = self.spec.memory * 2**20
        while True:
            try:
                ready = self.conn.poll(SAMPLE_SECONDS)
            except (EOFError, OSError):
                ready = True
            if ready:
                try:
                    return dict(json.loads(self.conn.recv_bytes()))
                except (EOFError, OSError):
                    detail = f"Runtime exited with error: {self._exit_status()}"
                    raise FunctionError(_lambda_error("Runtime.ExitError", request_id, detail)) from None
            if time.monotonic() > deadline:
                self.kill()
                detail = f"Task timed out after {self.spec.timeout:.2f} seconds"
                raise FunctionError(_lambda_error("Sandbox.Timedout", request_id, detail))
            if self.spec.enforce_memory and tree_rss_bytes(self.proc.pid) > limit:
                self.kill()
                detail = "Runtime exited with error: signal: killed"
                raise FunctionError(_lambda_error("Runtime.OutOfMemory", request_id, detail))

    def _exit_status(self) -> str:
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
            code = -signal.SIGKILL
        if code < 0:
            return "signal: " + _SIGNAL_NAMES.get(signal.Signals(-code), signal.Signals(-code).name)
        return f"exit status {code}"

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL to the worker and everything it started (ffmpeg, yt-dlp's children)."""
        for pid in _descendants(self.proc.pid):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.close()

    def close(self) -> None:
        self.conn.close()
        if self.proc.stdin:
            self.proc.stdin.close()


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    stack = [pid]
    while stack:
        current = stack.pop()
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as fh:
                    children = [int(c) for c in fh.read().split()]
                found.extend(children)
                stack.extend(children)
        except (OSError, ValueError):
            continue
    return found


def _pump(stream: IO[bytes], prefix: str) -> None:
    """The worker's stdout and stderr, line by line, into the cloud's output."""
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", "replace").rstrip("\n")
        try:
            sys.stderr.write(f"[{prefix}] {line}\n")
            sys.stderr.flush()
        except (OSError, ValueError):
            pass  # the cloud's own output is gone (interpreter shutting down)
    stream.close()


class WorkerPool:
    """The warm workers of one function."""

    def __init__(self, spec: WorkerSpec, spawn: Callable[[WorkerSpec], Worker] = Worker) -> None:
        self.spec = spec
        self._spawn = spawn
        self._idle: list[Worker] = []
        self._busy: set[Worker] = set()  # running an invocation
        self._count = 0
        self._cond = threading.Condition()
        self._patches: dict[tuple[str, str], Any] = {}
        self._generation = 0
        self._closed = False
        self._waiting = 0  # invocations waiting for a worker
        self._starting = 0  # workers being started
        self._init_error: dict[str, Any] | None = None
        self.cold_starts: list[float] = []  # seconds from spawn to ready, for the benchmark

    @property
    def size(self) -> int:
        return self._count

    def invoke(self, event: Any) -> Any:
        """The handler's result, or FunctionError with Lambda's payload."""
        request_id = str(uuid.uuid4())
        worker = self._acquire()
        with self._cond:
            self._busy.add(worker)
        healthy = False
        try:
            if worker.patch_generation != self._generation:
                worker.send_patches(self._patch_list(), self._generation)
            answer = worker.call(event, request_id)
            healthy = True
        finally:
            with self._cond:
                self._busy.discard(worker)
            self._release(worker, healthy)
        if "error" in answer:
            raise FunctionError(answer["error"], (answer.get("attrs") or {}).get("code"))
        return answer.get("result")

    def warm(self) -> None:
        """Start one worker now (it stays idle), if none is there yet."""
        with self._cond:
            if not self._count and not self._closed:
                self._begin_start()

    def prewarm(self, workers: int, timeout: float = 120.0) -> int:
        """Start workers until `workers` of them (at most the cap) are idle, as provisioned
        concurrency does; waits for them. How many are idle."""
        deadline = time.monotonic() + timeout
        with self._cond:
            target = min(workers, self.spec.max_workers)
            while len(self._idle) < target and not self._closed and time.monotonic() < deadline:
                if self._starting < MAX_STARTING and self._count < target:
                    self._begin_start()
                    continue
                self._cond.wait(max(0.0, deadline - time.monotonic()))
            return len(self._idle)

    def _acquire(self) -> Worker:
        """An idle worker; else one more is started (in the background, at most MAX_STARTING at
        once) and this takes whichever worker is free first: a busy one that finishes or the
        new one once it is ready."""
        with self._cond:
            self._waiting += 1
            try:
                while True:
                    if self._closed:
                        raise FunctionError(
                            _lambda_error("Lambda.ServiceException", "-", "the local cloud is stopping")
                        )
                    while self._idle:
                        worker = self._idle.pop()
                        if worker.alive:
                            return worker
                        worker.close()  # ended while idle (killed from outside): start another
                        self._count -= 1
                    if self._init_error is not None:
                        error, self._init_error = self._init_error, None
                        raise FunctionError(error)
                    if self._starting < min(self._waiting, MAX_STARTING) and self._count < self.spec.max_workers:
                        self._begin_start()
                    self._cond.wait()
            finally:
                self._waiting -= 1

    def _begin_start(self) -> None:
        """With the lock held: one more worker, started by a thread of its own."""
        self._count += 1
        self._starting += 1
        threading.Thread(target=self._start_in_background, daemon=True, name=f"start-{self.spec.logical_id}").start()

    def _start_in_background(self) -> None:
        try:
            worker = self._start()
        except FunctionError as exc:  # its init failed: a waiting invocation gets Lambda's error
            with self._cond:
                self._starting -= 1
                self._init_error = exc.payload
                self._cond.notify_all()
            return
        except Exception as exc:
            logger.exception("%s: a worker could not be started", self.spec.logical_id)
            with self._cond:
                self._starting -= 1
                self._init_error = _lambda_error("Runtime.ExitError", "init", f"{type(exc).__name__}: {exc}")
                self._cond.notify_all()
            return
        with self._cond:
            self._starting -= 1
        self._release(worker, True)

    def _start(self) -> Worker:
        try:
            started = time.monotonic()
            worker = self._spawn(self.spec)
            error = worker.wait_ready()
        except BaseException:
            self._forget()
            raise
        if error is not None:
            self._forget()
            raise FunctionError(error)
        self.cold_starts.append(time.monotonic() - started)
        logger.debug("%s: worker %d ready in %.2f s", self.spec.logical_id, worker.proc.pid, self.cold_starts[-1])
        return worker

    def _forget(self) -> None:
        with self._cond:
            self._count -= 1
            self._cond.notify()

    def _release(self, worker: Worker, healthy: bool) -> None:
        if not healthy or not worker.alive:
            if worker.alive:
                worker.kill()
            else:
                worker.close()
            self._forget()
            return
        worker.last_used = time.monotonic()
        with self._cond:
            if self._closed:
                worker.kill()
                self._count -= 1
                return
            self._idle.append(worker)
            self._cond.notify()

    def reap_idle(self, idle_seconds: float) -> int:
        """End workers idle for longer than `idle_seconds`; how many were ended."""
        cutoff = time.monotonic() - idle_seconds
        with self._cond:
            old = [w for w in self._idle if w.last_used < cutoff]
            self._idle = [w for w in self._idle if w.last_used >= cutoff]
            self._count -= len(old)
            self._cond.notify_all()
        for worker in old:
            worker.kill()
        return len(old)

    def patch(self, module: str, attr: str, value: Any) -> Callable[[], None]:
        """Set `module.attr = value` in every worker of this function (before its next
        invocation); the returned function undoes it."""
        key = (module, attr)
        with self._cond:
            self._patches[key] = value
            self._generation += 1

        def undo() -> None:
            with self._cond:
                self._patches.pop(key, None)
                self._generation += 1

        return undo

    def _patch_list(self) -> list[list[Any]]:
        with self._cond:
            return [[m, a, v] for (m, a), v in self._patches.items()]

    def close(self) -> None:
        """End every worker, busy ones too: a cloud that stops does not wait for a long download
        (its invocation answers Runtime.ExitError, as when Lambda's environment goes away)."""
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            busy = list(self._busy)
            self._count -= len(idle)
            self._cond.notify_all()
        for worker in [*idle, *busy]:
            with contextlib.suppress(OSError):
                worker.kill()


class WorkerPools:
    """Every function's pool, and the thread that reaps idle workers."""

    def __init__(self, idle_seconds: float) -> None:
        self.idle_seconds = idle_seconds
        self.pools: dict[str, WorkerPool] = {}
        self._stop = threading.Event()
        self._reaper = threading.Thread(target=self._reap, daemon=True, name="localcloud-worker-reaper")

    def add(self, pool: WorkerPool) -> WorkerPool:
        self.pools[pool.spec.logical_id] = pool
        return pool

    def start(self) -> None:
        self._reaper.start()

    def _reap(self) -> None:
        while not self._stop.wait(min(30.0, max(1.0, self.idle_seconds / 4))):
            for pool in list(self.pools.values()):
                reaped = pool.reap_idle(self.idle_seconds)
                if reaped:
                    logger.debug("%s: %d idle worker(s) ended", pool.spec.logical_id, reaped)

    def stop(self) -> None:
        self._stop.set()
        for pool in self.pools.values():
            pool.close()


def worker_pythonpath(layer_dirs: list[Path], code_dir: Path, localcloud_root: Path) -> str:
    """The function's code first, then its layers (as /var/task and /opt/python on Lambda), then
    the folder holding `localcloud` itself (the worker bootstrap and its hooks)."""
    return os.pathsep.join(str(p) for p in [code_dir, *layer_dirs, localcloud_root])
