"""Composition root: builds services from settings on first use (never at import), one set
per process, shared by the threads of a warm Lambda (or of the local cloud)."""

from __future__ import annotations

from functools import lru_cache

from mediabatch.adapters.aws import client
from mediabatch.adapters.dynamodb.batches import BatchTable
from mediabatch.adapters.dynamodb.media_items import MediaItemTable
from mediabatch.adapters.dynamodb.tenants import TenantTable
from mediabatch.adapters.dynamodb.upload_sessions import UploadSessionTable
from mediabatch.adapters.eventbridge.publisher import EventPublisher
from mediabatch.adapters.ffmpeg.tools import FfmpegTools
from mediabatch.adapters.http.safe_client import SafeHttpClient
from mediabatch.adapters.s3.media_bucket import MediaBucket
from mediabatch.adapters.sqs.delivery_queue import DeliveryQueue
from mediabatch.adapters.stepfunctions.starters import BatchOrchestrator, MediaProcessingOrchestrator
from mediabatch.adapters.ytdlp.downloader import YtDlpDownloader
from mediabatch.catalog.service import MediaCatalog
from mediabatch.downloads.finalizer import BatchFinalizer
from mediabatch.downloads.idempotent import CreateBatch, idempotent_batch_creation
from mediabatch.downloads.job_runner import DownloadJobRunner
from mediabatch.downloads.service import BatchDownloadService
from mediabatch.processing.service import MediaProcessor
from mediabatch.settings import get_settings
from mediabatch.tenants import TenantService
from mediabatch.uploads.service import UploadService
from mediabatch.urlguard import UrlPolicy
from mediabatch.webhook_delivery import WebhookDeliveryService


@lru_cache(maxsize=1)
def url_policy() -> UrlPolicy:
    return UrlPolicy.from_allowlist(get_settings().url_allowlist)


@lru_cache(maxsize=1)
def tenant_service() -> TenantService:
    return TenantService(TenantTable())


@lru_cache(maxsize=1)
def batch_finalizer() -> BatchFinalizer:
    return BatchFinalizer(BatchTable(), EventPublisher())


@lru_cache(maxsize=1)
def batch_download_service() -> BatchDownloadService:
    return BatchDownloadService(BatchTable(), BatchOrchestrator(), batch_finalizer(), MediaBucket(), url_policy())


@lru_cache(maxsize=1)
def create_batch() -> CreateBatch:
    return idempotent_batch_creation(
        batch_download_service(), get_settings().idempotency_table_name, client("dynamodb")
    )


@lru_cache(maxsize=1)
def media_catalog() -> MediaCatalog:
    return MediaCatalog(MediaItemTable(), MediaBucket())


@lru_cache(maxsize=1)
def upload_service() -> UploadService:
    return UploadService(
        UploadSessionTable(),
        MediaBucket(),
        media_catalog(),
        EventPublisher(),
        MediaProcessingOrchestrator(),
        url_ttl_seconds=get_settings().upload_url_ttl_seconds,
    )


@lru_cache(maxsize=1)
def media_processor() -> MediaProcessor:
    settings = get_settings()
    return MediaProcessor(
        MediaItemTable(), MediaBucket(), FfmpegTools(settings.ffmpeg_path, settings.ffprobe_path), settings.work_dir
    )


@lru_cache(maxsize=1)
def download_job_runner() -> DownloadJobRunner:
    settings = get_settings()
    downloader = YtDlpDownloader(
        url_policy(),
        progress_interval=settings.progress_write_interval_seconds,
        max_bytes=settings.max_download_bytes,
        ffmpeg_path=settings.ffmpeg_path,
    )
    return DownloadJobRunner(BatchTable(), MediaBucket(), downloader, batch_finalizer(), settings)


@lru_cache(maxsize=1)
def delivery_queue() -> DeliveryQueue:
    return DeliveryQueue()


@lru_cache(maxsize=1)
def webhook_delivery_service() -> WebhookDeliveryService:
    store = BatchTable()

    def webhook_url_of(tenant_id: str, batch_id: str) -> str | None:
        batch = store.get_batch(tenant_id, batch_id)
        return batch.options.webhook_url if batch else None

    return WebhookDeliveryService(tenant_service(), SafeHttpClient(url_policy()), webhook_url_of)


def reset() -> None:
    """Forget everything built (tests that change settings between cases)."""
    from mediabatch.adapters.aws import reset_clients

    for factory in (
        url_policy,
        tenant_service,
        batch_finalizer,
        batch_download_service,
        create_batch,
        download_job_runner,
        media_catalog,
        upload_service,
        media_processor,
        delivery_queue,
        webhook_delivery_service,
    ):
        factory.cache_clear()
    get_settings.cache_clear()
    reset_clients()
