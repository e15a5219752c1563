"""Step Functions task: run one download job of a batch."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import BaseModel, event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from mediabatch import container
from mediabatch.log_keys import invocation_keys

logger = Logger()
tracer = Tracer()
metrics = Metrics()


class JobTask(BaseModel):
    tenant_id: str
    batch_id: str
    job_id: str


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_parser(model=JobTask)
def lambda_handler(task: JobTask, context: LambdaContext) -> dict[str, Any]:
    with invocation_keys(logger, batch_id=task.batch_id, job_id=task.job_id, tenant_id=task.tenant_id):
        result = container.download_job_runner().run(
            task.tenant_id,
            task.batch_id,
            task.job_id,
            remaining_seconds=lambda: context.get_remaining_time_in_millis() / 1000.0,
        )
    metrics.add_metric(name=f"Job_{result.status}", unit=MetricUnit.Count, value=1)
    return asdict(result)
