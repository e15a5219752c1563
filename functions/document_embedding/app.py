"""Document embedding worker (a container image on AWS: torch and the model do not fit a zip).

Steps of the DocumentEmbeddingStateMachine: `file` (extract, chunk, embed and store one file of
a job), `crash` (the Map's Catch: that file's worker died) and `finalize`. And, invoked by the
API (it carries neither the model nor Chroma's client): `search`, `collections`,
`delete_collection` on physical collection names the API has already scoped to the tenant."""

from __future__ import annotations

import dataclasses
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


def pipeline_step(step: str, event: dict[str, Any]) -> dict[str, Any]:
    pipeline = container.document_pipeline()
    tenant_id, job_id = event["tenant_id"], event["job_id"]
    if step == "file":
        done = pipeline.process_file(tenant_id, job_id, int(event["index"]))
        return {"index": done.index, "status": done.status.value, "chunks": done.chunks}
    if step == "crash":
        failed = pipeline.record_crash(tenant_id, job_id, int(event["index"]), crash_message(event.get("failure")))
        return {"index": int(event["index"]), "status": failed.status.value if failed else "unchanged"}
    return {"job_id": job_id, "status": pipeline.finalize(tenant_id, job_id).value}


def index_step(step: str, event: dict[str, Any]) -> Any:
    index = container.local_document_index()
    if step == "search":
        hits = index.search(event["collection"], event["query"], int(event["n_results"]))
        return None if hits is None else [{**dataclasses.asdict(h), "kind": h.kind.value} for h in hits]
    if step == "collections":
        return [dataclasses.asdict(c) for c in index.collections(event["prefix"])]
    return index.delete_collection(event["collection"])


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> Any:
    step = event["step"]
    if step in ("file", "crash", "finalize"):
        return pipeline_step(step, event)
    if step in ("search", "collections", "delete_collection"):
        return index_step(step, event)
    raise ValueError(f"unknown step {step!r}")
