"""How a file is cut into parts: pure arithmetic, checked at its edges."""

from __future__ import annotations

import pytest

from mediabatch.uploads.plan import (
    DEFAULT_PART_BYTES,
    MAX_FILE_BYTES,
    MAX_PARTS,
    MIN_PART_BYTES,
    SINGLE_PUT_MAX_BYTES,
    plan_upload,
)


@pytest.mark.parametrize("size", [1, 1000, SINGLE_PUT_MAX_BYTES])
def test_up_to_the_limit_a_file_is_one_put(size: int) -> None:
    plan = plan_upload(size)
    assert (plan.is_chunked, plan.total_chunks, plan.chunk_length(0)) == (False, 1, size)


@pytest.mark.parametrize("size", [SINGLE_PUT_MAX_BYTES + 1, 10 * 2**30 + 7, MAX_FILE_BYTES])
def test_parts_cover_the_file_within_s3s_limits(size: int) -> None:
    plan = plan_upload(size)
    lengths = [plan.chunk_length(i) for i in range(plan.total_chunks)]
    assert plan.is_chunked and sum(lengths) == size
    assert plan.total_chunks <= MAX_PARTS and plan.chunk_size >= DEFAULT_PART_BYTES
    assert all(length >= MIN_PART_BYTES for length in lengths[:-1]) and 0 < lengths[-1] <= plan.chunk_size


@pytest.mark.parametrize("size", [0, -1, MAX_FILE_BYTES + 1])
def test_sizes_out_of_range_cannot_be_planned(size: int) -> None:
    with pytest.raises(ValueError):
        plan_upload(size)


def test_there_is_no_chunk_past_the_last() -> None:
    plan = plan_upload(SINGLE_PUT_MAX_BYTES + 1)
    for index in (-1, plan.total_chunks):
        with pytest.raises(IndexError):
            plan.chunk_length(index)
