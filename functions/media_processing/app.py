"""Step Functions tasks of media processing: one `step` per state (probe, thumbnail, hls,
failed). Errors propagate so the state machine's Catch records them on the media item."""

from __future__ import annotations

from typing import Any, Literal

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.parser import BaseModel, event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from mediabatch import container
from mediabatch.log_keys import invocation_keys
from mediabatch.task_failures import TaskFailure, describe_failure

logger = Logger()
tracer = Tracer()


class ProcessingTask(BaseModel):
    step: Literal["probe", "thumbnail", "hls", "failed"]
    tenant_id: str
    media_id: str
    failure: TaskFailure | None = None


def describe(failure: TaskFailure | None) -> str:
    return describe_failure(failure.Error, failure.Cause) if failure else "processing failed"


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@event_parser(model=ProcessingTask)
def lambda_handler(task: ProcessingTask, context: LambdaContext) -> dict[str, Any]:
    with invocation_keys(logger, media_id=task.media_id, step=task.step):
        return run_step(task)


def run_step(task: ProcessingTask) -> dict[str, Any]:
    processor = container.media_processor()
    if task.step == "probe":
        return {"probe": processor.probe(task.tenant_id, task.media_id).as_dict()}
    if task.step == "thumbnail":
        return {"thumbnail_key": processor.thumbnail(task.tenant_id, task.media_id)}
    if task.step == "hls":
        return {"playlist_key": processor.package_hls(task.tenant_id, task.media_id)}
    processor.record_failure(task.tenant_id, task.media_id, describe(task.failure))
    return {"recorded": True}
