"""Composition root: the only module that builds adapters and hands them to services.

Everything is built on first use (never at import), once per process, and shared by the
threads of a warm Lambda. Adapters read no settings: table names, bucket, ARNs, queue URLs and
clients are passed in here, from the one typed `Settings`."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

from mediabatch.adapters.aws import client, reset_clients
from mediabatch.adapters.dynamodb.batches import BatchTable
from mediabatch.adapters.dynamodb.media_items import MediaItemTable
from mediabatch.adapters.dynamodb.storage_keys import StorageKeyTable
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
from mediabatch.downloads.job_runner import DownloadJobRunner, JobLimits
from mediabatch.downloads.service import BatchDownloadService
from mediabatch.processing.service import MediaProcessor
from mediabatch.reconcile.service import Reconciler
from mediabatch.settings import Settings, get_settings
from mediabatch.tenants.service import TenantService
from mediabatch.uploads.service import UploadService
from mediabatch.urlguard import UrlPolicy
from mediabatch.webhooks.delivery import WebhookDeliveryService
from mediabatch.webhooks.models import RetryBackoff


def settings() -> Settings:
    return get_settings()


def aws(service: str) -> Any:
    """A boto3 client at the configured endpoint (the local cloud) or AWS."""
    s = settings()
    endpoint = s.aws_service_endpoint_urls.get(service, s.aws_endpoint_url)
    return client(service, endpoint_url=endpoint, region=s.aws_region)


# ---------------------------------------------------------------------- adapters
@lru_cache(maxsize=1)
def url_policy() -> UrlPolicy:
    return UrlPolicy.from_allowlist(settings().url_allowlist)


@lru_cache(maxsize=1)
def batch_table() -> BatchTable:
    return BatchTable(settings().table_name, aws("dynamodb"))


@lru_cache(maxsize=1)
def storage_key_table() -> StorageKeyTable:
    return StorageKeyTable(settings().table_name, aws("dynamodb"))


@lru_cache(maxsize=1)
def idempotency_store() -> DynamoDBPersistenceLayer:
    """Where the API remembers Idempotency-Keys (functions/api/api_routes/idempotency.py)."""
    return DynamoDBPersistenceLayer(table_name=settings().idempotency_table_name, boto3_client=aws("dynamodb"))


@lru_cache(maxsize=1)
def media_item_table() -> MediaItemTable:
    return MediaItemTable(settings().table_name, aws("dynamodb"))


@lru_cache(maxsize=1)
def upload_session_table() -> UploadSessionTable:
    return UploadSessionTable(settings().table_name, aws("dynamodb"))


@lru_cache(maxsize=1)
def tenant_table() -> TenantTable:
    return TenantTable(settings().table_name, aws("dynamodb"))


@lru_cache(maxsize=1)
def media_bucket() -> MediaBucket:
    s = settings()
    return MediaBucket(s.media_bucket, aws("s3"), presign_ttl_seconds=s.presign_ttl_seconds)


@lru_cache(maxsize=1)
def event_publisher() -> EventPublisher:
    return EventPublisher(settings().event_bus_name, aws("events"))


@lru_cache(maxsize=1)
def batch_orchestrator() -> BatchOrchestrator:
    return BatchOrchestrator(settings().batch_state_machine_arn, aws("stepfunctions"))


@lru_cache(maxsize=1)
def media_processing_orchestrator() -> MediaProcessingOrchestrator:
    return MediaProcessingOrchestrator(settings().media_processing_state_machine_arn, aws("stepfunctions"))


@lru_cache(maxsize=1)
def delivery_queue() -> DeliveryQueue:
    return DeliveryQueue(settings().webhook_queue_url, aws("sqs"))


@lru_cache(maxsize=1)
def safe_http_client() -> SafeHttpClient:
    return SafeHttpClient(url_policy())


@lru_cache(maxsize=1)
def ffmpeg_tools() -> FfmpegTools:
    s = settings()
    return FfmpegTools(s.ffmpeg_path, s.ffprobe_path)


@lru_cache(maxsize=1)
def ytdlp_downloader() -> YtDlpDownloader:
    s = settings()
    return YtDlpDownloader(
        url_policy(),
        progress_interval=s.progress_write_interval_seconds,
        max_bytes=s.max_download_bytes,
        ffmpeg_path=s.ffmpeg_path,
    )


# ---------------------------------------------------------------------- services
@lru_cache(maxsize=1)
def tenant_service() -> TenantService:
    return TenantService(tenant_table())


@lru_cache(maxsize=1)
def batch_finalizer() -> BatchFinalizer:
    return BatchFinalizer(batch_table(), event_publisher())


@lru_cache(maxsize=1)
def reconciler() -> Reconciler:
    return Reconciler(batch_table(), batch_table(), batch_orchestrator(), batch_finalizer())


@lru_cache(maxsize=1)
def batch_download_service() -> BatchDownloadService:
    return BatchDownloadService(batch_table(), batch_orchestrator(), batch_finalizer(), media_bucket(), url_policy())


@lru_cache(maxsize=1)
def media_catalog() -> MediaCatalog:
    return MediaCatalog(media_item_table(), media_bucket())


@lru_cache(maxsize=1)
def upload_service() -> UploadService:
    sessions = upload_session_table()
    return UploadService(
        sessions,
        sessions,  # the same table keeps the server-side chunk pieces
        media_bucket(),
        media_catalog(),
        event_publisher(),
        media_processing_orchestrator(),
        url_ttl_seconds=settings().upload_url_ttl_seconds,
    )


@lru_cache(maxsize=1)
def media_processor() -> MediaProcessor:
    return MediaProcessor(media_item_table(), media_bucket(), ffmpeg_tools(), settings().work_dir)


@lru_cache(maxsize=1)
def download_job_runner() -> DownloadJobRunner:
    s = settings()
    limits = JobLimits(
        job_timeout_seconds=float(s.job_timeout_seconds),
        safety_margin_seconds=float(s.lambda_safety_margin_seconds),
        work_dir=s.work_dir,
    )
    return DownloadJobRunner(
        batch_table(), storage_key_table(), media_bucket(), ytdlp_downloader(), batch_finalizer(), limits
    )


@lru_cache(maxsize=1)
def webhook_delivery_service() -> WebhookDeliveryService:
    store = batch_table()

    def webhook_url_of(tenant_id: str, batch_id: str) -> str | None:
        batch = store.get_batch(tenant_id, batch_id)
        return batch.options.webhook_url if batch else None

    return WebhookDeliveryService(tenant_service(), safe_http_client(), webhook_url_of)


@lru_cache(maxsize=1)
def webhook_backoff() -> RetryBackoff:
    return RetryBackoff(settings().webhook_backoff_base_seconds)


def reset() -> None:
    """Forget everything built (tests that change settings between cases)."""
    for value in list(globals().values()):
        if callable(value) and hasattr(value, "cache_clear"):
            value.cache_clear()
    get_settings.cache_clear()
    reset_clients()
