"""Outbound HTTP for webhooks that cannot be pointed at internal addresses.

The host is resolved once, every address is checked against the SSRF policy, and the
connection goes to the checked address (no second DNS lookup an attacker could rebind).
Redirects are not followed.
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import urllib3

from mediabatch.errors import UnsafeUrl
from mediabatch.urlguard import UrlPolicy
from mediabatch.webhooks.models import PostResult

MAX_RESPONSE_BYTES = 64 * 1024


class SafeHttpClient:
    """The webhooks domain's WebhookPoster."""

    def __init__(self, policy: UrlPolicy, timeout_seconds: float = 10.0) -> None:
        self._policy = policy
        # `total` bounds the whole attempt: a receiver that drips its answer cannot hold the
        # sender (and the other deliveries of its batch) past it.
        self._timeout = urllib3.Timeout(connect=timeout_seconds, read=timeout_seconds, total=timeout_seconds)

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> PostResult:
        try:
            pool, path, host_header = guarded_pool(self._policy, url, self._timeout)
        except OSError as exc:
            return PostResult(None, str(exc))
        try:
            response = pool.urlopen(
                "POST",
                path,
                body=body,
                headers={**headers, "host": host_header},
                redirect=False,
                assert_same_host=False,
                preload_content=False,
            )
            try:
                response.read(MAX_RESPONSE_BYTES)  # only the status matters; never buffer a huge body
            finally:
                response.release_conn()
            return PostResult(response.status)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            return PostResult(None, f"{type(exc).__name__}: {exc}")
        finally:
            pool.close()


def guarded_pool(policy: UrlPolicy, url: str, timeout: urllib3.Timeout) -> tuple[urllib3.HTTPConnectionPool, str, str]:
    """A connection pool to the URL's checked address, the request path and the Host header.
    Raises UnsafeUrl for a URL or address the policy refuses, OSError when the host does not resolve."""
    parts = urlsplit(url)
    policy.check_url(url, resolve=False)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise OSError(f"cannot resolve {host}: {exc}") from exc
    address = str(infos[0][4][0])
    for info in infos:
        policy.check_address(host, str(info[4][0]))
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    pool: urllib3.HTTPConnectionPool
    if parts.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address, port, timeout=timeout, retries=False, server_hostname=host, assert_hostname=host
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=False)
    return pool, path, host if parts.port is None else f"{host}:{port}"


__all__ = ["SafeHttpClient", "UnsafeUrl", "guarded_pool"]
