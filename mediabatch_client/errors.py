"""The SDK's exceptions. Every error the API answers is a `MediaBatchError` carrying the
server's stable `code`, the HTTP `status` and the `details`; `error_for` picks the subclass of
that code (`MediaNotFound`, `AuthenticationFailed`, ...), or the base class, still with its
code, for a code this SDK does not know yet. Branch on the class or on `.code`, never on the
message.

The upload flow has its own subclass, `UploadError` (with the `upload_id` to resume), and
`PartUploadError` / `BatchUploadError` below it. `Aborted` and `ChunkFailed` never reach the
caller: they are how the threads sending chunks tell the scheduler what became of one chunk."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mediabatch_client.models import UploadResult

__all__ = [
    "ERRORS_BY_CODE",
    "AuthenticationFailed",
    "BatchNotFound",
    "BatchSizeExceeded",
    "BatchUploadError",
    "ConflictError",
    "ConnectionFailed",
    "IdempotencyKeyReused",
    "InvalidRequest",
    "MediaBatchError",
    "MediaNotFound",
    "NotFoundError",
    "PartUploadError",
    "PayloadTooLarge",
    "RateLimited",
    "RouteNotFound",
    "ServerError",
    "UnexpectedResponse",
    "UnsafeUrl",
    "UploadError",
    "UploadNotFound",
    "error_for",
]


class MediaBatchError(Exception):
    """An API call failed: `code` is the server's stable error code (or the SDK's own:
    ``connection_error``, ``unexpected_response``, ``http_<status>``), `status` the HTTP status
    (None when no answer came), `details` what the server added (e.g. the invalid fields)."""

    def __init__(self, message: str, *, code: str, status: int | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.details = details

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class AuthenticationFailed(MediaBatchError):
    """``missing_api_key`` / ``invalid_api_key`` / ``unauthorized``: check the key."""


class InvalidRequest(MediaBatchError):
    """``validation_error`` / ``invalid_json`` / ``bad_request``: `details` names each field."""


class UnsafeUrl(InvalidRequest):
    """``unsafe_url``: a URL points at a private or loopback address (the SSRF guard)."""


class BatchSizeExceeded(InvalidRequest):
    """``BATCH_SIZE_EXCEEDED``: more than 50 ids in one batch call."""


class NotFoundError(MediaBatchError):
    """Nothing with this id for your tenant (``not_found`` and the ``*_not_found`` codes)."""


class BatchNotFound(NotFoundError):
    """``batch_not_found``."""


class MediaNotFound(NotFoundError):
    """``media_not_found``."""


class UploadNotFound(NotFoundError):
    """``upload_not_found``."""


class RouteNotFound(NotFoundError):
    """``route_not_found`` / ``method_not_allowed``: this server has no such route (an older
    deployment than the SDK?)."""


class ConflictError(MediaBatchError):
    """``conflict`` and friends: the request clashes with the current state."""


class IdempotencyKeyReused(ConflictError):
    """``idempotency_key_reused``: the same Idempotency-Key with another body."""


class PayloadTooLarge(MediaBatchError):
    """``payload_too_large``."""


class RateLimited(MediaBatchError):
    """HTTP 429 after every retry."""


class ServerError(MediaBatchError):
    """``internal_error`` (or any 5xx) after every retry: the server's fault."""


class ConnectionFailed(MediaBatchError):
    """``connection_error``: no answer (refused, reset, timed out) after every retry."""


class UnexpectedResponse(MediaBatchError):
    """``unexpected_response``: an answer that is not the API's (a proxy's page?)."""


ERRORS_BY_CODE: Mapping[str, type[MediaBatchError]] = {
    "missing_api_key": AuthenticationFailed,
    "invalid_api_key": AuthenticationFailed,
    "unauthorized": AuthenticationFailed,
    # Admin routes (`mediabatch_client.resources.admin`): the admin token, not a tenant key.
    "missing_admin_token": AuthenticationFailed,
    "invalid_admin_token": AuthenticationFailed,
    "admin_disabled": AuthenticationFailed,
    "tenant_exists": ConflictError,
    "validation_error": InvalidRequest,
    "invalid_json": InvalidRequest,
    "bad_request": InvalidRequest,
    "invalid_urls": InvalidRequest,
    "unsafe_url": UnsafeUrl,
    "BATCH_SIZE_EXCEEDED": BatchSizeExceeded,
    "not_found": NotFoundError,
    "batch_not_found": BatchNotFound,
    "media_not_found": MediaNotFound,
    "upload_not_found": UploadNotFound,
    "job_not_found": NotFoundError,
    "webhook_not_found": NotFoundError,
    "delivery_not_found": NotFoundError,
    "route_not_found": RouteNotFound,
    "method_not_allowed": RouteNotFound,
    "conflict": ConflictError,
    "idempotency_key_reused": IdempotencyKeyReused,
    "upload_completed": ConflictError,
    "batch_not_finished": ConflictError,
    "nothing_to_retry": ConflictError,
    "webhook_limit_reached": ConflictError,
    "invalid_event_type": InvalidRequest,
    "invalid_webhook_url": InvalidRequest,
    "invalid_url": InvalidRequest,
    "invalid_cursor": InvalidRequest,
    "payload_too_large": PayloadTooLarge,
    "rate_limited": RateLimited,
    "too_many_running_jobs": RateLimited,
    "http_429": RateLimited,
    "internal_error": ServerError,
    "http_500": ServerError,
    "http_502": ServerError,
    "http_503": ServerError,
    "http_504": ServerError,
    "connection_error": ConnectionFailed,
    "unexpected_response": UnexpectedResponse,
}


def error_for(code: str, message: str, status: int | None = None, details: Any = None) -> MediaBatchError:
    """The exception for an error `code`: its own class, or `MediaBatchError` itself for a code
    this SDK does not know (still with the code as the server sent it)."""
    cls = ERRORS_BY_CODE.get(code) or (NotFoundError if code.endswith("_not_found") else MediaBatchError)
    return cls(message, code=code, status=status, details=details)


class UploadError(MediaBatchError):
    """An upload (or one API call of it) failed.

    `code` is the server's error code (e.g. ``missing_parts``, ``upload_not_found``,
    ``validation_error``) when the API answered with an error, or one of the client's own:
    ``http_<status>`` (an answer without the API's error envelope), ``connection_error``,
    ``storage_error`` (S3 refused a part), ``upload_gone`` (S3 no longer knows the multipart
    upload), ``local_file_changed``, ``local_file_error``, ``no_urls`` (the server offered no
    URL for a chunk the client still needs), ``unexpected_response``.

    `upload_id` is set once the server has opened the upload: pass it to
    `UploadClient.resume` to finish the upload without sending again what S3 already has.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str,
        status: int | None = None,
        details: Any = None,
        upload_id: str | None = None,
        path: Path | None = None,
    ) -> None:
        super().__init__(message, code=code, status=status, details=details)
        self.upload_id = upload_id
        self.path = path

    def __str__(self) -> str:
        where = f" (upload {self.upload_id})" if self.upload_id else ""
        status = f"HTTP {self.status} " if self.status else ""
        return f"{status}{self.code}: {self.message}{where}"

    @property
    def missing_chunks(self) -> list[int]:
        """For ``missing_parts``: the chunk indexes (0-based) the server reports missing or failed."""
        if not isinstance(self.details, Mapping):
            return []
        chunks = [*self.details.get("failedChunks", []), *self.details.get("missingChunks", [])]
        return sorted(int(i) for i in chunks)


class PartUploadError(UploadError):
    """Some chunks could not be stored after every retry. The other chunks of the file were
    uploaded and the upload was not completed: `resume(upload_id, path)` sends only the chunks
    S3 does not have, then completes."""

    def __init__(
        self,
        message: str,
        *,
        failed_chunks: Sequence[int],
        causes: Mapping[int, str],
        upload_id: str | None = None,
        path: Path | None = None,
    ) -> None:
        super().__init__(
            message,
            code="parts_failed",
            upload_id=upload_id,
            path=path,
            details={"failedChunks": sorted(failed_chunks), "causes": dict(causes)},
        )
        self.failed_chunks = sorted(failed_chunks)
        self.causes = dict(causes)


class BatchUploadError(UploadError):
    """Some files of `upload_files` failed; the others were uploaded and completed.

    `results` holds the completed files (in the order given), `errors` the failures by path;
    each failure's `upload_id` (if the upload was opened) can be resumed."""

    def __init__(self, results: Sequence[UploadResult], errors: Mapping[Path, UploadError]) -> None:
        lines = "; ".join(f"{path.name}: {err}" for path, err in errors.items())
        super().__init__(f"{len(errors)} of {len(results) + len(errors)} file(s) failed: {lines}", code="batch_failed")
        self.results = list(results)
        self.errors = dict(errors)


class Aborted(Exception):
    """The call is being abandoned (another error, or KeyboardInterrupt): stop sending."""


class ChunkFailed(Exception):
    """One chunk could not be stored after every retry (the file's other chunks go on)."""

    def __init__(self, cause: str) -> None:
        super().__init__(cause)
        self.cause = cause
