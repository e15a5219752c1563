"""The JSON shapes of the seed (batch-downloads-guide.md), built from stored records."""

from __future__ import annotations

from typing import Any, Protocol

from mediabatch.clock import parse_iso, utc_now
from mediabatch.downloads.models import BatchRecord, JobRecord, JobStatus


class LinkSigner(Protocol):
    def download_url(self, key: str, filename: str, ttl_seconds: int | None = None) -> str: ...


def duration_sec(batch: BatchRecord) -> float | None:
    start = batch.started_at or batch.created_at
    end = parse_iso(batch.completed_at) if batch.completed_at else utc_now()
    return round(max(0.0, (end - parse_iso(start)).total_seconds()), 1)


def job_view(job: JobRecord, links: LinkSigner) -> dict[str, Any]:
    file_info = None
    if job.file_info is not None:
        file_info = {
            "filename": job.file_info.filename,
            "filepath": job.file_info.filepath,
            "size_bytes": job.file_info.size_bytes,
            "content_type": job.file_info.content_type,
            "media_id": job.file_info.media_id,
            "subtitles": [
                {
                    "lang": sub.lang,
                    "filepath": sub.filepath,
                    "download_url": links.download_url(sub.s3_key, sub.filepath.rsplit("/", 1)[-1]),
                }
                for sub in job.file_info.subtitles
            ],
            "download_url": links.download_url(job.file_info.s3_key, job.file_info.filename),
        }
    return {
        "job_id": job.job_id,
        "url": job.url,
        "status": job.status.value,
        "title": job.title,
        "progress": {
            "percent": job.progress_percent,
            "downloaded_bytes": job.downloaded_bytes,
            "total_bytes": job.total_bytes,
        },
        "file_info": file_info,
        "error": job.error,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "completed_at": job.completed_at,
    }


def batch_view(batch: BatchRecord, jobs: list[JobRecord], links: LinkSigner) -> dict[str, Any]:
    return {
        **batch.summary(),
        "jobs": [job_view(job, links) for job in jobs],
        "created_at": batch.created_at,
        "started_at": batch.started_at,
        "completed_at": batch.completed_at,
        "duration_sec": duration_sec(batch),
        "error": batch.error,
    }


def job_event_detail(job: JobRecord, status: JobStatus, error: str | None) -> dict[str, Any]:
    return {
        "tenant_id": job.tenant_id,
        "batch_id": job.batch_id,
        "job_id": job.job_id,
        "url": job.url,
        "status": status.value,
        "error": error,
    }


def batch_event_detail(batch: BatchRecord) -> dict[str, Any]:
    """What integrators (and webhooks) receive about a batch. Not the webhook URL: it may hold a
    token, and the bus is read by others; the sender looks it up on the batch."""
    return {
        **batch.summary(),
        "tenant_id": batch.tenant_id,
        "created_at": batch.created_at,
        "started_at": batch.started_at,
        "completed_at": batch.completed_at,
        "duration_sec": duration_sec(batch),
        "error": batch.error,
    }
