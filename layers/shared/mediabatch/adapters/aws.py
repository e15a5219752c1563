"""boto3 clients, created lazily and shared per process (boto3 clients are thread-safe).

Retries are botocore's standard mode (exponential backoff with jitter, throttling and
transient errors), not loops of our own."""

from __future__ import annotations

import threading
from typing import Any

import boto3
from botocore.config import Config

_lock = threading.Lock()
_clients: dict[tuple[str, str | None, str, int], Any] = {}


def client(service: str, *, endpoint_url: str | None, region: str, max_attempts: int = 6) -> Any:
    """A client for `service` at `endpoint_url` (the local cloud, LocalStack) or AWS (None).
    `max_attempts` counts the first call too (botocore's standard mode: throttling, 5xx,
    timeouts and dropped connections are retried with jittered exponential backoff)."""
    key = (service, endpoint_url, region, max_attempts)
    with _lock:
        found = _clients.get(key)
        if found is None:
            # A boto3 Session per client: the default session is not thread-safe to create from.
            session = boto3.session.Session(region_name=region)
            found = session.client(
                service,
                endpoint_url=endpoint_url,
                config=Config(
                    retries={"total_max_attempts": max_attempts, "mode": "standard"},
                    # `app/mediabatch` in the user agent: the product's calls, told from others'.
                    user_agent_appid="mediabatch",
                    max_pool_connections=32,
                    s3={"addressing_style": "path"} if endpoint_url else None,
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
