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
    upload_url_ttl_seconds: int = 3600
    ffmpeg_path: str = "ffmpeg"
    ffprobe_path: str = "ffprobe"
    url_allowlist: str = Field("", description="comma-separated hosts/CIDRs exempt from the SSRF guard")
    aws_endpoint_url: str | None = None
    # boto3's per-service endpoints (AWS_ENDPOINT_URL_S3, ..._DYNAMODB), by lower-cased suffix:
    # an explicit endpoint_url would otherwise hide them from boto3.
    aws_service_endpoint_urls: dict[str, str] = Field(default_factory=dict)
    aws_region: str = "us-east-1"
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
            upload_url_ttl_seconds=int(e.get("UPLOAD_URL_TTL_SECONDS", "3600")),
            ffmpeg_path=e.get("FFMPEG_PATH", "ffmpeg"),
            ffprobe_path=e.get("FFPROBE_PATH", "ffprobe"),
            url_allowlist=e.get("MEDIABATCH_URL_ALLOWLIST", ""),
            aws_endpoint_url=e.get("AWS_ENDPOINT_URL") or None,
            aws_service_endpoint_urls={
                k.removeprefix("AWS_ENDPOINT_URL_").lower(): v
                for k, v in e.items()
                if k.startswith("AWS_ENDPOINT_URL_") and v
            },
            aws_region=e.get("AWS_REGION") or e.get("AWS_DEFAULT_REGION") or "us-east-1",
            presign_ttl_seconds=int(e.get("MEDIABATCH_PRESIGN_TTL_SECONDS", "3600")),
            job_timeout_seconds=int(e.get("MEDIABATCH_JOB_TIMEOUT_SECONDS", "1800")),
            max_download_bytes=int(e.get("MEDIABATCH_MAX_DOWNLOAD_BYTES", str(4 * 2**30))),
            work_dir=e.get("MEDIABATCH_WORK_DIR", "/tmp"),
            webhook_backoff_base_seconds=int(e.get("WEBHOOK_BACKOFF_BASE_SECONDS", "30")),
            webhook_queue_url=e.get("WEBHOOK_QUEUE_URL", ""),
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings of this process; cached because the environment of a Lambda never changes."""
    return Settings.from_env()
