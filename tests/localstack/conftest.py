"""LocalStack's S3 for this package: unlike moto, it checks presigned SigV4 signatures (signed
headers, expiry), so what a presigned URL binds can only be proven here.

LocalStack needs Python 3.12 and lives in its own venv, .venv-localstack (`make setup` builds it).
It runs as a subprocess in its own session on a free 127.0.0.1 port with a throwaway
FILESYSTEM_ROOT, and its whole process group is killed at the end, whatever happened."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
LOCALSTACK_PYTHON = REPO_ROOT / ".venv-localstack" / "bin" / "python"
START_TIMEOUT_S = 60.0
STOP_GRACE_S = 5.0
START_ATTEMPTS = 3  # a free port can be taken between choosing it and LocalStack binding it

# Only what LocalStack needs from our environment: the suite's own AWS_* settings (moto's endpoint,
# fake credentials) must not leak into it.
_PASSED_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _log_tail(log_path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(log_path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the whole process group, SIGKILL if it is still there after a grace period."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            continue
        # The leader is gone; make sure nothing it started in its group survives it.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        return


def _wait_until_ready(proc: subprocess.Popen[bytes], endpoint: str, deadline: float) -> str | None:
    """None once S3 is up; otherwise why not (the process exited, or time ran out)."""
    session = requests.Session()
    session.trust_env = False  # never through a proxy: it is on 127.0.0.1
    last = "no answer yet"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return f"LocalStack exited with code {proc.returncode}"
        try:
            response = session.get(f"{endpoint}/_localstack/health", timeout=2)
            if response.ok:
                state = response.json().get("services", {}).get("s3")
                if state in ("available", "running"):
                    return None
                last = f"s3 is {state!r}"
            else:
                last = f"health answered {response.status_code}"
        except (requests.RequestException, ValueError) as exc:
            last = type(exc).__name__
        time.sleep(0.2)
    return f"LocalStack not ready after {START_TIMEOUT_S:.0f} s ({last})"


@pytest.fixture(scope="session")
def localstack_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """http://127.0.0.1:<port> of a LocalStack S3 that validates presigned signatures."""
    if not LOCALSTACK_PYTHON.exists():
        pytest.fail(
            f"{LOCALSTACK_PYTHON.relative_to(REPO_ROOT)} is missing: LocalStack (Python 3.12) is not "
            "installed. Run `make setup` (it builds .venv-localstack from requirements-localstack.txt).",
            pytrace=False,
        )
    failures = []
    for attempt in range(1, START_ATTEMPTS + 1):
        root = tmp_path_factory.mktemp("localstack")
        log_path = root / "localstack.log"
        port = _free_port()
        env = {name: os.environ[name] for name in _PASSED_ENV if name in os.environ}
        env.update(
            {
                "OVERRIDE_IN_DOCKER": "0",
                "FILESYSTEM_ROOT": str(root / "fs"),
                "GATEWAY_LISTEN": f"127.0.0.1:{port}",
                "SKIP_SSL_CERT_DOWNLOAD": "1",
                "S3_SKIP_SIGNATURE_VALIDATION": "0",  # the point of it all
                "SERVICES": "s3",
                "EAGER_SERVICE_LOADING": "1",
                "DNS_ADDRESS": "0",  # no DNS server on port 53
                "DISABLE_EVENTS": "1",  # no analytics
            }
        )
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                [str(LOCALSTACK_PYTHON), "-m", "localstack.runtime.main"],
                cwd=root,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            endpoint = f"http://127.0.0.1:{port}"
            problem = _wait_until_ready(proc, endpoint, time.monotonic() + START_TIMEOUT_S)
            if problem is None:
                yield endpoint
                return
            failures.append(f"attempt {attempt} (port {port}): {problem}\n{_log_tail(log_path)}")
            if proc.poll() is None:  # alive but not ready in time: do not try again
                break
        finally:
            _stop(proc)
    pytest.fail("LocalStack did not start:\n" + "\n\n".join(failures), pytrace=False)
