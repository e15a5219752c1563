"""The fault plan (localcloud/faults.py) is one file shared by processes: what a counted rule
allows is consumed exactly once over all of them, and a process started with the plan's
environment follows it through the worker hook. The faults answer before any network, so the
clients here point at a closed port."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from localcloud import faults

CALL = """
import os, importlib
module, _, func = os.environ["LOCALCLOUD_WORKER_HOOKS"].partition(":")
getattr(importlib.import_module(module), func)()
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
ddb = boto3.client("dynamodb", endpoint_url="http://127.0.0.1:9", region_name="us-east-1",
    aws_access_key_id="x", aws_secret_access_key="x", config=Config(retries={"total_max_attempts": 1}))
try:
    ddb.list_tables()
except ClientError as exc:
    print(exc.response["Error"]["Code"])
except Exception as exc:
    print(type(exc).__name__)
"""


@pytest.fixture
def plan_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "faults.json"
    monkeypatch.setenv(faults.FAULTS_FILE_ENV, str(path))
    monkeypatch.setenv(faults.WORKER_HOOKS_ENV, faults.HOOK)
    yield path
    faults.clear()


def run_worker() -> str:
    done = subprocess.run([sys.executable, "-c", CALL], capture_output=True, text=True, timeout=120, env=os.environ)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_counted_fault_is_consumed_once_over_all_processes(plan_file: Path) -> None:
    faults.set_plan([{"name": "three", "kind": "server_error", "service": "dynamodb", "count": 3}])
    answers = [run_worker() for _ in range(4)]
    # The fourth call met no fault: it went to the network (a closed port).
    assert answers == ["InternalServerError"] * 3 + ["EndpointConnectionError"]
    assert json.loads(plan_file.read_text())["rules"][0]["count"] == 0
    pids = {json.loads(line)["pid"] for line in plan_file.with_suffix(".log").read_text().splitlines()}
    assert len(pids) == 3 and os.getpid() not in pids
    assert faults.stats() == {"three": {"faults": 3, "retries": 0}}


def test_no_plan_file_means_no_faults(plan_file: Path) -> None:
    assert not plan_file.exists()
    assert run_worker() == "EndpointConnectionError"


def test_a_latency_rule_waits_then_sends_the_request_and_is_not_a_fault(
    plan_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the media_operations benchmark models AWS's round trips with: the request still goes
    to the network (here a closed port), after a wait of the rule's seconds, and nothing is logged."""
    import boto3
    from botocore.config import Config

    waits: list[float] = []
    monkeypatch.setattr(faults.time, "sleep", waits.append)
    faults.set_plan([{"name": "rtt", "kind": "latency", "service": "dynamodb", "seconds": 0.01, "rate": 1.0}])
    ddb = boto3.client(
        "dynamodb",
        endpoint_url="http://127.0.0.1:9",
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=2),
    )
    with pytest.raises(Exception, match="Could not connect"):
        ddb.list_tables()
    assert waits == [0.01]
    assert faults.stats() == {}
