"""Functions run as Lambda runs them: in warm worker processes of their own, each with exactly
its function's environment, killed past Timeout or MemorySize with Lambda's errors, replaced
when they crash, and the API serves a second request while a first one is slow. A throwaway
template, served by `python -m localcloud` in a child process (one local cloud per process)."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from localcloud.cloud import REPO_ROOT

pytestmark = pytest.mark.integration

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function: {Runtime: python3.11, Timeout: 10, MemorySize: 128, CodeUri: functions/probe/}
Resources:
  ApiFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.api
      Environment: {Variables: {SHARED_NAME: from-api, MEDIABATCH_API_ONLY: "yes"}}
      Events:
        Slow: {Type: HttpApi, Properties: {Path: /slow, Method: GET}}
        Fast: {Type: HttpApi, Properties: {Path: /fast, Method: GET}}
  EnvFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.env
      Environment: {Variables: {SHARED_NAME: from-env-function}}
  HangFunction:
    Type: AWS::Serverless::Function
    Properties: {Handler: app.hang, Timeout: 2}
  BalloonFunction:
    Type: AWS::Serverless::Function
    Properties: {Handler: app.balloon, MemorySize: 128}
  CrashFunction:
    Type: AWS::Serverless::Function
    Properties: {Handler: app.crash}
  CatchTimeoutStateMachine:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: statemachines/catch.asl.json
      DefinitionSubstitutions: {HangArn: !GetAtt HangFunction.Arn}
"""

APP = """
import json, os, time

def api(event, context):
    if event["rawPath"] == "/slow":
        time.sleep(4)
    body = {"pid": os.getpid(), "shared": os.environ.get("SHARED_NAME")}
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}

def env(event, context):
    print("env-probe ran", flush=True)
    return {
        "pid": os.getpid(),
        "shared": os.environ.get("SHARED_NAME"),
        "api_only": os.environ.get("MEDIABATCH_API_ONLY"),
        "memory": context.memory_limit_in_mb,
        "remaining_ms": context.get_remaining_time_in_millis(),
    }

def hang(event, context):
    time.sleep(60)

def balloon(event, context):
    hog = bytearray(400 * 2**20)
    for i in range(0, len(hog), 4096):
        hog[i] = 1
    time.sleep(5)
    return len(hog)

def crash(event, context):
    if event.get("exit"):
        os._exit(3)
    return {"pid": os.getpid()}
"""

CATCH_ASL = {
    "StartAt": "Hang",
    "States": {
        "Hang": {
            "Type": "Task",
            "Resource": "${HangArn}",
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
            "End": True,
        },
        "Caught": {"Type": "Pass", "End": True},
    },
}


@dataclass
class Throwaway:
    api: str
    endpoint: str
    proc: subprocess.Popen[str]
    output: list[str]

    def client(self, service: str) -> Any:
        keys = {"region_name": "us-east-1", "aws_access_key_id": "localcloud", "aws_secret_access_key": "localcloud"}
        return boto3.client(service, endpoint_url=self.endpoint, **keys)

    def invoke(self, name: str, event: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        """(payload, FunctionError) of a synchronous Lambda Invoke through moto's Lambda API."""
        function = f"mediabatch-local-{name}"
        answer = self.client("lambda").invoke(FunctionName=function, Payload=json.dumps(event).encode())
        return json.loads(answer["Payload"].read()), answer.get("FunctionError")


def start_throwaway(root: Path) -> Throwaway:
    (root / "template.yaml").write_text(TEMPLATE)
    (root / "functions" / "probe").mkdir(parents=True)
    (root / "functions" / "probe" / "app.py").write_text(textwrap.dedent(APP))
    (root / "statemachines").mkdir()
    (root / "statemachines" / "catch.asl.json").write_text(json.dumps(CATCH_ASL))
    inherited = ("PATH", "HOME", "LANG", "TMPDIR")
    env = {k: v for k, v in os.environ.items() if k in inherited} | {"PYTHONPATH": str(REPO_ROOT)}
    argv = [sys.executable, "-m", "localcloud", "--root", str(root), "--port", "0", "--data-dir", str(root / "data")]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=root)
    assert proc.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()
    stdout = proc.stdout
    threading.Thread(target=lambda: [*map(lines.put, stdout), lines.put(None)], daemon=True).start()
    output: list[str] = []
    deadline = time.monotonic() + 90
    while not output or output[-1].strip() != "ready":
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            line = None
        if line is None:
            proc.kill()
            pytest.fail("local cloud did not start:\n" + "".join(output))
        output.append(line)
    threading.Thread(target=lambda: [*map(output.append, iter(lines.get, None))], daemon=True).start()
    urls = {line.split()[0]: next(w for w in line.split() if w.startswith("http")) for line in output if "http" in line}
    return Throwaway(urls["mediabatch"], urls["emulated"], proc, output)


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Throwaway]:
    throwaway = start_throwaway(tmp_path_factory.mktemp("workers"))
    yield throwaway
    throwaway.proc.terminate()
    throwaway.proc.wait(timeout=30)


def test_a_function_runs_in_a_worker_with_exactly_its_own_environment(cloud: Throwaway) -> None:
    first, error = cloud.invoke("EnvFunction", {})
    assert error is None, first
    api = requests.get(f"{cloud.api}/fast", timeout=30).json()
    # Two functions give one variable different values: each sees its own.
    assert (first["shared"], api["shared"]) == ("from-env-function", "from-api")
    assert first["api_only"] is None  # another function's variable is not in its environment
    assert first["pid"] not in (cloud.proc.pid, api["pid"]) and first["memory"] == 128
    assert 0 < first["remaining_ms"] <= 10_000
    again, _ = cloud.invoke("EnvFunction", {})
    assert again["pid"] == first["pid"]  # warm: the same execution environment serves again


def test_a_slow_request_does_not_stall_another(cloud: Throwaway) -> None:
    requests.get(f"{cloud.api}/fast", timeout=30)  # a warm worker
    with ThreadPoolExecutor(2) as pool:
        slow = pool.submit(requests.get, f"{cloud.api}/slow", timeout=30)
        time.sleep(0.5)
        started = time.monotonic()
        fast = requests.get(f"{cloud.api}/fast", timeout=30)
        fast_seconds = time.monotonic() - started
        assert fast.status_code == 200 and not slow.done()
        assert slow.result().status_code == 200
    assert fast_seconds < 3.0  # not behind the 4 s request
    assert fast.json()["pid"] != slow.result().json()["pid"]


def test_past_its_timeout_a_function_is_killed_with_lambdas_error(cloud: Throwaway) -> None:
    started = time.monotonic()
    payload, error = cloud.invoke("HangFunction", {})
    assert time.monotonic() - started < 15
    assert error  # moto names every failed invoke "Handled"; AWS says "Unhandled"
    assert payload["errorType"] == "Sandbox.Timedout"
    assert payload["errorMessage"].endswith("Task timed out after 2.00 seconds")


def test_step_functions_catch_a_timed_out_task_as_on_aws(cloud: Throwaway) -> None:
    sfn = cloud.client("stepfunctions")
    arn = next(m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"] if "Catch" in m["name"])
    run_arn = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    deadline = time.monotonic() + 30
    while (run := sfn.describe_execution(executionArn=run_arn))["status"] == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert run["status"] == "SUCCEEDED", run
    caught = json.loads(run["output"])
    assert caught["Error"] == "Sandbox.Timedout"
    assert "Task timed out after 2.00 seconds" in json.loads(caught["Cause"])["errorMessage"]


def test_past_its_memory_size_a_function_is_killed_with_lambdas_error(cloud: Throwaway) -> None:
    payload, error = cloud.invoke("BalloonFunction", {})
    assert error  # moto names every failed invoke "Handled"; AWS says "Unhandled"
    assert payload["errorType"] == "Runtime.OutOfMemory"
    assert payload["errorMessage"].endswith("Runtime exited with error: signal: killed")


def test_a_crashed_worker_is_replaced_and_the_cloud_stays_up(cloud: Throwaway) -> None:
    before, _ = cloud.invoke("CrashFunction", {})
    payload, error = cloud.invoke("CrashFunction", {"exit": True})
    assert error  # moto names every failed invoke "Handled"; AWS says "Unhandled"
    assert payload["errorType"] == "Runtime.ExitError"
    assert payload["errorMessage"].endswith("Runtime exited with error: exit status 3")
    after, error = cloud.invoke("CrashFunction", {})
    assert error is None and after["pid"] != before["pid"]
    assert cloud.proc.poll() is None
    assert requests.get(f"{cloud.api}/fast", timeout=30).status_code == 200


def test_workers_log_into_the_clouds_output_under_their_function_name(cloud: Throwaway) -> None:
    cloud.invoke("EnvFunction", {})
    deadline = time.monotonic() + 10
    while "[EnvFunction] env-probe ran\n" not in cloud.output and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "[EnvFunction] env-probe ran\n" in cloud.output


def test_killing_the_cloud_leaves_no_worker_behind(tmp_path: Path) -> None:
    """`kill -9` of the cloud: its workers end with it (their pipe to it closes)."""
    cloud = start_throwaway(tmp_path)
    try:
        cloud.invoke("EnvFunction", {})
        workers = _children_running("localcloud.worker", cloud.proc.pid)
        assert len(workers) >= 2  # the API's, warmed at start, and EnvFunction's
    finally:
        cloud.proc.kill()
        cloud.proc.wait(timeout=30)
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in workers if _alive(pid)]


def _children_running(marker: str, parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if marker in cmdline and ppid == parent:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
