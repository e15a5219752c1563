"""One job of a batch: start it (or not), download, store, record the outcome."""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mediabatch.adapters.dynamodb.batches import BatchTable, StartOutcome
from mediabatch.adapters.dynamodb.media_items import media_put_request
from mediabatch.adapters.s3.media_bucket import MediaBucket, ProgressiveUpload, guess_content_type
from mediabatch.adapters.ytdlp.downloader import (
    DownloadFailed,
    DownloadResult,
    DownloadSpec,
    JobCancelled,
    JobTimedOut,
    Progress,
    YtDlpDownloader,
)
from mediabatch.catalog.models import MediaItem, ProcessingState
from mediabatch.catalog.service import build_item
from mediabatch.downloads.finalizer import BatchFinalizer
from mediabatch.downloads.models import NOT_STARTED, BatchRecord, FileInfo, JobRecord, JobStatus, Subtitle
from mediabatch.downloads.service import job_index
from mediabatch.paths import render_path, sanitize_component, tenant_key, with_suffix
from mediabatch.settings import Settings

logger = logging.getLogger(__name__)
_MAX_KEY_ATTEMPTS = 50


class DownloadJobRunner:
    def __init__(
        self,
        store: BatchTable,
        storage: MediaBucket,
        downloader: YtDlpDownloader,
        finalizer: BatchFinalizer,
        settings: Settings,
    ) -> None:
        self._store = store
        self._storage = storage
        self._downloader = downloader
        self._finalizer = finalizer
        self._settings = settings

    def run(self, tenant_id: str, batch_id: str, job_id: str, remaining_seconds: Callable[[], float]) -> dict[str, Any]:
        batch, job = self._store.get_batch_and_job(tenant_id, batch_id, job_index(job_id))
        if batch is None or job is None:
            return {"job_id": job_id, "status": "missing"}
        outcome = self._store.start_job(job)
        if outcome is not StartOutcome.STARTED:
            if outcome is StartOutcome.CANCELLED:
                self._finalizer.announce_job(job, JobStatus.CANCELLED, NOT_STARTED)
            self._finalizer.finalize_if_done(tenant_id, batch_id)
            return {"job_id": job_id, "status": outcome.value}

        budget = min(
            float(self._settings.job_timeout_seconds), remaining_seconds() - self._settings.lambda_safety_margin_seconds
        )
        deadline = time.monotonic() + max(1.0, budget)
        work_dir = Path(tempfile.mkdtemp(prefix=f"{job_id}-", dir=self._settings.work_dir))
        transfer = _Transfer(self._store, self._storage, batch, job)
        status, error, fields = JobStatus.FAILED, None, {}
        try:
            result = self._downloader.download(
                self._spec(batch, job),
                work_dir,
                self._progress_writer(job),
                deadline,
                on_plan=transfer.plan,
                on_data=transfer.feed,
            )
            fields = transfer.complete(result)
            status = JobStatus.COMPLETED
        except JobCancelled:
            status, error = JobStatus.CANCELLED, "cancelled"
        except JobTimedOut:
            error = f"timed out after {int(budget)} s"
        except DownloadFailed as exc:
            error = str(exc)
        except Exception:  # one job's bug must never take the batch down
            logger.exception("job %s crashed", job_id)
            error = "internal error (logged); please retry"
        finally:
            if status is not JobStatus.COMPLETED:
                transfer.abort()
            shutil.rmtree(work_dir, ignore_errors=True)
        if status is JobStatus.FAILED and batch.options.stop_on_error:
            # Before the job counts as finished, so no finaliser can see it failed but not stopped.
            self._store.request_stop(tenant_id, batch_id)
        if self._store.finish_job(job, status, error=error, also=transfer.media_items(), **fields):
            self._finalizer.announce_job(job, status, error)
        elif status is JobStatus.COMPLETED:
            # Someone else ended this job meanwhile (the crash recorder after a Step Functions
            # timeout): its outcome stands, so the file it does not list must not stay behind.
            transfer.discard()
        self._finalizer.finalize_if_done(tenant_id, batch_id)
        return {"job_id": job_id, "status": status.value, "error": error}

    def record_crash(self, tenant_id: str, batch_id: str, job_id: str, error: str) -> dict[str, Any]:
        """The download function died (timeout, out of memory): fail the job if it is not
        already finished, then finalize as usual."""
        batch, job = self._store.get_batch_and_job(tenant_id, batch_id, job_index(job_id))
        if batch is None or job is None:
            return {"job_id": job_id, "status": "missing"}
        message = f"job crashed: {error}"
        if batch.options.stop_on_error:
            self._store.request_stop(tenant_id, batch_id)
        recorded = self._store.finish_job(job, JobStatus.FAILED, error=message) or self._store.finish_job(
            job, JobStatus.FAILED, from_status=JobStatus.QUEUED, error=message
        )
        if recorded:
            self._finalizer.announce_job(job, JobStatus.FAILED, message)
        self._finalizer.finalize_if_done(tenant_id, batch_id)
        return {"job_id": job_id, "status": "failed" if recorded else "already_finished", "error": message}

    # ------------------------------------------------------------------ internals
    @staticmethod
    def _spec(batch: BatchRecord, job: JobRecord) -> DownloadSpec:
        o = batch.options
        return DownloadSpec(
            url=job.url, quality=o.quality, video_format=o.video_format, download_subtitles=o.download_subtitles
        )

    def _progress_writer(self, job: JobRecord) -> Callable[[Progress], None]:
        def write(progress: Progress) -> None:
            if not self._store.update_progress(
                job,
                percent=progress.percent,
                downloaded=progress.downloaded,
                total=progress.total,
                title=progress.title,
            ):
                raise JobCancelled()

        return write


class _Transfer:
    """Where one job's file goes in S3, and getting it there: while it downloads when the
    format allows (ProgressiveUpload), otherwise once it is complete."""

    def __init__(self, store: BatchTable, storage: MediaBucket, batch: BatchRecord, job: JobRecord) -> None:
        self._store = store
        self._storage = storage
        self._batch = batch
        self._job = job
        self._relative: str | None = None
        self._upload: ProgressiveUpload | None = None
        self._media: MediaItem | None = None

    def media_items(self) -> list[dict[str, Any]]:
        """The media item of the stored file, written in the job's finishing transaction: the
        job is completed if and only if its file is in the catalog."""
        return [media_put_request(self._store.table, self._media)] if self._media else []

    def plan(self, info: dict[str, Any], streamable: bool) -> None:
        if streamable:
            relative = self._claim_path(info, str(info.get("ext") or "bin"))
            key = tenant_key(self._batch.tenant_id, relative)
            self._upload = self._storage.progressive_upload(key, guess_content_type(relative))

    def feed(self, path: Path, available: int) -> None:
        if self._upload is not None:
            self._upload.feed(path, available)

    def complete(self, result: DownloadResult) -> dict[str, Any]:
        info = result.info
        relative = self._relative or self._claim_path(info, result.path.suffix.lstrip(".") or "bin")
        filename = relative.rsplit("/", 1)[-1]
        content_type = guess_content_type(filename)
        key = tenant_key(self._batch.tenant_id, relative)
        if self._upload is not None and self._upload.finish(result.path):
            size = result.path.stat().st_size
        else:
            size = self._storage.upload_file(result.path, key, content_type)
        self._upload = None
        subtitles = []
        for lang, sub_path in result.subtitles.items():
            head, _, name = relative.rpartition("/")
            stem = name.rsplit(".", 1)[0] if "." in name else name
            sub_rel = f"{head}/{stem}.{sanitize_component(lang, fallback='und')}{sub_path.suffix}"
            sub_key = tenant_key(self._batch.tenant_id, sub_rel)
            self._storage.upload_file(sub_path, sub_key, guess_content_type(sub_rel))
            subtitles.append(Subtitle(lang=lang, filepath=sub_rel, s3_key=sub_key))
        # Deterministic id: a re-run of the same job registers the same media item, never a second.
        media_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"mediabatch:{self._job.tenant_id}:{self._job.job_id}"))
        self._media = build_item(
            tenant_id=self._batch.tenant_id,
            media_id=media_id,
            storage_key=key,
            filename=filename,
            size=size,
            content_type=content_type,
            folder=relative.rsplit("/", 1)[0],
            title=str(info.get("title") or filename),
            metadata={
                "source": "download",
                "url": self._job.url,
                "batch_id": self._batch.batch_id,
                "job_id": self._job.job_id,
            },
            processing=ProcessingState.NOT_REQUESTED,
        )
        file_info = FileInfo(
            filename=filename,
            filepath=relative,
            size_bytes=size,
            content_type=content_type,
            s3_key=key,
            media_id=media_id,
            subtitles=subtitles,
        )
        return {
            "title": info.get("title"),
            "file_info": file_info.model_dump(),
            "downloaded_bytes": size,
            "total_bytes": size,
        }

    def discard(self) -> None:
        """Remove a stored file that no job lists, and give its key back."""
        if self._relative is not None:
            self._storage.delete([tenant_key(self._batch.tenant_id, self._relative)])
        self.abort()

    def abort(self) -> None:
        if self._upload is not None:
            self._upload.abort()
            self._upload = None
        if self._relative is not None:
            self._store.release_key(self._batch.tenant_id, self._relative, self._job.job_id)

    def _claim_path(self, info: dict[str, Any], ext: str) -> str:
        """Render the path template and claim the key, adding -2, -3… rather than overwrite."""
        relative = render_path(
            self._batch.options.path_template,
            {
                "batch_id": self._batch.batch_id,
                "safe_title": info.get("title"),
                "id": info.get("id"),
                "ext": ext,
                "uploader": info.get("uploader"),
                "upload_date": info.get("upload_date"),
            },
        )
        candidate = relative
        for attempt in range(1, _MAX_KEY_ATTEMPTS + 1):
            if self._store.reserve_key(self._batch.tenant_id, candidate, self._job.job_id):
                self._relative = candidate
                return candidate
            candidate = with_suffix(relative, str(attempt + 1))
        raise DownloadFailed("could not find a free storage path for this file")
