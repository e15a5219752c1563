"""In-memory fakes of mediabatch.downloads.ports, with the semantics the services rely on: every
transition conditional (the loser learns it lost), counters moving with their jobs, the media
item written in the same step as the job's completion."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mediabatch.catalog.models import MediaItem
from mediabatch.clock import now_iso
from mediabatch.downloads.models import (
    NOT_STARTED,
    BatchRecord,
    BatchStatus,
    DownloadResult,
    DownloadSpec,
    FileInfo,
    JobRecord,
    JobStatus,
    Progress,
    StartOutcome,
)
from mediabatch.downloads.ports import OnData, OnPlan
from mediabatch.errors import ValidationFailed

_ACTIVE = (BatchStatus.QUEUED, BatchStatus.RUNNING)
_COUNTER = {
    JobStatus.COMPLETED: "completed_jobs",
    JobStatus.FAILED: "failed_jobs",
    JobStatus.CANCELLED: "cancelled_jobs",
}


class InMemoryBatches:
    """BatchRepository. Reads return copies: a service never changes stored state by mutation."""

    def __init__(self) -> None:
        self.batches: dict[tuple[str, str], BatchRecord] = {}
        self.jobs: dict[tuple[str, str], dict[int, JobRecord]] = {}
        self.media: dict[tuple[str, str], MediaItem] = {}
        self.cancel_requested: set[tuple[str, str, int]] = set()

    # ------------------------------------------------------------------ create / read
    def create(self, batch: BatchRecord, jobs: list[JobRecord]) -> None:
        key = (batch.tenant_id, batch.batch_id)
        assert key not in self.batches
        self.jobs[key] = {j.index: j.model_copy(deep=True) for j in jobs}
        self.batches[key] = batch.model_copy(deep=True)

    def list_batches(
        self, tenant_id: str, *, status: BatchStatus | None, limit: int, cursor: str | None
    ) -> tuple[list[BatchRecord], str | None]:
        """Newest (last created) first; the cursor is the tenant and the last batch id returned."""
        mine = [b for (t, _), b in reversed(self.batches.items()) if t == tenant_id]
        if cursor:
            owner, _, after = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
            ids = [b.batch_id for b in mine]
            if owner != tenant_id or after not in ids:
                raise ValidationFailed("cursor is not valid", code="invalid_cursor")
            mine = mine[ids.index(after) + 1 :]
        matching = [b.model_copy(deep=True) for b in mine if status is None or b.status is status]
        page = matching[:limit]
        more = len(matching) > limit
        return page, base64.urlsafe_b64encode(f"{tenant_id}|{page[-1].batch_id}".encode()).decode() if more else None

    def get_batch(self, tenant_id: str, batch_id: str) -> BatchRecord | None:
        batch = self.batches.get((tenant_id, batch_id))
        return batch.model_copy(deep=True) if batch else None

    def get_batch_with_jobs(self, tenant_id: str, batch_id: str) -> tuple[BatchRecord, list[JobRecord]] | None:
        batch = self.get_batch(tenant_id, batch_id)
        if batch is None:
            return None
        jobs = self.jobs[(tenant_id, batch_id)]
        return batch, [jobs[i].model_copy(deep=True) for i in sorted(jobs)]

    def get_batch_and_job(
        self, tenant_id: str, batch_id: str, index: int
    ) -> tuple[BatchRecord | None, JobRecord | None]:
        job = self.jobs.get((tenant_id, batch_id), {}).get(index)
        return self.get_batch(tenant_id, batch_id), job.model_copy(deep=True) if job else None

    def job(self, job: JobRecord) -> JobRecord:
        """The stored state of `job` (tests)."""
        return self.jobs[(job.tenant_id, job.batch_id)][job.index]

    def batch(self, batch: BatchRecord | str, tenant_id: str | None = None) -> BatchRecord:
        """The stored state of a batch (tests)."""
        if isinstance(batch, BatchRecord):
            return self.batches[(batch.tenant_id, batch.batch_id)]
        assert tenant_id is not None
        return self.batches[(tenant_id, batch)]

    # ------------------------------------------------------------------ job transitions
    def start_job(self, job: JobRecord) -> StartOutcome:
        stored, batch = self.job(job), self.batches[(job.tenant_id, job.batch_id)]
        if stored.status is not JobStatus.QUEUED:
            return StartOutcome.SKIPPED
        if batch.status not in _ACTIVE or batch.stop_requested:
            ended = self.finish_job(
                job, JobStatus.CANCELLED, from_status=JobStatus.QUEUED, error=NOT_STARTED, error_code="not_started"
            )
            return StartOutcome.CANCELLED if ended else StartOutcome.SKIPPED
        now = now_iso()
        stored.status, stored.started_at = JobStatus.RUNNING, now
        batch.queued_jobs -= 1
        batch.running_jobs += 1
        batch.status = BatchStatus.RUNNING
        batch.started_at = batch.started_at or now
        return StartOutcome.STARTED

    def finish_job(
        self,
        job: JobRecord,
        status: JobStatus,
        *,
        from_status: JobStatus = JobStatus.RUNNING,
        error: str | None = None,
        error_code: str | None = None,
        error_detail: str | None = None,
        title: str | None = None,
        file_info: FileInfo | None = None,
        media: MediaItem | None = None,
    ) -> bool:
        stored, batch = self.job(job), self.batches[(job.tenant_id, job.batch_id)]
        if stored.status is not from_status:
            return False
        if media is not None and (media.tenant_id, media.id) in self.media:
            raise RuntimeError("media item exists (the transaction would be cancelled)")
        stored.status, stored.completed_at = status, now_iso()
        stored.error = error if error is not None else stored.error
        stored.error_code = error_code if error_code is not None else stored.error_code
        stored.error_detail = error_detail if error_detail is not None else stored.error_detail
        stored.title = title if title is not None else stored.title
        if file_info is not None:
            stored.file_info = file_info
            stored.downloaded_bytes = stored.total_bytes = file_info.size_bytes
        if status is JobStatus.COMPLETED:
            stored.progress_percent = 100.0
        counter = "running_jobs" if from_status is JobStatus.RUNNING else "queued_jobs"
        setattr(batch, counter, getattr(batch, counter) - 1)
        setattr(batch, _COUNTER[status], getattr(batch, _COUNTER[status]) + 1)
        if media is not None:
            self.media[(media.tenant_id, media.id)] = media
        return True

    def update_progress(
        self, job: JobRecord, *, percent: float, downloaded: int, total: int | None, title: str | None
    ) -> bool:
        stored = self.job(job)
        if stored.status is not JobStatus.RUNNING or (job.tenant_id, job.batch_id, job.index) in self.cancel_requested:
            return False
        stored.progress_percent, stored.downloaded_bytes = round(percent, 1), downloaded
        stored.total_bytes = total if total is not None else stored.total_bytes
        stored.title = title if title is not None else stored.title
        return True

    # ------------------------------------------------------------------ batch transitions
    def request_stop(self, tenant_id: str, batch_id: str) -> None:
        self.batches[(tenant_id, batch_id)].stop_requested = True

    def set_terminal(
        self, tenant_id: str, batch_id: str, status: BatchStatus, *, error: str | None = None
    ) -> BatchRecord | None:
        batch = self.batches.get((tenant_id, batch_id))
        if batch is None or batch.status not in _ACTIVE:
            return None
        batch.status, batch.completed_at, batch.announced = status, now_iso(), False
        batch.error = error or batch.error
        return batch.model_copy(deep=True)

    def mark_announced(self, tenant_id: str, batch_id: str, for_round: int) -> None:
        batch = self.batches[(tenant_id, batch_id)]
        if batch.round == for_round and batch.status.is_terminal:
            batch.announced = True

    def request_cancel(self, job: JobRecord) -> None:
        if self.job(job).status is JobStatus.RUNNING:
            self.cancel_requested.add((job.tenant_id, job.batch_id, job.index))

    def reopen(self, batch: BatchRecord, jobs: list[JobRecord]) -> BatchRecord | None:
        stored = self.batches.get((batch.tenant_id, batch.batch_id))
        if stored is None or stored.status is not batch.status:
            return None
        for job in jobs:
            current = self.job(job)
            assert current.status is job.status, "a job changed under a finished batch"
            setattr(stored, _COUNTER[current.status], getattr(stored, _COUNTER[current.status]) - 1)
            stored.queued_jobs += 1
            current.status, current.error, current.file_info = JobStatus.QUEUED, None, None
            current.error_code = current.error_detail = None
            current.started_at = current.completed_at = current.total_bytes = None
            current.progress_percent, current.downloaded_bytes = 0.0, 0
            self.cancel_requested.discard((job.tenant_id, job.batch_id, job.index))
        stored.status, stored.round, stored.stop_requested = BatchStatus.QUEUED, stored.round + 1, False
        stored.completed_at = stored.error = None
        return stored.model_copy(deep=True)


class InMemoryStorageKeys:
    """StorageKeyRegistry: the first owner of a key keeps it until it releases it."""

    def __init__(self) -> None:
        self.owners: dict[tuple[str, str], str] = {}

    def reserve(self, tenant_id: str, key: str, owner: str) -> bool:
        return self.owners.setdefault((tenant_id, key), owner) == owner

    def release(self, tenant_id: str, key: str, owner: str) -> None:
        if self.owners.get((tenant_id, key)) == owner:
            del self.owners[(tenant_id, key)]


class FakeProgressiveUpload:
    """Takes what is fed; `finish` stores the file unless the test says the parts did not match."""

    def __init__(self, storage: InMemoryStorage, key: str, content_type: str, *, matches: bool) -> None:
        self._storage, self.key, self.content_type, self._matches = storage, key, content_type, matches
        self.fed: list[int] = []
        self.aborted = False

    def feed(self, path: Path, available: int) -> None:
        self.fed.append(available)

    def finish(self, path: Path) -> bool:
        if not self._matches:
            self.aborted = True
            return False
        self._storage.objects[self.key] = (path.read_bytes(), self.content_type)
        return True

    def abort(self) -> None:
        self.aborted = True


class InMemoryStorage:
    """MediaFileStorage: objects by key, links that say what they point at."""

    def __init__(self, *, progressive_parts_match: bool = True) -> None:
        self.objects: dict[str, tuple[bytes, str]] = {}
        self.uploads: list[FakeProgressiveUpload] = []
        self.progressive_parts_match = progressive_parts_match

    def upload_file(self, path: Path, key: str, content_type: str) -> int:
        data = path.read_bytes()
        self.objects[key] = (data, content_type)
        return len(data)

    def delete(self, keys: list[str]) -> None:
        for key in keys:
            self.objects.pop(key, None)

    def progressive_upload(self, key: str, content_type: str) -> FakeProgressiveUpload:
        upload = FakeProgressiveUpload(self, key, content_type, matches=self.progressive_parts_match)
        self.uploads.append(upload)
        return upload

    def download_url(self, key: str, filename: str, ttl_seconds: int | None = None) -> str:
        return f"https://signed.test/{key}?filename={filename}"


class FakeDownloader:
    """Writes `content` as `<id>.<ext>` into the work dir, reporting progress `steps` times.
    `during` runs before each progress report (a user cancelling, say), `at_end` after the last
    one; `error` is raised instead of finishing."""

    def __init__(
        self,
        content: bytes = b"video bytes",
        *,
        info: dict[str, Any] | None = None,
        streamable: bool = False,
        steps: int = 2,
        subtitles: dict[str, bytes] | None = None,
        during: Callable[[], None] | None = None,
        at_end: Callable[[], None] | None = None,
        error: BaseException | None = None,
    ) -> None:
        self.content = content
        self.info = info or {"id": "abc", "title": "Clip", "ext": "mp4"}
        self.streamable = streamable
        self.steps = steps
        self.subtitles = subtitles or {}
        self.during = during
        self.at_end = at_end
        self.error = error
        self.specs: list[DownloadSpec] = []
        self.work_dirs: list[Path] = []

    def download(
        self,
        spec: DownloadSpec,
        work_dir: Path,
        on_progress: Callable[[Progress], None],
        deadline: float,
        *,
        on_plan: OnPlan | None = None,
        on_data: OnData | None = None,
    ) -> DownloadResult:
        self.specs.append(spec)
        self.work_dirs.append(work_dir)
        if on_plan is not None:
            on_plan(self.info, self.streamable)
        path = work_dir / f"{self.info['id']}.{self.info['ext']}"
        total = len(self.content)
        for step in range(1, self.steps + 1):
            written = total * step // (self.steps + 1)
            path.write_bytes(self.content[:written])
            if on_data is not None and self.streamable:
                on_data(path, written)
            if self.during is not None:
                self.during()
            on_progress(Progress(written, total, 100.0 * written / total, self.info.get("title")))
        if self.at_end is not None:
            self.at_end()
        if self.error is not None:
            raise self.error
        path.write_bytes(self.content)
        subs = {}
        for lang, data in self.subtitles.items():
            sub = work_dir / f"{self.info['id']}.{lang}.vtt"
            sub.write_bytes(data)
            subs[lang] = sub
        return DownloadResult(path=path, info=dict(self.info), subtitles=subs)


class FakeWorkflow:
    """BatchWorkflow: remembers what it was asked to run; `fail` makes starting raise."""

    def __init__(self, *, fail: bool = False) -> None:
        self.fail = fail
        self.started: list[dict[str, Any]] = []

    def start(
        self, *, tenant_id: str, batch_id: str, concurrent_limit: int, job_ids: list[str], round: int = 1
    ) -> None:
        if self.fail:
            raise RuntimeError("state machine unavailable")
        started = {"tenant_id": tenant_id, "batch_id": batch_id, "concurrent_limit": concurrent_limit}
        self.started.append({**started, "job_ids": job_ids, **({"round": round} if round > 1 else {})})


class RecordingEvents:
    """EventPublisher: every event published, in order."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def publish(self, detail_type: str, detail: dict[str, Any]) -> None:
        self.events.append((detail_type, detail))

    def types(self) -> list[str]:
        return [t for t, _ in self.events]


class FakeMediaTypeProbe:
    """MediaTypeProbe: answers from `types` (url -> Content-Type); None (unknown) otherwise."""

    def __init__(self, types: dict[str, str] | None = None) -> None:
        self.types = types or {}
        self.calls: list[str] = []

    def content_type(self, url: str, *, timeout_seconds: float) -> str | None:
        self.calls.append(url)
        return self.types.get(url)
