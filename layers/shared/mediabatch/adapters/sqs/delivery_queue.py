"""The webhook delivery queue (SQS): one message per delivery task; postponing a message is
how a delivery is retried later, and the queue's redrive policy dead-letters it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from mediabatch.webhooks.models import DeliveryTask

MAX_VISIBILITY_SECONDS = 12 * 3600  # SQS's limit
SEND_BATCH = 10  # SQS's limit per SendMessageBatch


class DeliveryQueue:
    def __init__(self, queue_url: str, sqs: Any) -> None:
        self._url = queue_url
        self._sqs = sqs

    def postpone(self, receipt_handle: str, seconds: int) -> None:
        """The message comes back after `seconds` (its receive count decides the next delay)."""
        self._sqs.change_message_visibility(
            QueueUrl=self._url,
            ReceiptHandle=receipt_handle,
            VisibilityTimeout=max(0, min(seconds, MAX_VISIBILITY_SECONDS)),
        )

    def enqueue(self, tasks: Sequence[DeliveryTask]) -> None:
        """Raises RuntimeError when SQS refuses any of them."""
        for start in range(0, len(tasks), SEND_BATCH):
            chunk = tasks[start : start + SEND_BATCH]
            result = self._sqs.send_message_batch(
                QueueUrl=self._url,
                Entries=[
                    {"Id": str(i), "MessageBody": json.dumps(task.to_message(), default=str)}
                    for i, task in enumerate(chunk)
                ],
            )
            if result.get("Failed"):
                raise RuntimeError(f"SQS refused webhook deliveries: {result['Failed']}")
