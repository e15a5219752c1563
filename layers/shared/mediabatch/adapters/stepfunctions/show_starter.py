"""Starts the show batch state machine: the item list goes to S3 first (a show may have
hundreds of episodes; an execution's input is limited to 256 KB), the execution reads it with
its ItemReader."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from mediabatch.adapters.stepfunctions.starters import execution_name

ITEMS_PREFIX = "staging/show-items"  # the bucket's lifecycle removes staging/ after two days


class ShowBatchOrchestrator:
    def __init__(self, state_machine_arn: str, sfn: Any, s3: Any, bucket: str) -> None:
        self._arn = state_machine_arn
        self._sfn = sfn
        self._s3 = s3
        self._bucket = bucket

    def start(
        self, *, tenant_id: str, batch_id: str, concurrent_limit: int, job_ids: list[str], round: int = 1
    ) -> None:
        """The BatchWorkflow port; named after the batch and round, so starting twice is harmless."""
        name = execution_name(batch_id, round)
        key = f"{ITEMS_PREFIX}/{tenant_id}/{name}.json"
        items = json.dumps([{"job_id": job_id} for job_id in job_ids], separators=(",", ":"))
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=items.encode(), ContentType="application/json")
        payload = {
            "tenant_id": tenant_id,
            "batch_id": batch_id,
            "concurrent_limit": concurrent_limit,
            "items": {"bucket": self._bucket, "key": key},
        }
        try:
            self._sfn.start_execution(stateMachineArn=self._arn, name=name, input=json.dumps(payload))
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ExecutionAlreadyExists":
                raise
