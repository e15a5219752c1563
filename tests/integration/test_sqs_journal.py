"""SQS keeps its messages across a restart: what is still in a queue is in the journal of the
data folder (localcloud/sqs_journal.py), and what was deleted is not."""

from __future__ import annotations

import uuid

from localcloud import LocalCloud
from localcloud.sqs_journal import SqsJournal


def test_the_journal_holds_exactly_the_messages_still_queued(cloud: LocalCloud) -> None:
    sqs = cloud.client("sqs")
    name = f"it-journal-{uuid.uuid4().hex[:12]}"
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    try:
        sqs.send_message(QueueUrl=url, MessageBody="kept")
        sqs.send_message(QueueUrl=url, MessageBody="consumed")
        received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)["Messages"]
        done = next(m for m in received if m["Body"] == "consumed")
        sqs.delete_message(QueueUrl=url, ReceiptHandle=done["ReceiptHandle"])

        # What a restart would send again (read as the next start reads it).
        live = SqsJournal(cloud.data_dir / "sqs-journal.jsonl").live_messages()

        assert [body for queue, body, _ in live if queue == name] == ["kept"]
    finally:
        sqs.delete_queue(QueueUrl=url)
