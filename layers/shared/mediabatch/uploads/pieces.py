"""POST /chunk: the server-side path, for clients that cannot PUT to S3.

A Lambda request carries at most 6 MB while S3 parts must be at least 5 MiB, so a chunk may
arrive in pieces of at most 4 MiB (`offset` says where each piece belongs); when its pieces
cover it, the chunk becomes its S3 part."""

from __future__ import annotations

from mediabatch.errors import Conflict, PayloadTooLarge, ValidationFailed
from mediabatch.uploads.models import ChunkReceipt, UploadSession, UploadStatus
from mediabatch.uploads.plan import SERVER_PIECE_MAX_BYTES
from mediabatch.uploads.ports import PieceLedger, UploadSessionRepository, UploadStorage
from mediabatch.uploads.sessions import load_session, multipart_id, plan_of, upload_target

PIECES_PREFIX = "staging/pieces/"  # template.yaml: the bucket's lifecycle rule expires `staging/`


class PieceAssembler:
    def __init__(self, sessions: UploadSessionRepository, ledger: PieceLedger, storage: UploadStorage) -> None:
        self._sessions = sessions
        self._ledger = ledger
        self._storage = storage

    def put_chunk(self, tenant_id: str, upload_id: str, chunk_index: int, offset: int, body: bytes) -> ChunkReceipt:
        if chunk_index < 0 or offset < 0:
            raise ValidationFailed("chunkIndex and offset must be non-negative integers", code="invalid_chunk_index")
        session = load_session(self._sessions, tenant_id, upload_id)
        if session.status is UploadStatus.COMPLETED:
            raise Conflict("this upload is already completed", code="upload_completed")
        expected = _check_piece(session, chunk_index, offset, body)
        if not session.is_chunked:
            return self._whole_file(session, offset, body)
        if offset == 0 and len(body) == expected:
            self._storage.upload_part(session.s3_key, multipart_id(session), chunk_index + 1, body)
            return ChunkReceipt(chunk_index, expected, chunk_complete=True)
        return self._add_piece(session, chunk_index, offset, body, expected)

    def _whole_file(self, session: UploadSession, offset: int, body: bytes) -> ChunkReceipt:
        if offset != 0 or len(body) != session.size:
            raise ValidationFailed(
                f"a single-request upload must carry the whole file ({session.size} bytes); files over "
                f"{SERVER_PIECE_MAX_BYTES} bytes go through the presigned URL",
                code="invalid_piece",
            )
        self._storage.put_bytes(upload_target(session), body, session.content_type)
        return ChunkReceipt(0, len(body), chunk_complete=True)

    def _add_piece(
        self, session: UploadSession, chunk_index: int, offset: int, body: bytes, expected: int
    ) -> ChunkReceipt:
        # Outside the media keys, under a prefix the bucket expires: pieces never outlive an upload.
        prefix = piece_prefix(session, chunk_index)
        self._storage.put_bytes(f"{prefix}/{offset:012d}", body)
        pieces = self._ledger.add_piece(session, chunk_index, offset, len(body))
        received = covered(pieces)
        complete = received == expected
        if complete and self._ledger.claim_compose(session, chunk_index):
            self._assemble(session, chunk_index, pieces, expected)
        return ChunkReceipt(chunk_index, received, chunk_complete=complete)

    def _assemble(self, session: UploadSession, chunk_index: int, pieces: dict[int, int], expected: int) -> None:
        """The chunk from its pieces, placed by offset (overlapping resends are harmless), as
        its S3 part. A failure is remembered, so /progress and /retry offer the chunk again."""
        prefix = piece_prefix(session, chunk_index)
        try:
            data = bytearray(expected)
            for piece_offset in sorted(pieces):
                piece = self._storage.get_bytes(f"{prefix}/{piece_offset:012d}")
                data[piece_offset : piece_offset + len(piece)] = piece
            self._storage.upload_part(session.s3_key, multipart_id(session), chunk_index + 1, bytes(data[:expected]))
            self._storage.delete(self._storage.list_keys(prefix + "/"))
            self._ledger.reset_chunk(session, chunk_index)
        except Exception:
            self._ledger.mark_chunk_failed(session, chunk_index)
            self._ledger.reset_chunk(session, chunk_index)
            raise


def _check_piece(session: UploadSession, chunk_index: int, offset: int, body: bytes) -> int:
    """The length of the chunk the piece belongs to, if the piece fits in it."""
    plan = plan_of(session)
    if not 0 <= chunk_index < plan.total_chunks:
        raise ValidationFailed(
            f"chunkIndex must be between 0 and {plan.total_chunks - 1}",
            details=[{"field": "chunkIndex", "message": "out of range"}],
            code="invalid_chunk_index",
        )
    if len(body) > SERVER_PIECE_MAX_BYTES:
        raise PayloadTooLarge(
            f"send at most {SERVER_PIECE_MAX_BYTES} bytes per request; split the chunk into pieces with ?offset=",
            code="piece_too_large",
        )
    expected = plan.chunk_length(chunk_index)
    if not body or offset < 0 or offset + len(body) > expected:
        raise ValidationFailed(
            f"piece [{offset}, {offset + len(body)}) does not fit chunk {chunk_index} of {expected} bytes",
            details=[{"field": "offset", "message": "out of range"}],
            code="invalid_piece",
        )
    return expected


def piece_prefix(session: UploadSession, chunk_index: int) -> str:
    return f"{PIECES_PREFIX}{session.tenant_id}/{session.upload_id}/{chunk_index:05d}"


def covered(pieces: dict[int, int]) -> int:
    """Bytes covered contiguously from offset 0."""
    end = 0
    for offset in sorted(pieces):
        if offset > end:
            break
        end = max(end, offset + pieces[offset])
    return end
