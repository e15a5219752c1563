"""POST /chunk through fakes: a chunk arrives whole or in pieces at offsets, and becomes its
part once its pieces cover it."""

from __future__ import annotations

import hashlib

import pytest

from mediabatch.errors import Conflict, PayloadTooLarge, ValidationFailed
from mediabatch.uploads.models import InitializedUpload
from mediabatch.uploads.pieces import PIECES_PREFIX
from mediabatch.uploads.plan import SERVER_PIECE_MAX_BYTES
from tests.unit.uploads.conftest import MiB, Uploads

pytestmark = pytest.mark.usefixtures("small_parts")

SIZE = 3 * MiB + MiB // 2
QUARTER = MiB // 4


@pytest.fixture
def big(uploads: Uploads) -> InitializedUpload:
    return uploads.open(filename="big.mp4", size=SIZE)


def chunk(index: int) -> bytes:
    length = MiB if index < 3 else MiB // 2
    return bytes((index * 7 + i) % 251 for i in range(256)) * (length // 256)


def stored_part(uploads: Uploads, upload: InitializedUpload, index: int) -> bytes | None:
    (mpu,) = uploads.storage.uploads.values()
    return mpu.parts.get(index + 1)


def put(uploads: Uploads, upload: InitializedUpload, index: int, offset: int, body: bytes):
    return uploads.service.put_chunk("t1", upload.session.upload_id, index, offset, body)


def test_pieces_out_of_order_become_the_part_once_they_cover_the_chunk(
    uploads: Uploads, big: InitializedUpload
) -> None:
    data = chunk(1)
    receipts = [put(uploads, big, 1, offset, data[offset : offset + QUARTER]) for offset in (0, 2 * QUARTER, QUARTER)]
    assert [(r.received, r.chunk_complete) for r in receipts] == [
        (QUARTER, False),
        (QUARTER, False),
        (3 * QUARTER, False),
    ]
    assert stored_part(uploads, big, 1) is None

    last = put(uploads, big, 1, 3 * QUARTER, data[3 * QUARTER :])

    assert (last.chunk_index, last.received, last.chunk_complete) == (1, MiB, True)
    assert stored_part(uploads, big, 1) == data
    assert uploads.storage.list_keys(PIECES_PREFIX) == []  # pieces are removed once assembled
    assert uploads.sessions.chunks == {}
    assert uploads.service.progress("t1", big.session.upload_id).completed_count == 1


def test_overlapping_resent_pieces_do_not_corrupt_the_chunk(uploads: Uploads, big: InitializedUpload) -> None:
    data = chunk(0)
    for offset in (0, 300_000, 200_000, 600_000, 900_000):
        put(uploads, big, 0, offset, data[offset : offset + 400_000])
    part = stored_part(uploads, big, 0)
    assert part is not None and hashlib.md5(part).digest() == hashlib.md5(data).digest()


def test_a_whole_chunk_in_one_request_is_its_part(uploads: Uploads, big: InitializedUpload) -> None:
    receipt = put(uploads, big, 3, 0, chunk(3))
    assert (receipt.received, receipt.chunk_complete) == (MiB // 2, True)
    assert stored_part(uploads, big, 3) == chunk(3) and uploads.storage.list_keys(PIECES_PREFIX) == []


def test_a_small_file_in_one_request_is_staged_with_its_type(uploads: Uploads) -> None:
    upload = uploads.open(filename="clip.mov", size=1000)
    receipt = uploads.service.put_chunk("t1", upload.session.upload_id, 0, 0, b"v" * 1000)
    assert (receipt.chunk_index, receipt.received, receipt.chunk_complete) == (0, 1000, True)
    progress = uploads.service.progress("t1", upload.session.upload_id)
    assert progress.percent == 100
    item = uploads.service.complete("t1", upload.session.upload_id).item
    assert item.content_type == "video/quicktime" and item.size == 1000


def test_a_small_file_must_come_whole(uploads: Uploads) -> None:
    upload = uploads.open(size=1000)
    with pytest.raises(ValidationFailed) as refused:
        uploads.service.put_chunk("t1", upload.session.upload_id, 0, 0, b"v" * 500)
    assert refused.value.code == "invalid_piece"


@pytest.mark.parametrize("index, offset", [(-1, 0), (0, -1)])
def test_a_negative_index_or_offset_is_refused_before_any_lookup(uploads: Uploads, index: int, offset: int) -> None:
    with pytest.raises(ValidationFailed) as refused:
        uploads.service.put_chunk("t1", "00000000-0000-0000-0000-000000000000", index, offset, b"x")
    assert refused.value.code == "invalid_chunk_index"


def test_a_piece_over_the_request_budget_is_too_large(uploads: Uploads, big: InitializedUpload) -> None:
    with pytest.raises(PayloadTooLarge) as refused:
        put(uploads, big, 0, 0, b"\0" * (SERVER_PIECE_MAX_BYTES + 1))
    assert refused.value.code == "piece_too_large"


@pytest.mark.parametrize("index", [4, 99])
def test_a_chunk_index_out_of_range_is_refused(uploads: Uploads, big: InitializedUpload, index: int) -> None:
    with pytest.raises(ValidationFailed) as refused:
        put(uploads, big, index, 0, b"x")
    assert refused.value.code == "invalid_chunk_index"


@pytest.mark.parametrize(
    "index, offset, length",
    [(0, 0, 0), (0, MiB - 5, 10), (3, MiB // 2, 1), (3, 0, MiB // 2 + 1)],
)
def test_a_piece_that_does_not_fit_its_chunk_is_refused(
    uploads: Uploads, big: InitializedUpload, index: int, offset: int, length: int
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        put(uploads, big, index, offset, b"x" * length)
    assert refused.value.code == "invalid_piece"
    assert uploads.storage.list_keys(PIECES_PREFIX) == []


def test_a_failed_assembly_is_remembered_and_the_chunk_offered_again(uploads: Uploads, big: InitializedUpload) -> None:
    data = chunk(2)
    put(uploads, big, 2, 0, data[: MiB // 2])
    uploads.storage.fail_upload_part = True
    with pytest.raises(OSError):
        put(uploads, big, 2, MiB // 2, data[MiB // 2 :])
    uploads.storage.fail_upload_part = False

    assert uploads.service.progress("t1", big.session.upload_id).failed_chunks == [2]
    assert 2 in [u.chunk_index for u in uploads.service.retry("t1", big.session.upload_id)]
    # The ledger forgot the chunk: sending it again starts afresh and succeeds.
    assert put(uploads, big, 2, MiB // 2, data[MiB // 2 :]).chunk_complete is False
    assert put(uploads, big, 2, 0, data[: MiB // 2]).chunk_complete is True
    assert stored_part(uploads, big, 2) == data
    assert uploads.service.progress("t1", big.session.upload_id).failed_chunks == []


def test_only_the_holder_of_the_claim_assembles_a_chunk(uploads: Uploads, big: InitializedUpload) -> None:
    data = chunk(0)
    put(uploads, big, 0, 0, data[: MiB // 2])
    assert uploads.sessions.claim_compose(big.session, 0)  # another request is assembling it

    receipt = put(uploads, big, 0, MiB // 2, data[MiB // 2 :])

    assert receipt.chunk_complete and uploads.sessions.claims_refused == 1
    assert stored_part(uploads, big, 0) is None  # left to the holder


def test_a_completed_upload_takes_no_more_chunks(uploads: Uploads) -> None:
    upload = uploads.open(size=1000)
    uploads.send(upload, 0, b"v" * 1000)
    uploads.service.complete("t1", upload.session.upload_id)
    with pytest.raises(Conflict) as refused:
        uploads.service.put_chunk("t1", upload.session.upload_id, 0, 0, b"v" * 1000)
    assert refused.value.code == "upload_completed"
