"""Integration fixtures: the real adapters against the session's local cloud (DynamoDB Local,
SeaweedFS and moto, provisioned from template.yaml by tests/conftest.py's `cloud`). Every test
gets its own tenant id, so tests never see each other's items in the shared table."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from localcloud import LocalCloud
from mediabatch import container
from mediabatch.adapters.dynamodb.batches import BatchTable
from mediabatch.clock import now_iso
from mediabatch.downloads.models import BatchOptions, BatchRecord, JobRecord
from mediabatch.downloads.service import job_id_for, new_batch_id

MakeBatch = Callable[..., tuple[BatchRecord, list[JobRecord]]]


@pytest.fixture
def tenant_id() -> str:
    return "it-" + uuid.uuid4().hex


@pytest.fixture
def store(cloud: LocalCloud) -> BatchTable:
    # Default construction on purpose: the table name and endpoint come from the environment the
    # local cloud set, exactly as in a Lambda.
    return container.batch_table()


def build_batch(tenant_id: str, n_jobs: int, **options: Any) -> tuple[BatchRecord, list[JobRecord]]:
    """A batch as BatchDownloadService.create builds it, without starting the state machine."""
    batch_id = new_batch_id()
    now = now_iso()
    jobs = [
        JobRecord(
            tenant_id=tenant_id,
            batch_id=batch_id,
            job_id=job_id_for(batch_id, i),
            index=i,
            url=f"https://media.example/{batch_id}/video-{i}.mp4",
            created_at=now,
        )
        for i in range(n_jobs)
    ]
    batch = BatchRecord(
        tenant_id=tenant_id,
        batch_id=batch_id,
        options=BatchOptions(**options),
        total_jobs=n_jobs,
        queued_jobs=n_jobs,
        created_at=now,
    )
    return batch, jobs


@pytest.fixture
def make_batch(store: BatchTable, tenant_id: str) -> MakeBatch:
    def make(n_jobs: int = 1, **options: Any) -> tuple[BatchRecord, list[JobRecord]]:
        batch, jobs = build_batch(tenant_id, n_jobs, **options)
        store.create(batch, jobs)
        return batch, jobs

    return make


class EventTap:
    """A temporary EventBridge rule on the system's bus that copies every `mediabatch` event
    into a temporary SQS queue: what a subscriber of the bus would receive."""

    def __init__(self, cloud: LocalCloud) -> None:
        self._events = cloud.client("events")
        self._sqs = cloud.client("sqs")
        self.bus = os.environ["EVENT_BUS_NAME"]
        suffix = uuid.uuid4().hex[:12]
        self.rule = f"it-tap-{suffix}"
        self.queue_url = self._sqs.create_queue(QueueName=f"it-tap-{suffix}")["QueueUrl"]
        queue_arn = self._sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self._events.put_rule(
            Name=self.rule, EventBusName=self.bus, EventPattern=json.dumps({"source": ["mediabatch"]})
        )
        self._events.put_targets(Rule=self.rule, EventBusName=self.bus, Targets=[{"Id": "tap", "Arn": queue_arn}])
        self._seen: list[dict[str, Any]] = []

    def events(self, batch_id: str) -> list[dict[str, Any]]:
        """Every event received so far about `batch_id` (drains the queue)."""
        while True:
            messages = self._sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
            ).get("Messages", [])
            if not messages:
                break
            for message in messages:
                self._seen.append(json.loads(message["Body"]))
            self._sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
            )
        return [e for e in self._seen if e.get("detail", {}).get("batch_id") == batch_id]

    def close(self) -> None:
        self._events.remove_targets(Rule=self.rule, EventBusName=self.bus, Ids=["tap"])
        self._events.delete_rule(Name=self.rule, EventBusName=self.bus)
        self._sqs.delete_queue(QueueUrl=self.queue_url)


@pytest.fixture
def event_tap(cloud: LocalCloud) -> Iterator[EventTap]:
    tap = EventTap(cloud)
    yield tap
    tap.close()
