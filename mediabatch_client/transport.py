"""The API on the wire for every resource: one requests session with urllib3's `Retry`
(backoff on connection errors, 429 and 5xx, honouring Retry-After), a timeout on every call,
the API key on every request, and the API's error envelope turned into the exception of its
code (`errors.error_for`).

A call that is not safe to send twice (a POST without an Idempotency-Key) goes through a second
adapter that retries only connection failures, where nothing reached the server."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from mediabatch_client.errors import ConnectionFailed, MediaBatchError, UnexpectedResponse, error_for
from mediabatch_client.retry import RETRYABLE_STATUS

__all__ = ["DEFAULT_TIMEOUT", "Timeout", "Transport", "new_idempotency_key"]

Timeout = float | tuple[float, float]
DEFAULT_TIMEOUT: tuple[float, float] = (10.0, 60.0)  # (connect, read) seconds


def new_idempotency_key() -> str:
    return str(uuid.uuid4())


def _retry(retries: int, backoff: float, *, safe: bool) -> Retry:
    """Retries for calls safe to repeat (every failure worth a wait), or for the others (only a
    connection that never opened)."""
    return Retry(
        total=retries,
        connect=retries,
        read=retries if safe else 0,
        status=retries if safe else 0,
        other=0,
        allowed_methods=None,  # every method: which calls are safe is decided by the adapter chosen
        status_forcelist=sorted(RETRYABLE_STATUS) if safe else [],
        backoff_factor=backoff,
        backoff_max=30.0,
        backoff_jitter=backoff / 2,
        respect_retry_after_header=True,
        raise_on_status=False,  # the last answer comes back, so its error envelope is read
    )


class Transport:
    """`base_url` (e.g. http://127.0.0.1:8080), the API key, `retries` further attempts after the
    first, `backoff` the first wait in seconds (doubling), `timeout` for every call."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: Timeout = DEFAULT_TIMEOUT,
        retries: int = 3,
        backoff: float = 0.5,
        user_agent: str = "mediabatch-client",
        auth_header: str = "X-API-Key",
    ) -> None:
        """`auth_header`: the header that carries `api_key` (the admin client sends its token in
        X-Admin-Token)."""
        if not api_key:
            raise ValueError("api_key is required")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._headers = {auth_header: api_key, "Accept": "application/json", "User-Agent": user_agent}
        self._safe = self._session(_retry(retries, backoff, safe=True))
        self._once = self._session(_retry(retries, backoff, safe=False))

    @staticmethod
    def _session(retry: Retry) -> requests.Session:
        session = requests.Session()
        adapter = HTTPAdapter(max_retries=retry, pool_maxsize=8)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    def close(self) -> None:
        self._safe.close()
        self._once.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        safe: bool | None = None,
        files: Any = None,
        data: Mapping[str, str] | None = None,
    ) -> Any:
        """One call; returns the decoded JSON body (None for an empty one). `safe`: may it be
        sent twice (default: GET/DELETE, or any call with an `idempotency_key`). `files`/`data`:
        a multipart body instead of JSON (as requests takes them)."""
        headers = dict(self._headers)
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        if safe is None:
            safe = method.upper() in ("GET", "HEAD", "DELETE", "PUT") or idempotency_key is not None
        http = self._safe if safe else self._once
        query = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            response = http.request(
                method,
                self.base_url + path,
                json=json,
                params=query,
                headers=headers,
                timeout=self.timeout,
                files=files,
                data=data,
            )
        except requests.RequestException as exc:
            raise ConnectionFailed(f"{method} {path}: {_cause(exc)}", code="connection_error", status=None) from exc
        return _body_of(response, f"{method} {path}")

    def put_object(self, url: str, data: bytes, headers: Mapping[str, str]) -> None:
        """PUT bytes to a presigned storage URL (no API key: the URL is the permission); the
        same bytes may be sent twice, so it is retried like a GET."""
        try:
            response = self._safe.request("PUT", url, data=data, headers=dict(headers), timeout=self.timeout)
        except requests.RequestException as exc:
            raise ConnectionFailed(f"PUT {url.split('?')[0]}: {_cause(exc)}", code="connection_error") from exc
        if response.status_code >= 300:
            raise error_for(
                "storage_error",
                f"storage refused the file: HTTP {response.status_code} {response.text[:200]!r}",
                response.status_code,
            )


def _cause(exc: requests.RequestException) -> str:
    """The innermost reason (urllib3 wraps it in MaxRetryError, requests in its own class)."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return f"{type(exc).__name__}: {reason or exc}"


def _body_of(response: requests.Response, what: str) -> Any:
    """The decoded body of a 2xx answer, or the error its envelope names, raised."""
    if response.status_code < 400 and (response.status_code == 204 or not response.content):
        return None
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code >= 400:
        raise _error_of(body, response.status_code, what, response.text)
    if body is None:
        raise UnexpectedResponse(
            f"{what} answered HTTP {response.status_code} without JSON: {response.text[:200]!r}",
            code="unexpected_response",
            status=response.status_code,
        )
    return body


# The code of a `{"detail": "..."}` answer, by its status (the body names none).
_DETAIL_CODES = {400: "bad_request", 404: "not_found", 409: "conflict", 413: "payload_too_large", 500: "internal_error"}


def _error_of(body: Any, status: int, what: str, text: str) -> MediaBatchError:
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and error.get("code"):
        return error_for(str(error["code"]), str(error.get("message", "")), status, error.get("details"))
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, str):  # the document routes answer the seed's `{"detail": "..."}`
        return error_for(_DETAIL_CODES.get(status, f"http_{status}"), detail, status)
    message = body.get("message") if isinstance(body, dict) else None
    return error_for(f"http_{status}", str(message or f"{what} answered HTTP {status}: {text[:200]!r}"), status)
