"""Composition root: the only module that builds adapters and hands them to services.

Everything is built on first use (never at import), once per process, and shared by the
threads of a warm Lambda. Adapters read no settings: table names, bucket, ARNs, queue URLs and
clients are passed in here, from the one typed `Settings`."""

from __future__ import annotations

import threading
import time
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

from mediabatch.adapters.aws import client, reset_clients
from mediabatch.adapters.dynamodb.audit_log import AuditLogTable
from mediabatch.adapters.dynamodb.batches import BatchTable
from mediabatch.adapters.dynamodb.media_items import MediaItemTable
from mediabatch.adapters.dynamodb.quota_counters import QuotaCounterTable
from mediabatch.adapters.dynamodb.storage_keys import StorageKeyTable
from mediabatch.adapters.dynamodb.tenants import TenantTable
from mediabatch.adapters.dynamodb.upload_sessions import UploadSessionTable
from mediabatch.adapters.dynamodb.webhook_deliveries import WebhookDeliveryTable
from mediabatch.adapters.dynamodb.webhook_subscriptions import WebhookSubscriptionTable
from mediabatch.adapters.eventbridge.publisher import EventPublisher
from mediabatch.adapters.ffmpeg.tools import FfmpegTools
from mediabatch.adapters.http.media_probe import HeadMediaTypeProbe
from mediabatch.adapters.http.safe_client import SafeHttpClient
from mediabatch.adapters.s3.media_bucket import MediaBucket
from mediabatch.adapters.sqs.delivery_queue import DeliveryQueue
from mediabatch.adapters.stepfunctions.show_starter import ShowBatchOrchestrator
from mediabatch.adapters.stepfunctions.starters import BatchOrchestrator, MediaProcessingOrchestrator
from mediabatch.adapters.ytdlp.downloader import YtDlpDownloader
from mediabatch.adapters.ytdlp.expander import YtDlpFeedExpander
from mediabatch.catalog.service import MediaCatalog
from mediabatch.documents.chunking import ChunkingConfig
from mediabatch.documents.index import LocalDocumentIndex
from mediabatch.documents.models import DocumentKind
from mediabatch.documents.pipeline import DocumentPipeline, PipelineParts
from mediabatch.documents.ports import DocumentIndex, Embedder, TextExtractor
from mediabatch.documents.service import DocumentJobService
from mediabatch.downloads.expansion import BatchUrlExpander
from mediabatch.downloads.finalizer import BatchFinalizer
from mediabatch.downloads.job_runner import DownloadJobRunner, JobLimits
from mediabatch.downloads.service import BatchDownloadService
from mediabatch.operations.service import MediaOperations
from mediabatch.processing.service import MediaProcessor
from mediabatch.quotas.models import WindowLimit
from mediabatch.quotas.service import QuotaService
from mediabatch.reconcile.service import Reconciler
from mediabatch.settings import Settings, get_settings
from mediabatch.shows.service import ShowService
from mediabatch.tenants.admin import AdminGuard, TenantAdminService
from mediabatch.tenants.service import TenantService
from mediabatch.uploads.service import UploadService
from mediabatch.urlguard import UrlPolicy
from mediabatch.webhooks.delivery import WebhookDeliveryService
from mediabatch.webhooks.delivery_log import RETENTION_DAYS, DeliveryLogService
from mediabatch.webhooks.fanout import WebhookFanOut
from mediabatch.webhooks.models import RetryBackoff
from mediabatch.webhooks.subscriptions import WebhookSubscriptionService

# Reading feeds and playlists inside a request: the API function has 29 s (API Gateway ends an
# integration at 30 s) and still has to store and start the batch after reading, so a reading
# longer than this answers 504 `extraction_timed_out` in the envelope, never the gateway's own
# timeout. SHOW_EXTRACTION_TIMEOUT_SECONDS (the seed's 120 s) can only lower it.
API_EXPANSION_BUDGET_SECONDS = 20.0

# How a refused host is allowed on the local cloud (its parameter UrlAllowlist, template.yaml).
LOCAL_ALLOWLIST_HINT = (
    'to allow it on the local cloud, start it with LOCALCLOUD_PARAMETER_OVERRIDES="UrlAllowlist={host}"'
)

if TYPE_CHECKING:
    from mediabatch.adapters.chroma.store import ChromaVectorStore
    from mediabatch.adapters.dynamodb.document_jobs import DocumentJobTable
    from mediabatch.adapters.s3.document_files import DocumentFiles
    from mediabatch.adapters.stepfunctions.document_jobs import DocumentJobOrchestrator


def settings() -> Settings:
    return get_settings()


def aws(service: str) -> Any:
    """A boto3 client at the configured endpoint (the local cloud) or AWS."""
    s = settings()
    endpoint = s.aws_service_endpoint_urls.get(service, s.aws_endpoint_url)
    return client(service, endpoint_url=endpoint, region=s.aws_region, max_attempts=s.aws_max_attempts)


# ---------------------------------------------------------------------- adapters
@lru_cache(maxsize=1)
def url_policy() -> UrlPolicy:
    s = settings()
    return UrlPolicy.from_allowlist(s.url_allowlist, hint=LOCAL_ALLOWLIST_HINT if s.local_mode else "")


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
def show_orchestrator() -> ShowBatchOrchestrator:
    s = settings()
    return ShowBatchOrchestrator(s.show_state_machine_arn, aws("stepfunctions"), aws("s3"), s.media_bucket)


@lru_cache(maxsize=1)
def feed_expander() -> YtDlpFeedExpander:
    return YtDlpFeedExpander(url_policy())


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
def tenant_admin_service() -> TenantAdminService:
    return TenantAdminService(tenant_table())


@lru_cache(maxsize=1)
def admin_guard() -> AdminGuard:
    return AdminGuard(settings().admin_token_sha256)


@lru_cache(maxsize=1)
def quota_counter_table() -> QuotaCounterTable:
    return QuotaCounterTable(settings().table_name, aws("dynamodb"))


@lru_cache(maxsize=1)
def quota_service() -> QuotaService:
    s = settings()
    counters = quota_counter_table()
    return QuotaService(
        counters,
        counters,
        creation=WindowLimit(s.batch_create_limit, s.batch_create_window_seconds),
        max_running_jobs=s.max_running_jobs_per_tenant,
    )


@lru_cache(maxsize=1)
def batch_finalizer() -> BatchFinalizer:
    return BatchFinalizer(batch_table(), event_publisher())


@lru_cache(maxsize=1)
def reconciler() -> Reconciler:
    return Reconciler(batch_table(), batch_table(), batch_orchestrator(), batch_finalizer())


@lru_cache(maxsize=1)
def batch_download_service() -> BatchDownloadService:
    # Feeds and playlists in a batch expand like a show's (downloads/expansion.py).
    expansion = BatchUrlExpander(
        HeadMediaTypeProbe(url_policy()),
        feed_expander(),
        timeout_seconds=min(settings().show_extraction_timeout_seconds, API_EXPANSION_BUDGET_SECONDS),
    )
    return BatchDownloadService(
        batch_table(), batch_orchestrator(), batch_finalizer(), media_bucket(), url_policy(), expansion=expansion
    )


@lru_cache(maxsize=1)
def show_service() -> ShowService:
    s = settings()
    return ShowService(
        batch_table(),
        show_orchestrator(),
        feed_expander(),
        batch_finalizer(),
        media_bucket(),
        url_policy(),
        concurrency=s.show_concurrency,
        extraction_timeout_seconds=min(s.show_extraction_timeout_seconds, API_EXPANSION_BUDGET_SECONDS),
    )


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
def webhook_subscription_table() -> WebhookSubscriptionTable:
    return WebhookSubscriptionTable(settings().table_name, aws("dynamodb"))


@lru_cache(maxsize=1)
def webhook_delivery_table() -> WebhookDeliveryTable:
    return WebhookDeliveryTable(
        settings().table_name, aws("dynamodb"), retention_seconds=RETENTION_DAYS * 86400, clock=time.time
    )


def _batch_webhook_url(tenant_id: str, batch_id: str) -> str | None:
    batch = batch_table().get_batch(tenant_id, batch_id)
    return batch.options.webhook_url if batch else None


@lru_cache(maxsize=1)
def webhook_delivery_service() -> WebhookDeliveryService:
    return WebhookDeliveryService(
        tenant_service(),
        safe_http_client(),
        _batch_webhook_url,
        webhook_subscription_table(),
        webhook_delivery_table(),
        max_attempts=settings().webhook_max_attempts,
    )


@lru_cache(maxsize=1)
def webhook_fan_out() -> WebhookFanOut:
    return WebhookFanOut(webhook_subscription_table(), delivery_queue(), _batch_webhook_url)


@lru_cache(maxsize=1)
def webhook_subscription_service() -> WebhookSubscriptionService:
    return WebhookSubscriptionService(webhook_subscription_table(), url_policy())


@lru_cache(maxsize=1)
def webhook_delivery_log() -> DeliveryLogService:
    return DeliveryLogService(webhook_subscription_table(), webhook_delivery_table(), delivery_queue())


@lru_cache(maxsize=1)
def webhook_backoff() -> RetryBackoff:
    return RetryBackoff(settings().webhook_backoff_base_seconds)


@lru_cache(maxsize=1)
def audit_log_table() -> AuditLogTable:
    return AuditLogTable(settings().table_name, aws("dynamodb"))


@lru_cache(maxsize=1)
def media_operations() -> MediaOperations:
    return MediaOperations(media_item_table(), media_bucket(), audit_log_table(), event_publisher())


# ---------------------------------------------------------------------- document batches
# Imports of the document adapters stay inside these factories: pypdf, python-pptx, Chroma and
# the model are heavy and only the document functions need them.
@lru_cache(maxsize=1)
def document_job_table() -> DocumentJobTable:
    from mediabatch.adapters.dynamodb.document_jobs import DocumentJobTable

    return DocumentJobTable(settings().table_name, aws("dynamodb"))


@lru_cache(maxsize=1)
def document_files() -> DocumentFiles:
    from mediabatch.adapters.s3.document_files import DocumentFiles

    s = settings()
    return DocumentFiles(s.media_bucket, aws("s3"), presign_ttl_seconds=s.upload_url_ttl_seconds)


@lru_cache(maxsize=1)
def document_orchestrator() -> DocumentJobOrchestrator:
    from mediabatch.adapters.stepfunctions.document_jobs import DocumentJobOrchestrator

    s = settings()
    return DocumentJobOrchestrator(
        s.document_state_machine_arn, aws("stepfunctions"), concurrency=s.document_concurrency
    )


def vector_store() -> ChromaVectorStore:
    with _document_lock:
        return _vector_store()


@lru_cache(maxsize=1)
def _vector_store() -> ChromaVectorStore:
    """A Chroma server when CHROMA_HOST is set (several processes, AWS), else embedded Chroma in
    a folder (one process: the local cloud runs every function in its own process)."""
    from pathlib import Path

    from mediabatch.adapters.chroma.store import ChromaVectorStore, http_client, persistent_client

    s = settings()
    if s.chroma_host:
        return ChromaVectorStore(http_client(s.chroma_host, s.chroma_port))
    return ChromaVectorStore(persistent_client(s.chroma_path or str(Path(s.work_dir) / "chroma")))


_document_lock = threading.RLock()  # files of a job run in parallel threads: build each part once


def embedder() -> Embedder:
    with _document_lock:
        return _embedder()


@lru_cache(maxsize=1)
def _embedder() -> Embedder:
    """Loaded once per process, on first use (about 1 s; the int8 export once per cache folder)."""
    from pathlib import Path

    from mediabatch.adapters.embeddings.model_files import bundled_model_dir

    s = settings()
    model_dir = Path(s.embedding_model_dir) if s.embedding_model_dir else bundled_model_dir()
    if s.embedding_backend == "torch":
        from mediabatch.adapters.embeddings.torch_model import TorchEmbedder

        return TorchEmbedder(model_dir)
    from mediabatch.adapters.embeddings.onnx_int8 import OnnxInt8Embedder

    cache = Path(s.embedding_cache_dir) if s.embedding_cache_dir else Path(s.work_dir) / "models"
    return OnnxInt8Embedder(model_dir, cache)


def extractor_for(kind: DocumentKind) -> TextExtractor:
    from mediabatch.adapters.pdf.extractor import PdfExtractor
    from mediabatch.adapters.pptx.extractor import PptxExtractor

    return PdfExtractor() if kind is DocumentKind.PDF else PptxExtractor()


@lru_cache(maxsize=1)
def local_document_index() -> LocalDocumentIndex:
    return LocalDocumentIndex(vector_store(), embedder)


@lru_cache(maxsize=1)
def document_index() -> DocumentIndex:
    """The API asks the worker function when DOCUMENT_FUNCTION_NAME is set (on AWS the API's zip
    carries neither the model nor Chroma), else searches in-process."""
    s = settings()
    if s.document_function_name:
        from mediabatch.adapters.awslambda.document_index import RemoteDocumentIndex

        return RemoteDocumentIndex(s.document_function_name, aws("lambda"))
    return local_document_index()


@lru_cache(maxsize=1)
def document_service() -> DocumentJobService:
    return DocumentJobService(document_job_table(), document_files(), document_orchestrator(), document_index())


def document_pipeline() -> DocumentPipeline:
    with _document_lock:
        return _document_pipeline()


@lru_cache(maxsize=1)
def _document_pipeline() -> DocumentPipeline:
    from mediabatch.adapters.dynamodb.document_jobs import DocumentMediaItems

    s = settings()
    parts = PipelineParts(
        storage=document_files(),
        extractor_for=extractor_for,
        embedder=embedder,
        store=vector_store,
        catalog=DocumentMediaItems(s.table_name, aws("dynamodb")),
        chunking=ChunkingConfig(s.document_chunk_size, s.document_chunk_overlap),
    )
    return DocumentPipeline(document_job_table(), parts)


def reset() -> None:
    """Forget everything built (tests that change settings between cases)."""
    for value in list(globals().values()):
        if callable(value) and hasattr(value, "cache_clear"):
            value.cache_clear()
    get_settings.cache_clear()
    reset_clients()
