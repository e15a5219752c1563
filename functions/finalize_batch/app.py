"""Last state of the batch state machine: make sure the batch reached its terminal state."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.parser import BaseModel, event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from mediabatch import container
from mediabatch.task_failures import TaskFailure

logger = Logger()
tracer = Tracer()


class BatchRef(BaseModel):
    tenant_id: str
    batch_id: str
    # Set by the Catch on the Map: the workflow failed and will run no further jobs.
    workflow_failure: TaskFailure | None = None


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@event_parser(model=BatchRef)
def lambda_handler(ref: BatchRef, context: LambdaContext) -> dict[str, Any]:
    finalizer = container.batch_finalizer()
    if ref.workflow_failure is not None:
        logger.error("batch workflow failed", extra={"batch_id": ref.batch_id, "error": ref.workflow_failure.Error})
        status = finalizer.abandon(ref.tenant_id, ref.batch_id, "not run: the batch workflow failed")
    else:
        status = finalizer.finalize_if_done(ref.tenant_id, ref.batch_id, repair=True)
    return {"batch_id": ref.batch_id, "finalized_now": status.value if status else None}
