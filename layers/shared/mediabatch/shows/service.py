"""Show and playlist batches: a feed, show or playlist URL becomes one job per episode in one
batch; the jobs then run exactly like those of a batch of URLs (job runner, finalizer)."""

from __future__ import annotations

import re

from mediabatch.clock import now_iso
from mediabatch.downloads.finalizer import BatchFinalizer
from mediabatch.downloads.models import BatchOptions, BatchRecord, JobRecord, LinkedJob
from mediabatch.downloads.ports import MediaFileStorage, UrlChecker
from mediabatch.downloads.retry import BatchRetry
from mediabatch.downloads.service import (
    BATCH_ID,
    check_webhook_url,
    job_id_for,
    linked_job,
    new_batch_id,
    url_problem,
)
from mediabatch.errors import NotFound, UnsafeUrl, ValidationFailed
from mediabatch.shows.models import (
    Episode,
    Expansion,
    ExpansionFailed,
    ExpansionTimedOut,
    ShowBatch,
    ShowRequest,
    Submission,
)
from mediabatch.shows.naming import episode_title, folder_template
from mediabatch.shows.ports import FeedExpander, ShowRepository, ShowWorkflow

# open.spotify.com/show/…, /episode/… (also behind an /intl-xx/ prefix): DRM-protected audio.
_SPOTIFY = re.compile(r"https?://open\.spotify\.com/(?:intl-[a-z-]+/)?(?:show|episode)/", re.IGNORECASE)
_JOB_ID = re.compile(r"job_(batch_[0-9a-f]{16})_(\d{1,6})")


class DrmProtected(ValidationFailed):
    code = "drm_protected"


class ShowService:
    def __init__(
        self,
        store: ShowRepository,
        workflow: ShowWorkflow,
        expander: FeedExpander,
        finalizer: BatchFinalizer,
        links: MediaFileStorage,
        policy: UrlChecker,
        *,
        concurrency: int,
        extraction_timeout_seconds: float,
    ) -> None:
        self._store = store
        self._workflow = workflow
        self._expander = expander
        self._finalizer = finalizer
        self._links = links
        self._policy = policy
        self._concurrency = concurrency
        self._timeout = extraction_timeout_seconds
        self._retry = BatchRetry(store, workflow, finalizer)

    def submit(self, tenant_id: str, request: ShowRequest) -> Submission:
        """Expand the URL and start one job per episode (one job for a single piece of media)."""
        self._check_url(request.url)
        if request.webhook_url is not None:
            check_webhook_url(self._policy, request.webhook_url)
        template = folder_template(request.folder)
        expansion = self._expand(request.url)
        episodes = expansion.episodes if expansion.is_list else [Episode(request.url)]
        batch_id, now = new_batch_id(), now_iso()
        jobs = [
            JobRecord(
                tenant_id=tenant_id,
                batch_id=batch_id,
                job_id=job_id_for(batch_id, i),
                index=i,
                url=episode.url,
                # A list's entries are named by their titles there; one piece of media by itself.
                title=episode_title(episode.title, episode.url, i) if expansion.is_list else None,
                created_at=now,
            )
            for i, episode in enumerate(episodes)
        ]
        batch = BatchRecord(
            tenant_id=tenant_id,
            batch_id=batch_id,
            # The show's concurrency is the service's (ShowConcurrency), not a per-request option.
            options=BatchOptions(path_template=template, webhook_url=request.webhook_url, concurrent_limit=10),
            total_jobs=len(jobs),
            queued_jobs=len(jobs),
            created_at=now,
            show_url=request.url,
            folder=request.folder,
        )
        self._store.create(batch, jobs)
        try:
            self._workflow.start(
                tenant_id=tenant_id,
                batch_id=batch_id,
                concurrent_limit=self._concurrency,
                job_ids=[job.job_id for job in jobs],
            )
        except Exception:
            # Never leave a batch that looks queued but will never run.
            self._finalizer.abandon(tenant_id, batch_id, "the batch could not be started; please retry")
            raise
        shown = ShowBatch(batch=batch, episode_jobs=[job.job_id for job in jobs])
        return Submission(batch=shown, single=None if expansion.is_list else LinkedJob(job=jobs[0]), episodes=episodes)

    def get_batch(self, tenant_id: str, batch_id: str) -> ShowBatch:
        batch, jobs = self._find(tenant_id, batch_id)
        return ShowBatch(batch=batch, episode_jobs=[job.job_id for job in jobs])

    def get_job(self, tenant_id: str, job_id: str) -> LinkedJob:
        match = _JOB_ID.fullmatch(job_id)
        batch, job = self._store.get_batch_and_job(tenant_id, match[1], int(match[2])) if match else (None, None)
        if batch is None or job is None or not batch.is_show or job.job_id != job_id:
            raise NotFound(f"job {job_id} not found", code="job_not_found")
        return linked_job(self._links, job)

    def retry(self, tenant_id: str, batch_id: str) -> ShowBatch:
        """The failed and cancelled episodes of a finished show batch run again, in place."""
        batch, jobs = self._find(tenant_id, batch_id)
        self._retry.retry(batch, jobs, concurrent_limit=self._concurrency)
        return self.get_batch(tenant_id, batch_id)

    # ------------------------------------------------------------------ internals
    def _find(self, tenant_id: str, batch_id: str) -> tuple[BatchRecord, list[JobRecord]]:
        found = self._store.get_batch_with_jobs(tenant_id, batch_id) if BATCH_ID.fullmatch(batch_id) else None
        if found is None or not found[0].is_show:
            raise NotFound(f"batch {batch_id} not found", code="batch_not_found")
        return found

    def _check_url(self, url: str) -> None:
        if _SPOTIFY.match(url):
            raise DrmProtected(
                "Spotify shows and episodes are DRM-protected and cannot be downloaded; "
                "submit the show's public RSS feed instead",
                details=[{"field": "url", "message": "DRM-protected (Spotify)"}],
            )
        reason = url_problem(url)
        if reason is None:
            try:
                self._policy.check_url(url, resolve=False)
            except UnsafeUrl as exc:
                reason = exc.message
        if reason is not None:
            raise ValidationFailed(
                f"url is invalid: {reason}", details=[{"field": "url", "message": reason}], code="invalid_url"
            )

    def _expand(self, url: str) -> Expansion:
        try:
            expansion = self._expander.expand(url, timeout_seconds=self._timeout)
        except ExpansionTimedOut as exc:
            raise ValidationFailed(
                f"reading the episodes took longer than {int(self._timeout)} s; try again later",
                code="extraction_timed_out",
            ) from exc
        except ExpansionFailed as exc:
            raise ValidationFailed(
                f"could not read episodes from this URL: {exc}",
                details=[{"field": "url", "message": str(exc)}],
                code="extraction_failed",
            ) from exc
        if expansion.is_list and not expansion.episodes:
            raise ValidationFailed(
                "this feed or playlist has no episodes to download",
                details=[{"field": "url", "message": "no episodes (no entry with media)"}],
                code="no_episodes",
            )
        return expansion
