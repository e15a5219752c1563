"""Create, read and cancel batch downloads (the API's use cases)."""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import urlsplit

from mediabatch.clock import now_iso
from mediabatch.downloads.expansion import BatchEntry, BatchUrlExpander
from mediabatch.downloads.failures import FailureCode
from mediabatch.downloads.finalizer import BatchFinalizer
from mediabatch.downloads.models import (
    MAX_URLS,
    BatchDetails,
    BatchDownloadRequest,
    BatchPage,
    BatchRecord,
    BatchStatus,
    JobRecord,
    JobStatus,
    LinkedJob,
    LinkedSubtitle,
)
from mediabatch.downloads.ports import BatchRepository, BatchWorkflow, MediaFileStorage, UrlChecker
from mediabatch.downloads.retry import BatchRetry
from mediabatch.errors import NotFound, UnsafeUrl, ValidationFailed
from mediabatch.paths import validate_path_template

BATCH_ID = re.compile(r"batch_[0-9a-f]{16}")


MAX_PAGE = 100


def new_batch_id() -> str:
    return "batch_" + uuid.uuid4().hex[:16]


def job_id_for(batch_id: str, index: int) -> str:
    return f"job_{batch_id}_{index}"


def job_index(job_id: str) -> int:
    return int(job_id.rsplit("_", 1)[1])


class BatchDownloadService:
    def __init__(
        self,
        store: BatchRepository,
        orchestrator: BatchWorkflow,
        finalizer: BatchFinalizer,
        links: MediaFileStorage,
        policy: UrlChecker,
        *,
        expansion: BatchUrlExpander | None = None,
    ) -> None:
        self._store = store
        self._expansion = expansion
        self._orchestrator = orchestrator
        self._finalizer = finalizer
        self._links = links
        self._policy = policy
        self._retry = BatchRetry(store, orchestrator, finalizer)

    def create(self, tenant_id: str, request: BatchDownloadRequest) -> BatchRecord:
        requested = [BatchEntry(url=url, source=f"urls[{i}]") for i, url in enumerate(request.urls)]
        self._validate_urls(requested)
        options = request.options()
        validate_path_template(options.path_template)
        if options.webhook_url is not None:
            self._validate_webhook_url(options.webhook_url)
        entries = self._expanded(requested)
        batch_id = new_batch_id()
        now = now_iso()
        jobs = [
            JobRecord(
                tenant_id=tenant_id,
                batch_id=batch_id,
                job_id=job_id_for(batch_id, i),
                index=i,
                url=entry.url,
                title=entry.title,
                created_at=now,
            )
            for i, entry in enumerate(entries)
        ]
        batch = BatchRecord(
            tenant_id=tenant_id,
            batch_id=batch_id,
            options=options,
            total_jobs=len(jobs),
            queued_jobs=len(jobs),
            created_at=now,
        )
        self._store.create(batch, jobs)
        try:
            self._orchestrator.start(
                tenant_id=tenant_id,
                batch_id=batch_id,
                concurrent_limit=options.concurrent_limit,
                job_ids=[j.job_id for j in jobs],
            )
        except Exception:
            # Never leave a batch that looks queued but will never run.
            if self._store.set_terminal(
                tenant_id, batch_id, BatchStatus.FAILED, error="the batch could not be started; please retry"
            ):
                for job in jobs:
                    self._store.finish_job(
                        job,
                        JobStatus.FAILED,
                        from_status=JobStatus.QUEUED,
                        error="the batch could not be started",
                        error_code=FailureCode.INTERNAL.value,
                    )
                self._finalizer.announce_pending(tenant_id, batch_id)
            raise
        return batch

    def list_batches(
        self, tenant_id: str, *, status: BatchStatus | None = None, limit: int = 20, cursor: str | None = None
    ) -> BatchPage:
        """The tenant's batches, newest first: how a lost batch_id is found again."""
        if not 1 <= limit <= MAX_PAGE:
            raise ValidationFailed(
                f"limit must be between 1 and {MAX_PAGE}",
                details=[{"field": "limit", "message": f"between 1 and {MAX_PAGE}"}],
            )
        batches, next_cursor = self._store.list_batches(tenant_id, status=status, limit=limit, cursor=cursor)
        return BatchPage(batches, next_cursor)

    def get(self, tenant_id: str, batch_id: str) -> BatchDetails:
        batch, jobs = self._find(tenant_id, batch_id)
        return BatchDetails(batch=batch, jobs=[self._linked(job) for job in jobs], duration_sec=batch.duration_sec())

    def cancel(self, tenant_id: str, batch_id: str) -> BatchDetails:
        """Queued jobs never start, running ones stop at their next progress write, and the
        batch ends `cancelled` at once. Cancelling a finished batch changes nothing."""
        batch, _ = self._find(tenant_id, batch_id)
        if not batch.status.is_terminal and self._store.set_terminal(
            tenant_id, batch_id, BatchStatus.CANCELLED, error="cancelled by the user"
        ):
            # Read the jobs again now that no job can start any more: one that started in
            # between is running, not queued.
            refreshed = self._store.get_batch_with_jobs(tenant_id, batch_id)
            for job in refreshed[1] if refreshed else []:
                if job.status is JobStatus.QUEUED and self._store.finish_job(
                    job,
                    JobStatus.CANCELLED,
                    from_status=JobStatus.QUEUED,
                    error="cancelled before it started",
                    error_code=FailureCode.CANCELLED.value,
                ):
                    self._finalizer.announce_job(
                        job, JobStatus.CANCELLED, "cancelled before it started", FailureCode.CANCELLED.value
                    )
                else:
                    self._store.request_cancel(job)  # conditional on `running`: a no-op otherwise
            self._finalizer.announce_pending(tenant_id, batch_id)
        return self.get(tenant_id, batch_id)

    def retry(self, tenant_id: str, batch_id: str) -> BatchDetails:
        """Run the failed and cancelled jobs of a finished batch again, in place (same batch,
        same job ids); the batch is queued again and ends, and is announced, once more."""
        batch, jobs = self._find(tenant_id, batch_id)
        self._retry.retry(batch, jobs, concurrent_limit=batch.options.concurrent_limit)
        return self.get(tenant_id, batch_id)

    def _find(self, tenant_id: str, batch_id: str) -> tuple[BatchRecord, list[JobRecord]]:
        found = self._store.get_batch_with_jobs(tenant_id, batch_id) if BATCH_ID.fullmatch(batch_id) else None
        if found is None:
            raise NotFound(f"batch {batch_id} not found", code="batch_not_found")
        return found

    def _linked(self, job: JobRecord) -> LinkedJob:
        return linked_job(self._links, job)

    def _expanded(self, requested: list[BatchEntry]) -> list[BatchEntry]:
        """Feeds and playlists replaced by their episodes (downloads/expansion.py); the expanded
        batch is held to the same limits and rules as the URLs a request names itself."""
        if self._expansion is None:
            return requested
        entries = self._expansion.expand([entry.url for entry in requested])
        if len(entries) > MAX_URLS:
            raise ValidationFailed(
                f"the URLs expand to {len(entries)} downloads (feeds and playlists count one per episode); "
                f"a batch holds at most {MAX_URLS}: submit large feeds to POST /jobs, which takes hundreds",
                details=[{"field": "urls", "message": f"expanded to {len(entries)} URLs, at most {MAX_URLS}"}],
                code="too_many_urls",
            )
        if entries != requested:
            self._validate_urls(entries)
        return entries

    def _validate_urls(self, entries: list[BatchEntry]) -> None:
        problems: list[dict[str, Any]] = []
        seen: dict[str, str] = {}
        for entry in entries:
            url, field = entry.url, entry.source
            reason = url_problem(url)
            if reason is None:
                try:
                    self._policy.check_url(url, resolve=False)
                except UnsafeUrl as exc:
                    reason = exc.message
            if reason is not None:
                problems.append({"field": field, "url": url, "message": reason})
                continue
            key = _normalise(url)
            if key in seen:
                problems.append({"field": field, "url": url, "message": f"duplicate of {seen[key]}"})
            else:
                seen[key] = field
        if problems:
            duplicates = all(p["message"].startswith("duplicate") for p in problems)
            listed = ", ".join(p["url"] or "(empty)" for p in problems[:10])
            raise ValidationFailed(
                f"{len(problems)} URL(s) are {'duplicated' if duplicates else 'invalid'}: {listed}",
                details=problems,
                code="duplicate_urls" if duplicates else "invalid_urls",
            )

    def _validate_webhook_url(self, url: str) -> None:
        check_webhook_url(self._policy, url)


def linked_job(links: MediaFileStorage, job: JobRecord) -> LinkedJob:
    """A job with time-limited links to its stored file and subtitles (when it has any)."""
    info = job.file_info
    if info is None:
        return LinkedJob(job=job)
    return LinkedJob(
        job=job,
        download_url=links.download_url(info.s3_key, info.filename),
        subtitles=[
            LinkedSubtitle(sub, links.download_url(sub.s3_key, sub.filepath.rsplit("/", 1)[-1]))
            for sub in info.subtitles
        ],
    )


def check_webhook_url(policy: UrlChecker, url: str) -> None:
    """Resolved now (one host): a webhook that could never be delivered is refused up front."""
    reason = url_problem(url)
    if reason is None:
        try:
            policy.check_url(url, resolve=True)
        except UnsafeUrl as exc:
            reason = exc.message
    if reason is not None:
        raise ValidationFailed(
            f"webhook_url is invalid: {reason}",
            details=[{"field": "webhook_url", "message": reason}],
            code="invalid_webhook_url",
        )


def url_problem(url: str) -> str | None:
    if not url:
        return "empty URL"
    if len(url) > 2048:
        return "URL is longer than 2048 characters"
    if any(c.isspace() or ord(c) < 32 for c in url):
        return "URL contains whitespace or control characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        return f"malformed URL: {exc}"
    if parts.scheme not in ("http", "https"):
        return "only http and https URLs are allowed"
    if not parts.hostname:
        return "URL has no host"
    return None


def _normalise(url: str) -> str:
    parts = urlsplit(url)
    return parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower(), fragment="").geturl()
