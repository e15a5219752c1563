"""The exceptions of the upload client: one base class, `UploadError`, that carries what the
server said (its error `code`, `message` and `details`) or what went wrong locally.

`Aborted` and `ChunkFailed` never reach the caller: they are how the threads sending chunks
tell the scheduler what became of one chunk."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mediabatch_client.models import UploadResult

__all__ = ["BatchUploadError", "PartUploadError", "UploadError"]


class UploadError(Exception):
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
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.details = details
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
