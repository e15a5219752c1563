"""Show, podcast-feed and playlist batches (`POST /jobs`, `GET /batch/{id}`, `GET /jobs/{id}`):
one batch with a job per episode; retry its failed episodes in place."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

from mediabatch_client.resources._base import WireModel
from mediabatch_client.resources._polling import last_of, poll
from mediabatch_client.transport import Transport, new_idempotency_key

__all__ = ["SHOW_TERMINAL", "EpisodeFile", "EpisodeJob", "ShowBatch", "ShowCreated", "Shows"]

SHOW_TERMINAL = frozenset({"completed", "finished"})


class ShowCreated(WireModel):
    """POST /jobs's answer for a show, feed or playlist."""

    wire_schema = "ShowBatchCreatedOut"
    batch_id: str
    total_episodes: int
    episode_jobs: list[str]


class EpisodeFile(WireModel):
    wire_schema = "EpisodeFileOut"
    filename: str
    filepath: str
    size_bytes: int
    content_type: str
    download_url: str


class EpisodeJob(WireModel):
    """One episode (GET /jobs/{id}); also POST /jobs's answer for a single media URL."""

    wire_schema = "EpisodeJobOut"
    id: str
    batch_id: str
    url: str
    status: str
    title: str | None
    file: EpisodeFile | None
    error: str | None
    error_code: str | None
    error_detail: str | None
    created_at: str
    completed_at: str | None

    @property
    def name(self) -> str:
        return self.title or self.url.rstrip("/").rsplit("/", 1)[-1] or self.url


class ShowBatch(WireModel):
    """GET /batch/{id}: `status` is processing, completed (every episode) or finished (some failed)."""

    wire_schema = "ShowBatchOut"
    id: str
    show_url: str
    status: str
    folder: str | None
    total_episodes: int
    completed_episodes: int
    failed_episodes: int
    episode_jobs: list[str]

    @property
    def finished(self) -> bool:
        return self.status in SHOW_TERMINAL

    @property
    def percent(self) -> float:
        if not self.total_episodes:
            return 100.0 if self.finished else 0.0
        return 100.0 * (self.completed_episodes + self.failed_episodes) / self.total_episodes


class Shows:
    """`client.shows`: a show URL becomes a batch of episode jobs."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def create(
        self,
        url: str,
        *,
        folder: str | None = None,
        webhook_url: str | None = None,
        idempotency_key: str | None = None,
    ) -> ShowCreated | EpisodeJob:
        """POST /jobs: a ShowCreated for a show/feed/playlist, an EpisodeJob for one media URL.
        Sent with an Idempotency-Key, so a retried call never starts a second batch."""
        body = {k: v for k, v in {"url": url, "folder": folder, "webhook_url": webhook_url}.items() if v is not None}
        data = self._t.request("POST", "/jobs", json=body, idempotency_key=idempotency_key or new_idempotency_key())
        if isinstance(data, dict) and "episode_jobs" in data:
            return ShowCreated.model_validate(data)
        return EpisodeJob.model_validate(data)

    def get(self, batch_id: str) -> ShowBatch:
        return ShowBatch.model_validate(self._t.request("GET", f"/batch/{quote(batch_id, safe='')}"))

    def job(self, job_id: str) -> EpisodeJob:
        return EpisodeJob.model_validate(self._t.request("GET", f"/jobs/{quote(job_id, safe='')}"))

    def episodes(self, batch: ShowBatch) -> list[EpisodeJob]:
        """Every episode job of the batch (one call each)."""
        return [self.job(job_id) for job_id in batch.episode_jobs]

    def retry(self, batch_id: str) -> ShowBatch:
        """POST /batch/{id}/retry: run the failed episodes again, in the same batch."""
        data = self._t.request("POST", f"/batch/{quote(batch_id, safe='')}/retry", safe=False)
        return ShowBatch.model_validate(data)

    def watch(self, batch_id: str, *, interval: float = 1.0, timeout: float | None = None) -> Iterator[ShowBatch]:
        """Each state of the batch, polled every `interval` s, the last one finished; raises
        TimeoutError after `timeout` s (None: no limit)."""
        return poll(lambda: self.get(batch_id), what=f"show batch {batch_id}", interval=interval, timeout=timeout)

    def wait(self, batch_id: str, *, interval: float = 1.0, timeout: float | None = None) -> ShowBatch:
        return last_of(self.watch(batch_id, interval=interval, timeout=timeout))
