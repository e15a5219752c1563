"""Step Functions Catch target: the download task itself failed (timeout, crash)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.parser import BaseModel, event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from mediabatch import container
from mediabatch.task_failures import TaskFailure, describe_failure

logger = Logger()
tracer = Tracer()


class CrashedJob(BaseModel):
    tenant_id: str
    batch_id: str
    job_id: str
    crash: TaskFailure


# Messages of these errors describe the invocation (timeouts, memory), not the account: safe to
# show users. Others (AccessDenied, …) may name roles and ARNs: users get the error name only.
_PUBLIC_ERRORS = ("Sandbox.", "States.", "Runtime.")


def _describe(crash: TaskFailure) -> str:
    if not crash.Error.startswith(_PUBLIC_ERRORS):
        return crash.Error
    reason = describe_failure(crash.Error, crash.Cause)
    return crash.Error if reason == crash.Error else f"{crash.Error}: {reason}"


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@event_parser(model=CrashedJob)
def lambda_handler(event: CrashedJob, context: LambdaContext) -> dict[str, Any]:
    logger.warning("download task crashed", extra={"job_id": event.job_id, "error": event.crash.Error})
    return asdict(
        container.download_job_runner().record_crash(
            event.tenant_id, event.batch_id, event.job_id, _describe(event.crash)
        )
    )
