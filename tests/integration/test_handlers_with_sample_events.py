"""Every function of template.yaml runs with its sample event (events/<LogicalId>.json) on the
local cloud and answers what AWS would get back. The samples name a batch, job and media item
that do not exist (under a fresh tenant), so each answer is the handler's "nothing to do" one."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from localcloud import LocalCloud
from localcloud.cloud import REPO_ROOT
from localcloud.template import load_template

EVENTS = REPO_ROOT / "events"
SAMPLE_TENANT = "tenant-a"


def template_functions() -> list[str]:
    resources = load_template(REPO_ROOT / "template.yaml")["Resources"]
    return sorted(lid for lid, res in resources.items() if res["Type"] == "AWS::Serverless::Function")


def sample(logical_id: str, tenant_id: str) -> Any:
    path = EVENTS / f"{logical_id}.json"
    assert path.exists(), f"{logical_id} has no sample event: add {path.relative_to(REPO_ROOT)}"
    return json.loads(path.read_text().replace(SAMPLE_TENANT, tenant_id))


def check_api(cloud: LocalCloud, event: Any) -> None:
    response = cloud.function("ApiFunction").invoke(event)
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"status": "ok"}


def check_download_job(cloud: LocalCloud, event: Any) -> None:
    result = cloud.function("RunDownloadJobFunction").invoke(event)
    assert result["job_id"] == event["job_id"] and result["status"] == "missing"


def check_job_crash(cloud: LocalCloud, event: Any) -> None:
    result = cloud.function("RecordJobCrashFunction").invoke(event)
    assert result["job_id"] == event["job_id"] and result["status"] == "missing"


def check_finalize_batch(cloud: LocalCloud, event: Any) -> None:
    result = cloud.function("FinalizeBatchFunction").invoke(event)
    assert result == {"batch_id": event["batch_id"], "finalized_now": None}


def check_media_processing(cloud: LocalCloud, event: Any) -> None:
    # The error propagates: the state machine's Catch records it on the item.
    with pytest.raises(Exception) as raised:
        cloud.function("MediaProcessingFunction").invoke(event)
    assert getattr(raised.value, "code", None) == "media_not_found", raised.value


def check_webhook_sender(cloud: LocalCloud, event: Any) -> None:
    # No such batch, so no webhook URL: the message is consumed, not retried.
    result = cloud.function("WebhookSenderFunction").invoke(event)
    assert result == {"batchItemFailures": []}


def check_document_embedding(cloud: LocalCloud, event: Any) -> None:
    # A crash report for a job that does not exist changes nothing.
    result = cloud.function("DocumentEmbeddingFunction").invoke(event)
    assert result == {"index": 0, "status": "unchanged"}


def check_reconcile(cloud: LocalCloud, event: Any) -> None:
    # A scheduled pass over the session's table: what it did is reported, nothing raised.
    result = cloud.function("ReconcileFunction").invoke(event)
    assert set(result) == {"started", "requeued_jobs", "failed", "announced", "finalized"}
    assert isinstance(result["requeued_jobs"], int) and all(isinstance(result[k], list) for k in ("started", "failed"))


CHECKS: dict[str, Callable[[LocalCloud, Any], None]] = {
    "DocumentEmbeddingFunction": check_document_embedding,
    "ApiFunction": check_api,
    "RunDownloadJobFunction": check_download_job,
    "RecordJobCrashFunction": check_job_crash,
    "FinalizeBatchFunction": check_finalize_batch,
    "MediaProcessingFunction": check_media_processing,
    "WebhookSenderFunction": check_webhook_sender,
    "ReconcileFunction": check_reconcile,
}


@pytest.mark.integration
@pytest.mark.parametrize("logical_id", template_functions())
def test_function_runs_with_its_sample_event(cloud: LocalCloud, logical_id: str) -> None:
    event = sample(logical_id, "it-" + uuid.uuid4().hex)
    assert logical_id in CHECKS, f"{logical_id}: add a check of its answer to CHECKS"
    CHECKS[logical_id](cloud, event)


def test_every_sample_event_belongs_to_a_function() -> None:
    stray = {p.stem for p in EVENTS.glob("*.json")} - set(template_functions())
    assert not stray, f"sample events for functions the template does not have: {sorted(stray)}"
