"""What `job.*` and `batch.*` events carry on the bus (integrators and webhooks read them: the
keys must not change)."""

from __future__ import annotations

from typing import Any

from mediabatch.downloads.models import BatchRecord, JobRecord, JobStatus


def job_event_detail(
    job: JobRecord, status: JobStatus, error: str | None, error_code: str | None = None
) -> dict[str, Any]:
    """`error_code` is the job's stable failure code (the same as on the job in the API), or
    None when the job did not fail."""
    return {
        "tenant_id": job.tenant_id,
        "batch_id": job.batch_id,
        "job_id": job.job_id,
        "url": job.url,
        "status": status.value,
        "error": error,
        "error_code": error_code,
    }


def batch_event_detail(batch: BatchRecord) -> dict[str, Any]:
    """Counters and times of a batch. Not the webhook URL: it may hold a token, and the bus is
    read by others; the sender looks it up on the batch. Show batches add `show_url` and
    `folder`, retry rounds add `round`: batches of URLs in their first round carry the same keys
    as ever."""
    detail: dict[str, Any] = {
        "batch_id": batch.batch_id,
        "status": batch.status.value,
        "total_jobs": batch.total_jobs,
        "completed_jobs": batch.completed_jobs,
        "failed_jobs": batch.failed_jobs,
        "running_jobs": batch.running_jobs,
        "queued_jobs": batch.queued_jobs,
        "cancelled_jobs": batch.cancelled_jobs,
        "tenant_id": batch.tenant_id,
        "created_at": batch.created_at,
        "started_at": batch.started_at,
        "completed_at": batch.completed_at,
        "duration_sec": batch.duration_sec(),
        "error": batch.error,
    }
    if batch.is_show:
        detail.update(show_url=batch.show_url, folder=batch.folder)
    if batch.round > 1:
        detail["round"] = batch.round
    return detail
