"""How a file is cut into parts: pure arithmetic, kept apart so it can be tested exhaustively."""

from __future__ import annotations

import math
from dataclasses import dataclass

MiB = 2**20
GiB = 2**30
SINGLE_PUT_MAX_BYTES = 150 * MiB  # seed: files <= 150 MB go in one PUT
MAX_FILE_BYTES = 100 * GiB
MIN_PART_BYTES = 5 * MiB  # S3: every part but the last
DEFAULT_PART_BYTES = 16 * MiB
MAX_PARTS = 10_000  # S3
URLS_PER_RESPONSE = 1000  # about 0.7 MB of URLs: far under Lambda's 6 MB response limit
SERVER_PIECE_MAX_BYTES = 4 * MiB  # a Lambda request carries at most 6 MB, base64 inflates by 4/3


@dataclass(frozen=True)
class UploadPlan:
    size: int
    is_chunked: bool
    chunk_size: int
    total_chunks: int

    def chunk_length(self, index: int) -> int:
        """Bytes of chunk `index` (0-based); the last one takes the remainder."""
        if not 0 <= index < self.total_chunks:
            raise IndexError(index)
        if index < self.total_chunks - 1:
            return self.chunk_size
        return self.size - self.chunk_size * (self.total_chunks - 1)


def plan_upload(size: int) -> UploadPlan:
    if size <= 0 or size > MAX_FILE_BYTES:
        raise ValueError(f"size must be between 1 and {MAX_FILE_BYTES} bytes")
    if size <= SINGLE_PUT_MAX_BYTES:
        return UploadPlan(size=size, is_chunked=False, chunk_size=size, total_chunks=1)
    part = max(DEFAULT_PART_BYTES, math.ceil(size / MAX_PARTS / MiB) * MiB)
    return UploadPlan(size=size, is_chunked=True, chunk_size=part, total_chunks=math.ceil(size / part))
