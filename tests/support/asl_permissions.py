"""The IAM permissions a Step Functions definition needs from its role, read off the ASL:
each Task's service integration, and what a Distributed Map does itself."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.support.aws_calls import UNKNOWN, Need

_OPTIMISED = {
    "lambda:invoke": ("lambda:InvokeFunction", "FunctionName"),
    "events:putEvents": ("events:PutEvents", None),
    "states:startExecution": ("states:StartExecution", "StateMachineArn"),
    "sqs:sendMessage": ("sqs:SendMessage", None),
    "s3:getObject": ("s3:GetObject", None),
    "s3:listObjectsV2": ("s3:ListBucket", None),
    "s3:putObject": ("s3:PutObject", None),
}


def needs_of_definition(definition: dict[str, Any], own_arn: str) -> set[Need]:
    needs: set[Need] = set()
    for state in _states(definition):
        if state.get("Type") == "Task":
            needs |= _task_needs(state["Resource"], state.get("Parameters") or state.get("Arguments") or {})
        if state.get("Type") == "Map":
            config = (state.get("ItemProcessor") or {}).get("ProcessorConfig") or {}
            if config.get("Mode") == "DISTRIBUTED":
                # Child workflow executions are started, described and stopped by the parent.
                needs |= {Need(f"states:{a}", own_arn) for a in ("StartExecution",)}
            for key in ("ItemReader", "ResultWriter"):
                if key in state:
                    needs |= _task_needs(state[key]["Resource"], state[key].get("Parameters") or {})
    return needs


def _states(definition: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for state in (definition.get("States") or {}).values():
        yield state
        for branch in state.get("Branches", []):
            yield from _states(branch)
        for key in ("ItemProcessor", "Iterator"):
            if key in state:
                yield from _states(state[key])


def _task_needs(resource: str, params: dict[str, Any]) -> set[Need]:
    if resource.startswith("arn:aws:lambda:"):
        return {Need("lambda:InvokeFunction", resource)}
    prefix = "arn:aws:states:::"
    if not resource.startswith(prefix):
        return {Need("unknown:" + resource, UNKNOWN)}
    integration = resource.removeprefix(prefix)
    if integration.startswith("aws-sdk:"):
        service, _, op = integration.removeprefix("aws-sdk:").partition(":")
        return {Need(f"{service}:{op[:1].upper()}{op[1:]}", UNKNOWN)}
    base = integration.split(".")[0]  # .sync, .waitForTaskToken
    action, target_key = _OPTIMISED.get(base, (base, None))
    if base == "events:putEvents":
        buses = {e.get("EventBusName", "default") for e in params.get("Entries", [])}
        return {Need(action, b if b.startswith("arn:") else UNKNOWN) for b in buses}
    target = params.get(target_key) if target_key else None
    return {Need(action, target if isinstance(target, str) and target.startswith("arn:") else UNKNOWN)}
