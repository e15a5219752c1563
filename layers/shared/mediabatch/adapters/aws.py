"""boto3 clients, created lazily and shared per process (boto3 clients are thread-safe)."""

from __future__ import annotations

import threading
from typing import Any

import boto3
from botocore.config import Config

from mediabatch.settings import get_settings

_lock = threading.Lock()
_clients: dict[tuple[str, str | None, str], Any] = {}


def client(service: str) -> Any:
    """A client for `service` at the configured endpoint (moto, LocalStack or AWS)."""
    settings = get_settings()
    key = (service, settings.aws_endpoint_url, settings.aws_region)
    with _lock:
        found = _clients.get(key)
        if found is None:
            # A boto3 Session per client: the default session is not thread-safe to create from.
            session = boto3.session.Session(region_name=settings.aws_region)
            found = session.client(
                service,
                endpoint_url=settings.aws_endpoint_url,
                config=Config(
                    retries={"max_attempts": 5, "mode": "standard"},
                    max_pool_connections=32,
                    s3={"addressing_style": "path"} if settings.aws_endpoint_url else None,
                    # SigV4 for presigned URLs too: it signs Content-Length/Content-Type headers.
                    signature_version="s3v4" if service == "s3" else None,
                ),
            )
            _clients[key] = found
        return found


def reset_clients() -> None:
    """Forget cached clients (tests that switch endpoints)."""
    with _lock:
        _clients.clear()
