"""Starts the batch state machine (Step Functions)."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from mediabatch.reconcile.models import RunState


def execution_name(batch_id: str, round: int) -> str:
    """`batch_x` for the first round, `batch_x-r2` for the first retry, and so on."""
    return batch_id if round == 1 else f"{batch_id}-r{round}"


class BatchOrchestrator:
    def __init__(self, state_machine_arn: str, sfn: Any) -> None:
        self._arn = state_machine_arn
        self._sfn = sfn

    def start(
        self, *, tenant_id: str, batch_id: str, concurrent_limit: int, job_ids: list[str], round: int = 1
    ) -> None:
        """The execution is named after the batch and round, so starting twice is harmless."""
        payload = {
            "tenant_id": tenant_id,
            "batch_id": batch_id,
            "concurrent_limit": concurrent_limit,
            "jobs": [{"job_id": job_id} for job_id in job_ids],
        }
        try:
            # Unique and short (names are at most 80 characters).
            self._sfn.start_execution(
                stateMachineArn=self._arn, name=execution_name(batch_id, round), input=json.dumps(payload)
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ExecutionAlreadyExists":
                raise

    def run_state(self, batch_id: str) -> RunState:
        """The state of the execution named after the batch (mediabatch.reconcile.ports)."""
        execution_arn = self._arn.replace(":stateMachine:", ":execution:", 1) + ":" + batch_id
        try:
            status = self._sfn.describe_execution(executionArn=execution_arn)["status"]
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("ExecutionDoesNotExist", "ResourceNotFoundException"):
                return RunState.MISSING
            raise
        return RunState.RUNNING if status in ("RUNNING", "PENDING_REDRIVE") else RunState.ENDED


class MediaProcessingOrchestrator:
    """Starts the media processing state machine for one media item
    (mediabatch.uploads.ports.ProcessingStarter). The execution is named after the item, so
    starting twice is harmless."""

    def __init__(self, state_machine_arn: str, sfn: Any) -> None:
        self._arn = state_machine_arn
        self._sfn = sfn

    def start(self, tenant_id: str, media_id: str) -> None:
        try:
            self._sfn.start_execution(
                stateMachineArn=self._arn,
                name=f"media-{media_id}",
                input=json.dumps({"tenant_id": tenant_id, "media_id": media_id}),
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ExecutionAlreadyExists":
                raise
