"""Which AWS calls each function of the template makes, and the IAM permission each needs.

While the integration and e2e suites run, every botocore API call and presigned URL made
inside a function invocation of the local cloud is attributed to that function and turned into
the (IAM action, resource ARN) pairs AWS would authorize it against. Functions run in worker
processes: each worker runs `install_in_worker` (a LOCALCLOUD_WORKER_HOOKS hook) and appends
its calls, as JSON lines, to the file named by LOCALCLOUD_AWS_CALLS_FILE, which the test process
reads at the end. In the inline mode a context variable set around `LocalFunction.invoke`
(carried into the threads the function starts) attributes the calls made in this process."""

from __future__ import annotations

import concurrent.futures
import contextvars
import json
import os
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

CURRENT_FUNCTION: contextvars.ContextVar[str | None] = contextvars.ContextVar("current_function", default=None)
UNKNOWN = "*"  # a resource the call's parameters do not name
CALLS_FILE_ENV = "LOCALCLOUD_AWS_CALLS_FILE"
WORKER_HOOK = "tests.support.aws_calls:install_in_worker"


@dataclass(frozen=True, order=True)
class Need:
    """One permission a call needs: IAM action and the resource ARN it acts on."""

    action: str
    resource: str


@dataclass(frozen=True, order=True)
class Call:
    function: str  # logical id in template.yaml
    operation: str  # e.g. s3.UploadPart (presigned: s3.UploadPart (presigned))
    needs: tuple[Need, ...]


# S3 operations whose IAM action has another name (the others are s3:<Operation>).
_S3_ACTIONS = {
    "HeadObject": "GetObject",
    "CreateMultipartUpload": "PutObject",
    "UploadPart": "PutObject",
    "CompleteMultipartUpload": "PutObject",
    "CopyObject": "PutObject",
    "UploadPartCopy": "PutObject",
    "DeleteObjects": "DeleteObject",
    "ListParts": "ListMultipartUploadParts",
    "ListObjectsV2": "ListBucket",
    "ListObjects": "ListBucket",
    "HeadBucket": "ListBucket",
    "ListMultipartUploads": "ListBucketMultipartUploads",
}
_SQS_BATCH = {
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}
_DDB_TRANSACT = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


@dataclass(frozen=True)
class Where:
    region: str
    account: str

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account}:{resource}"


def needs_of(prefix: str, op: str, params: dict[str, Any], where: Where) -> tuple[Need, ...]:
    """The permissions AWS checks for `op` of the service whose IAM prefix is `prefix`."""
    handler = _BY_SERVICE.get(prefix)
    needs = handler(op, params, where) if handler else [Need(f"{prefix}:{op}", UNKNOWN)]
    return tuple(sorted(set(needs)))


def _s3(op: str, params: dict[str, Any], where: Where) -> list[Need]:
    action = "s3:" + _S3_ACTIONS.get(op, op)
    bucket = params.get("Bucket", "")
    if op == "DeleteObjects":
        keys = [o["Key"] for o in params.get("Delete", {}).get("Objects", [])]
        return [Need(action, f"arn:aws:s3:::{bucket}/{key}") for key in keys]
    resource = f"arn:aws:s3:::{bucket}/{params['Key']}" if "Key" in params else f"arn:aws:s3:::{bucket}"
    needs = [Need(action, resource)]
    source = params.get("CopySource")
    if source:
        if isinstance(source, dict):
            source = f"{source['Bucket']}/{source['Key']}"
        needs.append(Need("s3:GetObject", "arn:aws:s3:::" + str(source).lstrip("/").split("?")[0]))
    return needs


def _dynamodb(op: str, params: dict[str, Any], where: Where) -> list[Need]:
    def table(name: str, index: str | None = None) -> str:
        arn = name if name.startswith("arn:") else where.arn("dynamodb", f"table/{name}")
        return f"{arn}/index/{index}" if index else arn

    if op in ("TransactWriteItems", "TransactGetItems"):
        needs = []
        for item in params.get("TransactItems", []):
            for kind, body in item.items():
                action = "GetItem" if kind == "Get" else _DDB_TRANSACT[kind]
                needs.append(Need(f"dynamodb:{action}", table(body["TableName"])))
        return needs
    if op in ("BatchWriteItem", "BatchGetItem"):
        return [Need(f"dynamodb:{op}", table(name)) for name in params.get("RequestItems", {})]
    if "TableName" not in params:
        return [Need(f"dynamodb:{op}", UNKNOWN)]
    return [Need(f"dynamodb:{op}", table(params["TableName"], params.get("IndexName")))]


def _sqs(op: str, params: dict[str, Any], where: Where) -> list[Need]:
    name = params.get("QueueName") or urlparse(params.get("QueueUrl", "")).path.rstrip("/").rsplit("/", 1)[-1]
    return [Need("sqs:" + _SQS_BATCH.get(op, op), where.arn("sqs", name) if name else UNKNOWN)]


def _events(op: str, params: dict[str, Any], where: Where) -> list[Need]:
    if op != "PutEvents":
        return [Need(f"events:{op}", UNKNOWN)]
    buses = {e.get("EventBusName") or "default" for e in params.get("Entries", [])}
    return [
        Need("events:PutEvents", b if b.startswith("arn:") else where.arn("events", f"event-bus/{b}")) for b in buses
    ]


def _states(op: str, params: dict[str, Any], where: Where) -> list[Need]:
    arn = params.get("stateMachineArn") or params.get("executionArn") or UNKNOWN
    return [Need(f"states:{op}", arn)]


def _lambda(op: str, params: dict[str, Any], where: Where) -> list[Need]:
    action = "lambda:InvokeFunction" if op == "Invoke" else f"lambda:{op}"
    name = params.get("FunctionName", "")
    if not name:
        return [Need(action, UNKNOWN)]
    return [Need(action, name if name.startswith("arn:") else where.arn("lambda", f"function:{name}"))]


_BY_SERVICE: dict[str, Callable[[str, dict[str, Any], Where], list[Need]]] = {
    "s3": _s3,
    "dynamodb": _dynamodb,
    "sqs": _sqs,
    "events": _events,
    "states": _states,
    "lambda": _lambda,
}


class CallRecorder:
    """Installs the hooks (once per process) and collects the calls. In a worker,
    `function` names the worker's function and `sink` writes each call to the shared file."""

    def __init__(self, account: str, function: str | None = None, sink: Callable[[Call], None] | None = None) -> None:
        self.account = account
        self.calls: Counter[Call] = Counter()
        self._lock = threading.Lock()
        self._function = function
        self._sink = sink

    def record(self, client: Any, operation_model: Any, params: dict[str, Any], presigned: bool) -> None:
        function = self._function or CURRENT_FUNCTION.get()
        if function is None:
            return  # the test itself, the local cloud's provisioning or its event pollers
        model = operation_model.service_model
        prefix = model.signing_name or model.endpoint_prefix
        where = Where(client.meta.region_name or "us-east-1", self.account)
        op = operation_model.name
        call = Call(
            function, f"{prefix}.{op}" + (" (presigned)" if presigned else ""), needs_of(prefix, op, params, where)
        )
        if self._sink is not None:
            self._sink(call)
            return
        with self._lock:
            self.calls[call] += 1

    def read_worker_calls(self, path: str) -> int:
        """Add the calls workers wrote to `path`; how many lines were read."""
        count = 0
        try:
            with open(path) as fh:
                for line in fh:
                    if not line.endswith("\n"):
                        continue  # a worker killed mid-write
                    function, operation, needs = json.loads(line)
                    call = Call(function, operation, tuple(Need(a, r) for a, r in needs))
                    self.calls[call] += 1
                    count += 1
        except FileNotFoundError:
            return 0
        return count

    def install_emit_hook(self) -> None:
        import botocore.client

        recorder = self
        emit = botocore.client.BaseClient._emit_api_params

        def recording_emit(client: Any, api_params: Any, operation_model: Any, context: Any) -> Any:
            params = emit(client, api_params, operation_model, context)
            presigned = bool(context.get("is_presign_request")) if isinstance(context, dict) else False
            recorder.record(client, operation_model, params or api_params or {}, presigned)
            return params

        botocore.client.BaseClient._emit_api_params = recording_emit

    def install(self) -> None:
        from localcloud.functions import LocalFunction

        self.install_emit_hook()
        invoke = LocalFunction.invoke

        def attributed_invoke(fn: LocalFunction, event: Any) -> Any:
            token = CURRENT_FUNCTION.set(fn.logical_id)
            try:
                return invoke(fn, event)
            finally:
                CURRENT_FUNCTION.reset(token)

        LocalFunction.invoke = attributed_invoke  # type: ignore[method-assign,assignment]
        _carry_into_threads()


def install_in_worker() -> None:
    """In a worker of the local cloud: every call of this process is its function's."""
    path = os.environ.get(CALLS_FILE_ENV)
    if not path:
        return
    from localcloud.template import ACCOUNT_ID

    function = json.loads(os.environ["LOCALCLOUD_FUNCTION"])["logical_id"]
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def append(call: Call) -> None:  # one write of one line: lines of workers never interleave
        line = json.dumps([call.function, call.operation, [[n.action, n.resource] for n in call.needs]])
        os.write(fd, (line + "\n").encode())

    CallRecorder(ACCOUNT_ID, function, append).install_emit_hook()


def _carry_into_threads() -> None:
    """Threads and pool tasks started during an invocation belong to that invocation's function
    (boto3's transfer manager uploads parts from a pool)."""
    thread_init = threading.Thread.__init__
    bootstrap = threading.Thread._bootstrap_inner  # type: ignore[attr-defined]
    submit = concurrent.futures.ThreadPoolExecutor.submit

    def init(self: threading.Thread, *args: Any, **kwargs: Any) -> None:
        thread_init(self, *args, **kwargs)
        self._recorded_function = CURRENT_FUNCTION.get()  # type: ignore[attr-defined]

    def bootstrap_inner(self: threading.Thread) -> None:
        function = getattr(self, "_recorded_function", None)
        if function is not None:
            CURRENT_FUNCTION.set(function)
        bootstrap(self)

    def submit_in_context(self: Any, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        function = CURRENT_FUNCTION.get()
        if function is None:
            return submit(self, fn, *args, **kwargs)

        def run() -> Any:
            token = CURRENT_FUNCTION.set(function)
            try:
                return fn(*args, **kwargs)
            finally:
                CURRENT_FUNCTION.reset(token)

        return submit(self, run)

    threading.Thread.__init__ = init  # type: ignore[method-assign]
    threading.Thread._bootstrap_inner = bootstrap_inner  # type: ignore[attr-defined]
    concurrent.futures.ThreadPoolExecutor.submit = submit_in_context  # type: ignore[method-assign]
