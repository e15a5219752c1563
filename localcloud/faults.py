"""Faults AWS produces under load that a quiet local cloud never does, injectable by tests.

A fault plan is a JSON file shared by every process of the local cloud (the API's and the
functions' workers): the file named by env ``LOCALCLOUD_FAULTS_FILE``. The local cloud sets it
to ``<data_dir>/faults.json``; a process without it (a test using no LocalCloud) gets
``<tmp>/localcloud-faults-<pid>.json``, set in its environment so that what it starts inherits
it. No file means no faults. Each process installs a hook where botocore sends a request
(``install_from_env()``; the local cloud's workers call it at start through
``LOCALCLOUD_WORKER_HOOKS``, and this module's public functions install it in their process):
it re-reads the plan when the file's mtime changes and answers a matching request itself, so
the answer goes through botocore's parsing and retries exactly like AWS's own.

The plan::

    {"seed": 7, "rules": [
      {"name": "ddb-throttle", "kind": "throttling", "service": "dynamodb", "rate": 0.05,
       "app_only": true},
      {"name": "conflicts", "kind": "transaction_conflict", "service": "dynamodb",
       "operation": "TransactWriteItems", "count": 3}]}

A rule matches by ``service`` (botocore's endpoint prefix: dynamodb, s3, states, events, sqs),
``operation`` (botocore's name, e.g. UploadPart) and, with ``app_only``, only the product's own
clients (their user agent carries ``app/mediabatch``: not moto's, not a test's). It fires either
for the next ``count`` matching calls (decremented in the file under ``fcntl.flock``, so the
processes share them exactly) or at ``rate`` (a per-process RNG seeded from the plan's seed),
at most ``max`` times per process. Kinds: ``throttling`` (DynamoDB ThrottlingException /
ProvisionedThroughputExceededException, S3 SlowDown 503, others ThrottlingException),
``server_error`` (500 InternalServerError / S3 InternalError), ``timeout`` (botocore's
ReadTimeoutError; with ``after_send`` the request reaches the service first, as when the
answer is lost), ``transaction_conflict`` (TransactionCanceledException, every reason
TransactionConflict), ``connection_reset`` (ConnectionClosedError, e.g. mid-part), and
``latency`` (not a fault: the request waits ``seconds`` first, as it would on the network;
benchmarks model AWS round trips with it; neither logged nor counted).

Every fault, and every re-send of a request that met one (botocore's retry or the product's
own), is appended to ``<plan>.log`` (one JSON line each); ``stats()`` counts them per rule.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import random
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = [
    "APP_ID",
    "FAULTS_FILE_ENV",
    "WORKER_HOOKS_ENV",
    "clear",
    "inject_transaction_conflicts",
    "install_from_env",
    "pending_transaction_conflicts",
    "plan_path",
    "set_plan",
    "stats",
]

FAULTS_FILE_ENV = "LOCALCLOUD_FAULTS_FILE"
WORKER_HOOKS_ENV = "LOCALCLOUD_WORKER_HOOKS"
HOOK = "localcloud.faults:install_from_env"
# What the product's clients put in their user agent (mediabatch/adapters/aws.py).
APP_ID = "app/mediabatch"
_CONFLICTS = "transaction-conflicts"

_lock = threading.Lock()
_installed = False
_local = threading.local()


# ---------------------------------------------------------------------- the plan file
def plan_path() -> Path:
    """The plan file of this process (see the module's docstring)."""
    named = os.environ.get(FAULTS_FILE_ENV)
    if not named:
        named = str(Path(tempfile.gettempdir()) / f"localcloud-faults-{os.getpid()}.json")
        os.environ[FAULTS_FILE_ENV] = named
    return Path(named)


def _log_path() -> Path:
    return plan_path().with_suffix(".log")


@contextlib.contextmanager
def _locked_plan() -> Iterator[dict[str, Any]]:
    """The plan, read and written back under an exclusive lock (counts shared by processes)."""
    path = plan_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with (path.with_suffix(".lock")).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            plan = json.loads(path.read_text()) if path.exists() else {"rules": []}
            before = json.dumps(plan, sort_keys=True)
            yield plan
            if json.dumps(plan, sort_keys=True) != before:
                tmp = path.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_text(json.dumps(plan))
                os.replace(tmp, path)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def set_plan(rules: list[dict[str, Any]], seed: int = 0) -> None:
    """Replace the plan (every process follows it from its next request); keeps the log."""
    install_from_env()
    with _locked_plan() as plan:
        plan.clear()
        plan.update({"seed": seed, "rules": rules})


def clear() -> None:
    """No faults any more, and a fresh log."""
    set_plan([])
    _log_path().unlink(missing_ok=True)
    with _lock:
        _reader.faulted.clear()


def stats() -> dict[str, dict[str, int]]:
    """Per rule: how many faults were injected and how many requests that met one were sent again."""
    out: dict[str, dict[str, int]] = {}
    path = _log_path()
    if not path.exists():
        return out
    for line in path.read_text().splitlines():
        entry = json.loads(line)
        counts = out.setdefault(entry["rule"], {"faults": 0, "retries": 0})
        counts["retries" if entry["event"] == "retry" else "faults"] += 1
    return out


def inject_transaction_conflicts(count: int) -> None:
    """Make the next `count` TransactWriteItems calls (of any process of the cloud) fail with
    TransactionCanceledException (every reason TransactionConflict), as DynamoDB answers under
    contention: lets tests prove the retry path. Other rules of the plan stay as they are."""
    install_from_env()
    with _locked_plan() as plan:
        rules = [r for r in plan.get("rules", []) if r.get("name") != _CONFLICTS]
        if count > 0:
            rules.append(
                {
                    "name": _CONFLICTS,
                    "kind": "transaction_conflict",
                    "service": "dynamodb",
                    "operation": "TransactWriteItems",
                    "count": count,
                }
            )
        plan["rules"] = rules


def pending_transaction_conflicts() -> int:
    """How many injected conflicts are still to come (tests check theirs were consumed)."""
    with _locked_plan() as plan:
        return sum(int(r.get("count", 0)) for r in plan.get("rules", []) if r.get("name") == _CONFLICTS)


# ---------------------------------------------------------------------- deciding
class _Reader:
    """This process's view of the plan: re-read when the file changes; its own RNG and caps."""

    def __init__(self) -> None:
        self.mtime: float | None = None
        self.rules: list[dict[str, Any]] = []
        self.seed: object = None
        self.rng = random.Random()  # noqa: S311 - fault sampling, not security
        self.fired: dict[str, int] = {}
        self.faulted: dict[str, str] = {}  # request fingerprint -> rule that failed it

    def current(self) -> list[dict[str, Any]]:
        path = plan_path()
        try:
            mtime = path.stat().st_mtime_ns
        except FileNotFoundError:
            self.mtime, self.rules = None, []
            return self.rules
        if mtime != self.mtime:
            try:
                plan = json.loads(path.read_text())
            except (OSError, ValueError):  # being replaced: the next request reads it
                return self.rules
            if self.mtime is None or plan.get("seed") != self.seed:
                self.seed = plan.get("seed")
                self.rng.seed(f"{plan.get('seed')}-{os.getpid()}")
                self.fired.clear()
            self.mtime, self.rules = mtime, list(plan.get("rules", []))
        return self.rules


_reader = _Reader()


def _matches(rule: dict[str, Any], service: str, operation: str, user_agent: str) -> bool:
    if rule.get("service") not in (None, service):
        return False
    wanted = rule.get("operation")
    if wanted is not None and operation not in ([wanted] if isinstance(wanted, str) else wanted):
        return False
    return not (rule.get("app_only") and APP_ID not in user_agent)


def _take_count(name: str) -> bool:
    with _locked_plan() as plan:
        for rule in plan.get("rules", []):
            if rule.get("name") == name and int(rule.get("count", 0)) > 0:
                rule["count"] = int(rule["count"]) - 1
                return True
    return False


def _choose(service: str, operation: str, user_agent: str) -> dict[str, Any] | None:
    with _lock:
        rules = _reader.current()
        for rule in rules:
            if not _matches(rule, service, operation, user_agent):
                continue
            name = str(rule.get("name", rule.get("kind")))
            if "count" in rule:
                if int(rule["count"]) > 0 and _take_count(name):
                    return rule
                continue
            if _reader.fired.get(name, 0) >= int(rule.get("max", 1_000_000)):
                continue
            if _reader.rng.random() < float(rule.get("rate", 0.0)):
                _reader.fired[name] = _reader.fired.get(name, 0) + 1
                return rule
    return None


def _log(rule: str, event: str, service: str, operation: str) -> None:
    line = json.dumps({"rule": rule, "event": event, "op": f"{service}.{operation}", "pid": os.getpid()}) + "\n"
    fd = os.open(_log_path(), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def _fingerprint(request: Any) -> str:
    """The same request sent again: by botocore (same body), or by the product (a new call:
    botocore gives it a new idempotency token, left out here)."""
    body = request.body if isinstance(request.body, bytes) else b""
    if body.startswith(b"{") and b"ClientRequestToken" in body:
        data = json.loads(body)
        data.pop("ClientRequestToken", None)
        body = json.dumps(data, sort_keys=True).encode()
    digest = hashlib.sha1(body, usedforsecurity=False).hexdigest()
    return f"{request.method} {request.url} {digest}"


# ---------------------------------------------------------------------- answering
def _error_response(request: Any, protocol: str, status: int, code: str, message: str, extra: dict[str, Any]) -> Any:
    from botocore.awsrequest import AWSResponse

    if protocol in ("rest-xml", "query"):
        xml = f"<Error><Code>{code}</Code><Message>{message}</Message><RequestId>fault</RequestId></Error>"
        body = f'<?xml version="1.0" encoding="UTF-8"?>\n{xml}'.encode()
        headers = {"Content-Type": "application/xml"}
    else:
        body = json.dumps({"__type": code, "message": message, "Message": message, **extra}).encode()
        headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-ErrorType": code}
    return AWSResponse(request.url, status, headers, _Raw(body))


def _conflict(request: Any, protocol: str) -> Any:
    items = len(json.loads(request.body or b"{}").get("TransactItems", [])) or 1
    reasons = [{"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}] * items
    message = (
        "Transaction cancelled, please refer cancellation reasons for specific reasons ["
        + ", ".join(["TransactionConflict"] * items)
        + "]"
    )
    return _error_response(
        request,
        protocol,
        400,
        "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
        message,
        {"CancellationReasons": reasons},
    )


def _answer(rule: dict[str, Any], request: Any, send: Any, service: str, protocol: str) -> Any:
    """The fault's answer (a response), or raise the fault's exception."""
    from botocore.exceptions import ConnectionClosedError, ReadTimeoutError

    kind = rule["kind"]
    if kind == "transaction_conflict":
        return _conflict(request, protocol)
    if kind == "throttling":
        if service == "s3":
            return _error_response(request, protocol, 503, "SlowDown", "Please reduce your request rate.", {})
        code = str(rule.get("code", "ThrottlingException"))
        return _error_response(request, protocol, 400, code, "Rate exceeded", {})
    if kind == "server_error":
        code = "InternalError" if service == "s3" else "InternalServerError"
        return _error_response(request, protocol, 500, code, "We encountered an internal error.", {})
    if kind == "timeout":
        if rule.get("after_send"):
            send(request).content  # noqa: B018 - the service did the work; its answer is lost
        raise ReadTimeoutError(endpoint_url=request.url)
    if kind == "connection_reset":
        raise ConnectionClosedError(endpoint_url=request.url)
    raise ValueError(f"unknown fault kind {kind!r}")


def install_from_env() -> None:
    """Install the hook in this process (once): botocore's requests then follow the plan file."""
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    from botocore.endpoint import Endpoint

    original_send = Endpoint._send
    original_get = Endpoint._do_get_response

    def _do_get_response(self: Any, request: Any, operation_model: Any, context: Any) -> Any:
        _local.operation = operation_model.name
        _local.protocol = operation_model.service_model.resolved_protocol
        return original_get(self, request, operation_model, context)

    def _send(self: Any, request: Any) -> Any:
        with _lock:
            idle = not _reader.current() and not _reader.faulted
        if idle:  # no plan: one stat() per request, nothing else
            return original_send(self, request)
        service = str(getattr(self, "_endpoint_prefix", ""))
        operation = str(getattr(_local, "operation", ""))
        user_agent = request.headers.get("User-Agent", b"")
        user_agent = user_agent.decode() if isinstance(user_agent, bytes) else str(user_agent)
        fingerprint = _fingerprint(request)
        with _lock:
            met = _reader.faulted.pop(fingerprint, None)
        if met is not None:
            _log(met, "retry", service, operation)
        rule = _choose(service, operation, user_agent)
        if rule is None:
            return original_send(self, request)
        if rule["kind"] == "latency":
            time.sleep(float(rule.get("seconds", 0.0)))
            return original_send(self, request)
        name = str(rule.get("name", rule["kind"]))
        with _lock:
            _reader.faulted[fingerprint] = name
        _log(name, "fault", service, operation)
        return _answer(rule, request, lambda r: original_send(self, r), service, str(getattr(_local, "protocol", "")))

    Endpoint._do_get_response = _do_get_response
    Endpoint._send = _send


class _Raw:
    """The urllib3-like raw body AWSResponse reads."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, *_: Any, **__: Any) -> Any:
        yield self._body
