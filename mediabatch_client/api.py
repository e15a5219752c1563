"""The batch-upload API on the wire: the requests session, one API call with its retries, and
the API's ``{"success", "data" | "error"}`` envelope turned into data or an `UploadError`.

Kept apart from the upload logic so a change to the API's paths, limits or envelope touches
this module only."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from mediabatch_client.errors import UploadError
from mediabatch_client.local_file import SEND_BLOCK
from mediabatch_client.retry import RETRYABLE_STATUS
from mediabatch_client.video_types import guess_video_type

__all__ = [
    "API_PREFIX",
    "MAX_FILES_PER_INIT",
    "URLS_PER_PAGE",
    "BlockAdapter",
    "Timeout",
    "call_api",
    "data_of",
    "init_body",
    "new_session",
    "retry_page",
]

logger = logging.getLogger("mediabatch_client")

API_PREFIX = "/api/v1/videos/batch"
MAX_FILES_PER_INIT = 5  # the server's limit per POST /init
URLS_PER_PAGE = 1000  # the server's limit per answer (POST /retry?limit=)

Timeout = float | tuple[float, float]


class BlockAdapter(HTTPAdapter):
    """Sends request bodies in SEND_BLOCK blocks (urllib3's default is 16 KiB)."""

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any) -> None:
        pool_kwargs.setdefault("blocksize", SEND_BLOCK)
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)


def new_session(max_workers: int) -> requests.Session:
    """The client's own session: a connection pool with room for every worker (and an API
    call besides), sending bodies in large blocks."""
    session = requests.Session()
    adapter = BlockAdapter(pool_connections=4, pool_maxsize=max_workers + 2)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def call_api(
    http: requests.Session,
    base_url: str,
    api_key: str,
    method: str,
    path: str,
    *,
    json: Any = None,
    params: Mapping[str, Any] | None = None,
    timeout: Timeout,
    attempts: int,
    delay: Callable[[int], float],
) -> Any:
    """One API call, tried up to `attempts` times (on connection errors, 429 and 5xx, waiting
    `delay(attempt)` seconds between); returns the envelope's `data`."""
    url = f"{base_url}{API_PREFIX}{path}"
    headers = {"X-API-Key": api_key, "Accept": "application/json"}
    for attempt in range(1, attempts + 1):
        try:
            response = http.request(method, url, json=json, params=params, headers=headers, timeout=timeout)
        except requests.RequestException as exc:
            if attempt < attempts:
                time.sleep(delay(attempt))
                continue
            raise UploadError(
                f"{method} {API_PREFIX}{path}: {type(exc).__name__}: {exc}", code="connection_error"
            ) from exc
        if response.status_code in RETRYABLE_STATUS and attempt < attempts:
            logger.info("%s %s answered %d; retrying", method, path, response.status_code)
            time.sleep(delay(attempt))
            continue
        return data_of(response, f"{method} {API_PREFIX}{path}")
    raise AssertionError("unreachable")


def data_of(response: requests.Response, what: str) -> Any:
    """The `data` of the API's ``{"success": true, "data": ...}``, or its error as UploadError."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise UploadError(
            f"{what} answered HTTP {response.status_code} without JSON: {response.text[:300]!r}",
            code=f"http_{response.status_code}",
            status=response.status_code,
        )
    if response.status_code >= 400 or body.get("success") is False:
        raise _api_error(body, response.status_code, what)
    if "data" not in body:
        raise UploadError(f"{what} answered without data: {body!r:.300}", code="unexpected_response")
    return body["data"]


def _api_error(body: Mapping[str, Any], status: int, what: str) -> UploadError:
    """The API's error envelope (or a bare message) as an UploadError with its code."""
    error = body.get("error")
    if isinstance(error, dict):
        code, message, details = str(error.get("code", "")), str(error.get("message", "")), error.get("details")
    else:
        code, message, details = "", str(error or body.get("message") or ""), None
    return UploadError(message or f"{what} failed", code=code or f"http_{status}", status=status, details=details)


def init_body(files: Sequence[tuple[Path, int]], channel_id: str | None) -> dict[str, Any]:
    """POST /init's body for local files (name, size, and the video type the server would guess)."""
    body: dict[str, Any] = {
        "files": [
            {"filename": p.name, "size": size, **({"type": t} if (t := guess_video_type(p.name)) else {})}
            for p, size in files
        ]
    }
    if channel_id is not None:
        body["channel_id"] = channel_id
    return body


def retry_page(data: Any) -> dict[int, str]:
    """POST /retry's answer as {chunk index: URL}, in the server's order."""
    if not isinstance(data, list):
        raise UploadError(f"POST /retry answered {data!r:.200}", code="unexpected_response")
    try:
        return {int(item["chunkIndex"]): str(item["url"]) for item in data}
    except (KeyError, TypeError, ValueError) as exc:
        raise UploadError(f"POST /retry answered {data!r:.200}", code="unexpected_response") from exc
