"""Where moto, which still plays Step Functions, SQS, EventBridge, Lambda and IAM, needs help.

Its Step Functions interpreter builds its boto3 clients at moto's own port with dummy keys; S3
and DynamoDB now live in their own parts (localcloud/parts.py), so an ItemReader, a ResultWriter
or an `aws-sdk` task on S3/DynamoDB must be sent there, signed with the local cloud's keys.
moto also lists its package folder from disk on every request (cached here).
"""

from __future__ import annotations

import sys
from typing import Any

_patched = False


def cache_moto_module_list() -> None:
    from moto import backends

    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules


def route_step_functions_clients(endpoints: dict[str, str], access_key: str, secret_key: str) -> None:
    """Make the interpreter's clients for the services in `endpoints` (boto3 names) use them."""
    global _patched
    if _patched:
        return
    import importlib

    import boto3
    from botocore.config import Config
    from moto.stepfunctions.parser.asl.utils import boto_client as module

    original = module.boto_client_for

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        endpoint = endpoints.get(service)
        if endpoint is None:
            return original(region, service, state_credentials)
        return boto3.session.Session().client(
            service,
            region_name=region,
            endpoint_url=endpoint,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=Config(parameter_validation=False, s3={"addressing_style": "path"}),
        )

    for name in (
        "moto.stepfunctions.parser.asl.component.state.exec.state_map.item_reader.eval.resource_eval_s3",
        "moto.stepfunctions.parser.asl.component.state.exec.state_map.result_writer.resource_eval.resource_eval_s3",
        "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk",
        "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_dynamodb",
    ):
        importlib.import_module(name)
    # Each module imported the function by name: replace every copy.
    for name, mod in list(sys.modules.items()):
        if name.startswith("moto.stepfunctions.") and vars(mod).get("boto_client_for") is original:
            mod.boto_client_for = boto_client_for  # type: ignore[attr-defined]
    _patched = True
