"""The local cloud has no list of routes, functions, queues or state machines of its own: a
throwaway template with new ones runs with no other change (`python -m localcloud`)."""

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

import boto3
import pytest
import requests
from botocore.config import Config

from localcloud.cloud import REPO_ROOT

pytestmark = pytest.mark.e2e

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Greeting: {Type: String, Default: hello}
Globals:
  Function: {Runtime: python3.11, Timeout: 10}
Resources:
  GreeterFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/greeter/
      Handler: app.handler
      Environment:
        Variables: {GREETING: !Ref Greeting, FLOW_ARN: !Ref FlowStateMachine}
      Events:
        Greet: {Type: HttpApi, Properties: {Path: "/greet/{name}", Method: GET}}
        Start: {Type: HttpApi, Properties: {Path: /flows, Method: POST}}
  DoublerFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/doubler/
      Handler: app.handler
      Environment:
        Variables: {NOTES_QUEUE_URL: !Ref NotesQueue}
  ArchiverFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/archiver/
      Handler: app.handler
      Environment:
        Variables: {ARCHIVE_BUCKET: !Ref ArchiveBucket}
      Events:
        Notes:
          Type: SQS
          Properties: {Queue: !GetAtt NotesQueue.Arn, BatchSize: 5, FunctionResponseTypes: [ReportBatchItemFailures]}
  FlowStateMachine:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: statemachines/flow.asl.json
      DefinitionSubstitutions: {DoublerArn: !GetAtt DoublerFunction.Arn}
  TriplerFunction:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: functions/tripler/, Handler: app.handler}
  ItemsStateMachine:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: statemachines/items.asl.json
      DefinitionSubstitutions: {TriplerArn: !GetAtt TriplerFunction.Arn}
  NotesQueue:
    Type: AWS::SQS::Queue
  ArchiveBucket:
    Type: AWS::S3::Bucket
  ItemsBucket:
    Type: AWS::S3::Bucket
"""

FILES = {
    "functions/greeter/app.py": """
        import json, os, boto3
        def handler(event, context):
            if event["routeKey"] == "POST /flows":
                sfn = boto3.client("stepfunctions", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
                run = sfn.start_execution(stateMachineArn=os.environ["FLOW_ARN"], input=event["body"])
                return {"statusCode": 202, "body": json.dumps({"executionArn": run["executionArn"]})}
            name = event["pathParameters"]["name"]
            return {"statusCode": 200, "headers": {"content-type": "application/json"},
                    "body": json.dumps({"message": f"{os.environ['GREETING']}, {name}"})}
    """,
    "functions/doubler/app.py": """
        import os, boto3
        def handler(event, context):
            sqs = boto3.client("sqs", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
            sqs.send_message(QueueUrl=os.environ["NOTES_QUEUE_URL"], MessageBody=f"doubled-{event['n'] * 2}")
            return {"result": event["n"] * 2}
    """,
    "functions/archiver/app.py": """
        import os, boto3
        def handler(event, context):
            s3 = boto3.client("s3")  # boto3 reads AWS_ENDPOINT_URL_S3, which the local cloud sets
            for record in event["Records"]:
                s3.put_object(Bucket=os.environ["ARCHIVE_BUCKET"], Key=record["body"], Body=b"seen")
            return {"batchItemFailures": []}
    """,
    "functions/tripler/app.py": """
        def handler(event, context):
            return {"n": event["n"] * 3, "tag": event["tag"]}
    """,
    # A Distributed Map over an item list in S3 (what the show batch state machine does).
    "statemachines/items.asl.json": """
        {"StartAt": "Each", "States": {"Each": {
            "Type": "Map",
            "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSON"},
                           "Parameters": {"Bucket.$": "$.bucket", "Key.$": "$.key"}},
            "MaxConcurrencyPath": "$.concurrency",
            "ItemSelector": {"n.$": "$$.Map.Item.Value.n", "tag.$": "$.tag"},
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                              "StartAt": "Triple",
                              "States": {"Triple": {"Type": "Task", "Resource": "${TriplerArn}", "End": true}}},
            "End": true}}}
    """,
    "statemachines/flow.asl.json": """
        {"StartAt": "Double", "States": {"Double": {"Type": "Task", "Resource": "${DoublerArn}", "End": true}}}
    """,
}


@pytest.fixture(scope="module")
def throwaway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str]]:
    root = tmp_path_factory.mktemp("throwaway")
    (root / "template.yaml").write_text(TEMPLATE)
    for rel, text in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).strip() + "\n")
    # A clean environment: the in-process cloud of this test session set AWS and table variables.
    inherited = ("PATH", "HOME", "LANG", "TMPDIR", "SYSTEMROOT")
    env = {k: v for k, v in os.environ.items() if k in inherited} | {"PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "localcloud",
            "--root",
            str(root),
            # Port 0: the child binds what it is given and prints it, so no port chosen here can
            # be taken by another process before the child binds it.
            "--port",
            "0",
            "--parameter-overrides",
            "Greeting=bonjour",
            "--data-dir",
            str(root / "data"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=root,
    )
    assert proc.stdout is not None
    # A reader thread, so the deadline holds even when the child prints nothing at all.
    output: queue.Queue[str | None] = queue.Queue()
    stdout = proc.stdout
    threading.Thread(target=lambda: [*map(output.put, stdout), output.put(None)], daemon=True).start()
    lines: list[str] = []
    deadline = time.monotonic() + 60
    while not lines or lines[-1].strip() != "ready":
        try:
            line = output.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            break
        if line is None:
            break
        lines.append(line)
    if not lines or lines[-1].strip() != "ready":
        proc.kill()
        pytest.fail("local cloud did not start:\n" + "".join(lines))
    urls = {
        key: next(word for word in line.split() if word.startswith("http"))
        for line in lines
        for key in ("API:", "AWS:", "S3:")
        if key in line.split()[:2]
    }
    yield urls["API:"], urls["AWS:"], urls["S3:"]
    proc.terminate()
    proc.wait(timeout=10)


def test_new_route_with_path_parameter_and_template_parameter(throwaway: tuple[str, str, str]) -> None:
    base, _, _ = throwaway
    response = requests.get(f"{base}/greet/ada", timeout=10)
    assert response.status_code == 200
    assert response.json() == {"message": "bonjour, ada"}


def test_new_state_machine_function_and_queue_run(throwaway: tuple[str, str, str]) -> None:
    base, endpoint, s3_endpoint = throwaway
    started = requests.post(f"{base}/flows", json={"n": 21}, timeout=10)
    assert started.status_code == 202
    sfn = boto3.client(
        "stepfunctions",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    s3 = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="localcloud",
        aws_secret_access_key="localcloud",
        config=Config(s3={"addressing_style": "path"}),
    )
    arn = started.json()["executionArn"]
    deadline = time.monotonic() + 30
    while (run := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert run["status"] == "SUCCEEDED" and '"result": 42' in run["output"].replace('"result":42', '"result": 42')
    bucket = next(b["Name"] for b in s3.list_buckets()["Buckets"] if "archivebucket" in b["Name"])
    while time.monotonic() < deadline:
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
        if keys:
            break
        time.sleep(0.2)
    assert keys == ["doubled-42"]


def test_a_distributed_map_reads_its_items_from_the_local_s3(throwaway: tuple[str, str, str]) -> None:
    """ItemReader `arn:aws:states:::s3:getObject` with InputType JSON: the item list is read
    from the local S3, not carried in the execution input."""
    _, endpoint, s3_endpoint = throwaway
    keys = {"region_name": "us-east-1", "aws_access_key_id": "localcloud", "aws_secret_access_key": "localcloud"}
    sfn = boto3.client("stepfunctions", endpoint_url=endpoint, **keys)
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, config=Config(s3={"addressing_style": "path"}), **keys)
    bucket = next(b["Name"] for b in s3.list_buckets()["Buckets"] if "itemsbucket" in b["Name"])
    s3.put_object(Bucket=bucket, Key="lists/run.json", Body=json.dumps([{"n": n} for n in range(1, 31)]).encode())
    arn = next(m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"] if "Items" in m["name"])
    run_input = {"bucket": bucket, "key": "lists/run.json", "concurrency": 4, "tag": "t"}
    started = sfn.start_execution(stateMachineArn=arn, input=json.dumps(run_input))["executionArn"]
    deadline = time.monotonic() + 60
    while (run := sfn.describe_execution(executionArn=started))["status"] == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert run["status"] == "SUCCEEDED", run
    assert json.loads(run["output"]) == [{"n": 3 * n, "tag": "t"} for n in range(1, 31)]


def test_unknown_route_is_404_like_api_gateway(throwaway: tuple[str, str, str]) -> None:
    base, _, _ = throwaway
    response = requests.get(f"{base}/nope", timeout=10)
    # A template without a catch-all route: API Gateway itself answers, with its own body.
    assert response.status_code == 404 and response.json() == {"message": "Not Found"}
