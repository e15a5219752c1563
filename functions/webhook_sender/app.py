"""SQS consumer: fan product events out to their endpoints, deliver signed webhooks one endpoint
at a time; retry later with backoff, dead-letter at the end."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from mediabatch import container
from mediabatch.webhooks.models import WebhookEvent, parse_queue_message

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)


class DeliveryFailed(Exception):
    pass


# A delivery attempt takes at most ~10 s; one started with less time left could be cut off by
# the Lambda timeout, and then every message of the batch would come back.
MIN_SECONDS_PER_ATTEMPT = 15


def record_handler(record: SQSRecord, lambda_context: LambdaContext | None = None) -> None:
    """Powertools passes the invocation's context (it looks for a `lambda_context` parameter).
    An EventBridge event is fanned out into one delivery message per endpoint; a delivery
    message is one attempt at one endpoint, retried on its own."""
    if lambda_context is not None and lambda_context.get_remaining_time_in_millis() < MIN_SECONDS_PER_ATTEMPT * 1000:
        raise DeliveryFailed("not enough time left in this invocation; the message comes back")
    message = parse_queue_message(json.loads(record.body))
    if isinstance(message, WebhookEvent):
        tasks = container.webhook_fan_out().fan_out(message)
        metrics.add_metric(name="WebhookFannedOut", unit=MetricUnit.Count, value=len(tasks))
        return
    receive_count = int(record.attributes.approximate_receive_count or 1)
    outcome = container.webhook_delivery_service().deliver(message, receive_count)
    if outcome.delivered:
        metrics.add_metric(name="WebhookDelivered", unit=MetricUnit.Count, value=1)
        return
    if not outcome.retry:
        metrics.add_metric(name="WebhookDropped", unit=MetricUnit.Count, value=1)
        # The endpoint went away, or the receiver refused for good: its owner's business (the
        # delivery log shows it), not the service's.
        logger.info("webhook not delivered, not retryable", extra={"reason": outcome.reason})
        return
    delay = container.webhook_backoff().delay_for(receive_count)
    container.delivery_queue().postpone(record.receipt_handle, delay)
    metrics.add_metric(name="WebhookRetried", unit=MetricUnit.Count, value=1)
    raise DeliveryFailed(f"webhook delivery failed ({outcome.reason}); retry in {delay} s")


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
