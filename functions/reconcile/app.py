"""Scheduled: one reconciliation pass over every open batch (mediabatch.reconcile)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from mediabatch import container

logger = Logger()
tracer = Tracer()
# A batch younger than this may still be being started by the API call that created it.
MIN_AGE_SECONDS = 60.0


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """`event` is EventBridge's scheduled event. The local cloud also sends one when it starts,
    with `detail.after_restart`: then nothing can be in flight, and no batch is too young."""
    detail = event.get("detail") or {}
    min_age = 0.0 if detail.get("after_restart") else MIN_AGE_SECONDS
    report = container.reconciler().run(min_age_seconds=min_age)
    logger.info("reconciled", extra={"report": vars(report)})
    return {
        "started": report.started,
        "requeued_jobs": report.requeued_jobs,
        "failed": report.failed,
        "announced": report.announced,
        "finalized": report.finalized,
    }
