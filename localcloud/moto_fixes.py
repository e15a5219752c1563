"""Where moto, which still plays Step Functions, SQS, EventBridge, Lambda and IAM, needs help.

Its Step Functions interpreter builds its boto3 clients at moto's own port with dummy keys; S3
and DynamoDB now live in their own parts (localcloud/parts.py), so an ItemReader, a ResultWriter
or an `aws-sdk` task on S3/DynamoDB must be sent there, signed with the local cloud's keys.
moto also lists its package folder from disk on every request (cached here), and its
interpreter builds a new boto3 client for every task it runs (kept here: one per service).
"""

from __future__ import annotations

import sys
import threading
from typing import Any

_patched = False


def cache_moto_module_list() -> None:
    from moto import backends

    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules


# Clients the interpreter shares: a Map of 100 (a show batch) runs 100 tasks at once.
_POOL_CONNECTIONS = 128


def route_step_functions_clients(endpoints: dict[str, str], access_key: str, secret_key: str) -> None:
    """Make the interpreter's clients for the services in `endpoints` (boto3 names) use them,
    and keep one client per region and service: moto builds a new boto3 client for every task
    it runs (every Lambda invoke of a Map's items), tens of ms of CPU each, which showed as
    ~100 ms between one item's end and the next item's start in a slot (bench
    `download_concurrency`). boto3 clients are thread-safe; moto's own ignore the state's
    credentials, so one per (region, service) answers every task alike."""
    global _patched
    if _patched:
        return
    import importlib

    import boto3
    from botocore.config import Config
    from moto.core.models import botocore_stubber
    from moto.settings import moto_server_port
    from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import TimeoutSeconds
    from moto.stepfunctions.parser.asl.utils import boto_client as module

    original = module.boto_client_for
    kept: dict[tuple[str, str], Any] = {}
    lock = threading.Lock()

    def build(region: str, service: str) -> Any:
        endpoint = endpoints.get(service)
        if endpoint is not None:
            return boto3.session.Session().client(
                service,
                region_name=region,
                endpoint_url=endpoint,
                aws_access_key_id=access_key,
                aws_secret_access_key=secret_key,
                config=Config(
                    parameter_validation=False,
                    s3={"addressing_style": "path"},
                    max_pool_connections=_POOL_CONNECTIONS,
                ),
            )
        if botocore_stubber.enabled:  # moto in-process (tests): its own way
            return original(region, service)
        # As moto's own (boto_client.py), with a pool for many tasks at once.
        return boto3.session.Session().client(
            service,
            region_name=region,
            endpoint_url=f"http://localhost:{moto_server_port()}",
            aws_access_key_id="ak",
            aws_secret_access_key="sk",  # noqa: S106  (moto's own dummy key)
            config=Config(
                parameter_validation=False,
                retries={"max_attempts": 0, "total_max_attempts": 1},
                connect_timeout=TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS,
                read_timeout=TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS,
                max_pool_connections=_POOL_CONNECTIONS,
            ),
        )

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        with lock:
            client = kept.get((region, service))
            if client is None:
                client = kept[(region, service)] = build(region, service)
        return client

    for name in (
        "moto.stepfunctions.parser.asl.component.state.exec.state_map.item_reader.eval.resource_eval_s3",
        "moto.stepfunctions.parser.asl.component.state.exec.state_map.result_writer.resource_eval.resource_eval_s3",
        "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk",
        "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_dynamodb",
        "moto.stepfunctions.parser.asl.component.state.exec.state_task.lambda_eval_utils",
    ):
        importlib.import_module(name)
    # Each module imported the function by name: replace every copy.
    for name, mod in list(sys.modules.items()):
        if name.startswith("moto.stepfunctions.") and vars(mod).get("boto_client_for") is original:
            mod.boto_client_for = boto_client_for  # type: ignore[attr-defined]
    _patched = True
