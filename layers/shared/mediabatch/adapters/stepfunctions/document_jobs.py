"""Starts the document embedding state machine for one job (named after it: starting twice is
harmless)."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError


class DocumentJobOrchestrator:
    def __init__(self, state_machine_arn: str, sfn: Any, *, concurrency: int) -> None:
        self._arn = state_machine_arn
        self._sfn = sfn
        self._concurrency = concurrency

    def start(self, tenant_id: str, job_id: str, file_count: int) -> None:
        payload = {
            "tenant_id": tenant_id,
            "job_id": job_id,
            "concurrency": self._concurrency,
            "files": [{"index": i} for i in range(file_count)],
        }
        try:
            self._sfn.start_execution(stateMachineArn=self._arn, name=f"docs-{job_id}", input=json.dumps(payload))
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ExecutionAlreadyExists":
                raise
