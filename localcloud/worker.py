"""`python -m localcloud.worker FD`: one Lambda execution environment of one function.

Started clean by the local cloud (a new interpreter, never a fork of its threaded server) with
exactly its function's environment. It runs the hooks named in LOCALCLOUD_WORKER_HOOKS, imports
the handler once, then serves one invocation at a time over the connection on file descriptor FD
(length-prefixed JSON messages). It exits when the connection or its stdin closes: a local cloud
killed with `kill -9` leaves no worker behind.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from localcloud.functions import LambdaContext

Handler = Callable[[Any, Any], Any]
# Attributes set by `patch` messages (tests lower a limit of a warm API), with their originals.
_PATCHED: dict[tuple[str, str], Any] = {}


def main() -> None:
    conn = Connection(int(sys.argv[1]))
    _exit_with_parent()
    spec = json.loads(os.environ["LOCALCLOUD_FUNCTION"])
    started = time.monotonic()
    try:
        run_hooks(os.environ.get("LOCALCLOUD_WORKER_HOOKS", ""))
        handler = import_handler(spec["handler"])
    except Exception as exc:  # Lambda answers every invocation of a broken init with this
        traceback.print_exc()
        _send(conn, {"init_error": error_payload(exc, "Runtime.ImportModuleError")})
        _exit()
    _send(conn, {"ready": True, "init_seconds": time.monotonic() - started})
    serve(conn, handler, spec)
    _exit()


def _exit() -> None:
    """End now: no interpreter shutdown racing the handler's own threads."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _exit_with_parent() -> None:
    """The cloud holds this worker's stdin open and never writes to it: end of file means the
    cloud is gone (even while an invocation runs), so the worker ends too."""

    def watch() -> None:
        try:
            while os.read(0, 4096):
                pass
        finally:
            os._exit(0)

    threading.Thread(target=watch, daemon=True, name="localcloud-parent-watch").start()


def run_hooks(names: str) -> None:
    """Call each `module:function` (test recorders, fault plans) before the handler is imported."""
    for name in filter(None, (n.strip() for n in names.split(","))):
        module, _, attr = name.partition(":")
        getattr(importlib.import_module(module), attr)()


def import_handler(handler: str) -> Handler:
    """`app.handler` from the code folder (first on PYTHONPATH), as Lambda's runtime imports it."""
    module_name, _, attr = handler.rpartition(".")
    module = importlib.import_module(module_name)
    fn: Handler = getattr(module, attr)
    return fn


def serve(conn: Connection, handler: Handler, spec: dict[str, Any]) -> None:
    while True:
        try:
            message = json.loads(conn.recv_bytes())
        except (EOFError, OSError):
            return
        if "patches" in message:
            apply_patches(message["patches"])
            continue
        _send(conn, invoke(handler, spec, message))


def invoke(handler: Handler, spec: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
    context = LambdaContext(
        spec["name"], spec["memory"], spec["timeout"], spec["arn"], aws_request_id=message["request_id"]
    )
    try:
        result = handler(message["event"], context)
    except Exception as exc:  # the caller gets Lambda's error payload
        code = getattr(exc, "code", None)
        return {"error": error_payload(exc), "attrs": {"code": code} if isinstance(code, str) else {}}
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    return {"result": result}


def error_payload(exc: BaseException, error_type: str | None = None) -> dict[str, Any]:
    return {
        "errorType": error_type or type(exc).__name__,
        "errorMessage": str(exc),
        "stackTrace": traceback.format_tb(exc.__traceback__),
    }


def apply_patches(patches: list[list[Any]]) -> None:
    """Restore what earlier patches changed, then set `[module, attribute, value]` each."""
    for (module, attr), original in _PATCHED.items():
        setattr(importlib.import_module(module), attr, original)
    _PATCHED.clear()
    for module, attr, value in patches:
        target = importlib.import_module(module)
        _PATCHED[(module, attr)] = getattr(target, attr)
        setattr(target, attr, value)


def _send(conn: Connection, message: dict[str, Any]) -> None:
    conn.send_bytes(json.dumps(message, default=str).encode())


if __name__ == "__main__":
    main()
