"""Lambda's SQS event source mapping, locally: poll, invoke, delete what succeeded."""

from __future__ import annotations

import hashlib
import logging
import threading
from typing import Any

from localcloud.provision import SqsSource

logger = logging.getLogger("localcloud.sqs")


class SqsPoller:
    def __init__(self, source: SqsSource, sqs: Any, region: str) -> None:
        self._source = source
        self._sqs = sqs
        self._region = region
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._loop, daemon=True, name=f"localcloud-sqs-{source.function.logical_id}"
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once(wait_seconds=1)
            except Exception:  # keep polling; a broken handler must not kill the mapping
                logger.exception("SQS poll for %s failed", self._source.function.name)
                self._stop.wait(1)

    def poll_once(self, wait_seconds: int = 0) -> int:
        messages = self._sqs.receive_message(
            QueueUrl=self._source.queue_url,
            MaxNumberOfMessages=min(10, self._source.batch_size),
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return 0
        event = {"Records": [self._record(m) for m in messages]}
        failed: set[str] = set()
        try:
            result = self._source.function.invoke(event)
            if self._source.report_batch_item_failures and isinstance(result, dict):
                failed = {f["itemIdentifier"] for f in result.get("batchItemFailures") or []}
        except Exception:
            logger.exception("%s failed on a batch of %d", self._source.function.name, len(messages))
            return len(messages)  # nothing deleted: every message comes back after its visibility timeout
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self._sqs.delete_message_batch(
                QueueUrl=self._source.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        return len(messages)

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {
                k: {
                    "stringValue": v.get("StringValue"),
                    "binaryValue": v.get("BinaryValue"),
                    "dataType": v.get("DataType"),
                }
                for k, v in (message.get("MessageAttributes") or {}).items()
            },
            "md5OfBody": message.get("MD5OfBody") or hashlib.md5(message["Body"].encode()).hexdigest(),  # noqa: S324
            "eventSource": "aws:sqs",
            "eventSourceARN": self._source.queue_arn,
            "awsRegion": self._region,
        }
