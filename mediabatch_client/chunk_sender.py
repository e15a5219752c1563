"""One chunk's PUT to S3 (straight to storage, through its presigned URL), with the client's
retries: what S3's answer means for the chunk is decided here and nowhere else.

A retry is for what can pass: connection errors, timeouts, 5xx, 429, S3's RequestTimeout or
SlowDown (after an exponential backoff), and 403, an expired signature (with a freshly signed
URL). S3 no longer knowing the multipart upload fails the whole file; any other refusal, or
retries spent, fails just this chunk (`ChunkFailed`), so the file's other chunks go on."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

import requests

from mediabatch_client.api import Timeout
from mediabatch_client.errors import Aborted, ChunkFailed, UploadError
from mediabatch_client.local_file import PartReader
from mediabatch_client.retry import RETRYABLE_S3_CODES, RETRYABLE_STATUS, s3_error_code
from mediabatch_client.transfer import FileTransfer

__all__ = ["ChunkSender"]

logger = logging.getLogger("mediabatch_client")


@dataclass(frozen=True)
class _Retry:
    """An attempt failed in a way worth another: why, and whether the URL must be signed anew."""

    cause: str
    refresh: bool = False


@dataclass(frozen=True)
class ChunkSender:
    """Sends chunks over `http` (never with the API key: the URL carries the signature)."""

    http: requests.Session
    timeout: Timeout
    retries: int  # further attempts after the first
    delay: Callable[[int], float]  # seconds to wait before retry n (1-based)

    def send(self, transfer: FileTransfer, index: int, url: str, abort: threading.Event) -> None:
        """PUT chunk `index` to S3, retrying; raises ChunkFailed when retries are spent, Aborted
        when the call is abandoned, UploadError when the whole file cannot go on."""
        session = transfer.session
        offset, length = session.chunk_range(index)
        headers = dict(session.required_headers)
        attempt = 0
        while True:
            retry = self._attempt(transfer, url, offset, length, headers, abort)
            if retry is None:
                return
            attempt += 1
            if attempt > self.retries:
                raise ChunkFailed(f"{retry.cause} (after {attempt} attempts)")
            logger.info(
                "chunk %d of %s: %s; retry %d of %d", index, session.upload_id, retry.cause, attempt, self.retries
            )
            if abort.wait(self.delay(attempt)):
                raise Aborted
            if retry.refresh:
                url = transfer.fresh_url(index)

    def _attempt(
        self,
        transfer: FileTransfer,
        url: str,
        offset: int,
        length: int,
        headers: dict[str, str],
        abort: threading.Event,
    ) -> _Retry | None:
        """One PUT: None when S3 stored the chunk, else the reason to try again."""
        reader = PartReader(transfer.path, offset, length, transfer.tracker.add_bytes, abort)
        try:
            try:
                response = self.http.put(url, data=reader, headers=headers, timeout=self.timeout)
            except UploadError:  # the local file, raised as is
                transfer.tracker.add_bytes(-reader.sent)
                raise
            except (requests.RequestException, Aborted) as exc:
                transfer.tracker.add_bytes(-reader.sent)
                return _Retry(_network_cause(reader, exc, abort))
            return _judge(transfer, reader, response)
        finally:
            reader.close()


def _network_cause(reader: PartReader, exc: requests.RequestException | Aborted, abort: threading.Event) -> str:
    """Why a PUT got no answer, if that is worth a retry: a local read failure (which requests
    may have wrapped) and an abandoned call are raised instead."""
    if reader.local_error is not None:
        raise reader.local_error from exc
    if isinstance(exc, Aborted) or abort.is_set():
        raise Aborted from exc
    return f"{type(exc).__name__}: {exc}"


def _judge(transfer: FileTransfer, reader: PartReader, response: requests.Response) -> _Retry | None:
    """S3's answer to a PUT: None (stored), a retry, or raised (ChunkFailed, UploadError)."""
    status, text = response.status_code, response.text[:2000]
    response.close()
    if status < 300:
        transfer.tracker.chunk_done()
        return None
    transfer.tracker.add_bytes(-reader.sent)
    code = s3_error_code(text)
    cause = f"storage answered HTTP {status}{' ' + code if code else ''}"
    if status == 404 and code == "NoSuchUpload":
        raise UploadError(
            "S3 no longer knows this multipart upload (expired or aborted); start a new upload",
            code="upload_gone",
            status=status,
            upload_id=transfer.session.upload_id,
            path=transfer.path,
        )
    if status == 403:
        return _Retry(cause, refresh=True)  # an expired (or otherwise refused) signature: ask for a fresh URL
    if status not in RETRYABLE_STATUS and code not in RETRYABLE_S3_CODES:
        raise ChunkFailed(f"{cause}: {text[:300]}")
    return _Retry(cause)
