"""Composition root: builds services from settings on first use (never at import), one set
per process, shared by the threads of a warm Lambda (or of the local cloud)."""

from __future__ import annotations

from functools import lru_cache

from mediabatch.adapters.aws import client
from mediabatch.adapters.batch_store import BatchStore
from mediabatch.adapters.delivery_queue import DeliveryQueue
from mediabatch.adapters.event_bus import EventPublisher
from mediabatch.adapters.ffmpeg import FfmpegTools
from mediabatch.adapters.media_storage import MediaStorage
from mediabatch.adapters.media_store import MediaStore
from mediabatch.adapters.orchestrator import BatchOrchestrator, MediaProcessingOrchestrator
from mediabatch.adapters.safe_http import SafeHttpClient
from mediabatch.adapters.tenant_store import TenantStore
from mediabatch.adapters.upload_store import UploadStore
from mediabatch.adapters.ytdlp_downloader import YtDlpDownloader
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
    return TenantService(TenantStore())


@lru_cache(maxsize=1)
def batch_finalizer() -> BatchFinalizer:
    return BatchFinalizer(BatchStore(), EventPublisher())


@lru_cache(maxsize=1)
def batch_download_service() -> BatchDownloadService:
    return BatchDownloadService(BatchStore(), BatchOrchestrator(), batch_finalizer(), MediaStorage(), url_policy())


@lru_cache(maxsize=1)
def create_batch() -> CreateBatch:
    return idempotent_batch_creation(batch_download_service(), get_settings().idempotency_table_name,
                                     client("dynamodb"))


@lru_cache(maxsize=1)
def media_catalog() -> MediaCatalog:
    return MediaCatalog(MediaStore(), MediaStorage())


@lru_cache(maxsize=1)
def upload_service() -> UploadService:
    return UploadService(UploadStore(), MediaStorage(), media_catalog(), EventPublisher(),
                         MediaProcessingOrchestrator(), url_ttl_seconds=get_settings().upload_url_ttl_seconds)


@lru_cache(maxsize=1)
def media_processor() -> MediaProcessor:
    settings = get_settings()
    return MediaProcessor(MediaStore(), MediaStorage(), FfmpegTools(settings.ffmpeg_path, settings.ffprobe_path),
                          settings.work_dir)


@lru_cache(maxsize=1)
def download_job_runner() -> DownloadJobRunner:
    settings = get_settings()
    downloader = YtDlpDownloader(url_policy(), progress_interval=settings.progress_write_interval_seconds,
                                 max_bytes=settings.max_download_bytes, ffmpeg_path=settings.ffmpeg_path)
    return DownloadJobRunner(BatchStore(), MediaStorage(), downloader, batch_finalizer(), settings)


@lru_cache(maxsize=1)
def delivery_queue() -> DeliveryQueue:
    return DeliveryQueue()


@lru_cache(maxsize=1)
def webhook_delivery_service() -> WebhookDeliveryService:
    store = BatchStore()

    def webhook_url_of(tenant_id: str, batch_id: str) -> str | None:
        batch = store.get_batch(tenant_id, batch_id)
        return batch.options.webhook_url if batch else None

    return WebhookDeliveryService(tenant_service(), SafeHttpClient(url_policy()), webhook_url_of)


def reset() -> None:
    """Forget everything built (tests that change settings between cases)."""
    from mediabatch.adapters.aws import reset_clients

    for factory in (url_policy, tenant_service, batch_finalizer, batch_download_service, create_batch,
                    download_job_runner, media_catalog, upload_service, media_processor, delivery_queue,
                    webhook_delivery_service):
        factory.cache_clear()
    get_settings.cache_clear()
    reset_clients()
