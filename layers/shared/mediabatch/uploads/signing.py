"""Presigned URLs for the chunks of an upload, and the headers their signatures bind."""

from __future__ import annotations

from mediabatch.uploads.models import ChunkUrl, UploadSession
from mediabatch.uploads.ports import UploadStorage
from mediabatch.uploads.sessions import multipart_id, plan_of, upload_target


class ChunkSigner:
    def __init__(self, storage: UploadStorage, *, ttl_seconds: int) -> None:
        self._storage = storage
        self.ttl_seconds = ttl_seconds

    def urls(self, session: UploadSession, indexes: list[int]) -> list[ChunkUrl]:
        """One URL per chunk index; a single-PUT file has one chunk, so at most one URL. Each
        URL binds its body's length (and a single PUT's type too)."""
        if not session.is_chunked:
            return [
                ChunkUrl(
                    0,
                    self._storage.presign_put(
                        upload_target(session),
                        content_type=session.content_type,
                        content_length=session.size,
                        ttl_seconds=self.ttl_seconds,
                    ),
                )
                for _ in indexes[:1]
            ]
        plan, upload_id = plan_of(session), multipart_id(session)
        return [
            ChunkUrl(
                i,
                self._storage.presign_upload_part(
                    session.s3_key, upload_id, i + 1, content_length=plan.chunk_length(i), ttl_seconds=self.ttl_seconds
                ),
            )
            for i in indexes
        ]

    @staticmethod
    def required_headers(session: UploadSession) -> dict[str, str]:
        """A single PUT's signature covers Content-Type, so the client must send exactly it;
        parts carry no type."""
        return {} if session.is_chunked else {"Content-Type": session.content_type}
