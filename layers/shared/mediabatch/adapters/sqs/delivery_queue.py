"""The webhook delivery queue (SQS): postponing a message is how a delivery is retried later."""

from __future__ import annotations

from typing import Any

MAX_VISIBILITY_SECONDS = 12 * 3600  # SQS's limit


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
