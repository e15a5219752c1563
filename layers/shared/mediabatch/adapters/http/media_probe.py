"""The MediaTypeProbe of batch downloads: one HEAD through the SSRF guard of safe_client.py
(checked address, no redirects followed), bounded by its timeout; no body is read."""

from __future__ import annotations

import urllib3

from mediabatch.adapters.http.safe_client import guarded_pool
from mediabatch.errors import UnsafeUrl
from mediabatch.urlguard import UrlPolicy


class HeadMediaTypeProbe:
    def __init__(self, policy: UrlPolicy) -> None:
        self._policy = policy

    def content_type(self, url: str, *, timeout_seconds: float) -> str | None:
        timeout = urllib3.Timeout(connect=timeout_seconds, read=timeout_seconds, total=timeout_seconds)
        try:
            pool, path, host_header = guarded_pool(self._policy, url, timeout)
        except (UnsafeUrl, OSError):
            return None
        try:
            response = pool.urlopen(
                "HEAD",
                path,
                headers={"host": host_header, "user-agent": "mediabatch/1 (+batch download)"},
                redirect=False,
                assert_same_host=False,
                preload_content=False,
            )
            response.release_conn()
        except (urllib3.exceptions.HTTPError, OSError):
            return None
        finally:
            pool.close()
        if not 200 <= response.status < 300:
            return None
        value = response.headers.get("content-type")
        return value.split(";", 1)[0].strip().lower() or None if value else None
