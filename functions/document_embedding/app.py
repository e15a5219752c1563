"""Document embedding worker (a container image on AWS: torch and the model do not fit a zip).

One invocation per step of the DocumentEmbeddingStateMachine: `file` (extract, chunk, embed and
store one file of a job), `crash` (the Map's Catch: that file's worker died) and `finalize`."""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from mediabatch import container

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model is bundled: never fetch from a hub
logger = Logger()


def crash_message(failure: dict[str, Any] | None) -> str:
    """The Catch's `{"Error", "Cause"}`: Cause is the Lambda's error JSON (or a plain text)."""
    failure = failure or {}
    error = str(failure.get("Error") or "worker crashed")
    cause = str(failure.get("Cause") or "")
    return f"{error}: {cause[:300]}" if cause else error


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    pipeline = container.document_pipeline()
    tenant_id, job_id, step = event["tenant_id"], event["job_id"], event["step"]
    if step == "file":
        done = pipeline.process_file(tenant_id, job_id, int(event["index"]))
        return {"index": done.index, "status": done.status.value, "chunks": done.chunks}
    if step == "crash":
        failed = pipeline.record_crash(tenant_id, job_id, int(event["index"]), crash_message(event.get("failure")))
        return {"index": int(event["index"]), "status": failed.status.value if failed else "unchanged"}
    if step == "finalize":
        return {"job_id": job_id, "status": pipeline.finalize(tenant_id, job_id).value}
    raise ValueError(f"unknown step {step!r}")
