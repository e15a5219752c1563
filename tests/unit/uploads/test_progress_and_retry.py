"""GET /progress and POST /retry through fakes: reconciled against what storage holds, never
against what a client claims."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest

from mediabatch.errors import Conflict, NotFound, ValidationFailed
from mediabatch.uploads import plan
from mediabatch.uploads.models import ChunkUrl, InitializedUpload, UploadStatus
from tests.unit.uploads.conftest import URL_TTL, MiB, Uploads

pytestmark = pytest.mark.usefixtures("small_parts")

SIZE = 3 * MiB + MiB // 2  # 4 chunks of 1 MiB, the last one half


def indexes(urls: list[ChunkUrl]) -> list[int]:
    return [u.chunk_index for u in urls]


def part_number(url: ChunkUrl) -> int:
    return int(parse_qs(urlsplit(url.url).query)["partNumber"][0])


@pytest.fixture
def big(uploads: Uploads) -> InitializedUpload:
    upload = uploads.open(filename="big.mp4", size=SIZE)
    assert upload.session.total_chunks == 4
    return upload


def test_a_fresh_upload_has_nothing_and_lacks_every_chunk(uploads: Uploads, big: InitializedUpload) -> None:
    progress = uploads.service.progress("t1", big.session.upload_id)
    assert (progress.status, progress.percent, progress.completed_count) == (UploadStatus.INITIALIZED, 0, 0)
    assert progress.failed_chunks == [] and progress.uploaded_bytes == 0
    urls = uploads.service.retry("t1", big.session.upload_id)
    assert indexes(urls) == [0, 1, 2, 3] and [part_number(u) for u in urls] == [1, 2, 3, 4]


def test_progress_counts_the_parts_in_storage_and_retry_offers_the_rest(
    uploads: Uploads, big: InitializedUpload
) -> None:
    uploads.send(big, 0, b"a" * MiB)
    uploads.send(big, 2, b"c" * MiB)

    progress = uploads.service.progress("t1", big.session.upload_id)

    assert progress.status is UploadStatus.UPLOADING and progress.completed_count == 2
    assert progress.uploaded_bytes == 2 * MiB and progress.percent == 2 * MiB * 100 // SIZE
    assert progress.required_headers == {} and progress.urls_expire_in_seconds == URL_TTL
    assert indexes(uploads.service.retry("t1", big.session.upload_id)) == [1, 3]
    stored = uploads.sessions.get("t1", big.session.upload_id)
    assert stored is not None and (stored.status, stored.completed_count) == (UploadStatus.UPLOADING, 2)


def test_a_part_of_the_wrong_size_is_failed_and_offered_again_in_index_order(
    uploads: Uploads, big: InitializedUpload
) -> None:
    uploads.send(big, 0, b"a" * MiB)
    uploads.send(big, 2, b"short", enforce_length=False)  # moto does not enforce signed lengths either

    progress = uploads.service.progress("t1", big.session.upload_id)

    assert progress.failed_chunks == [2] and progress.completed_count == 1
    assert indexes(uploads.service.retry("t1", big.session.upload_id)) == [1, 2, 3]


def test_every_part_in_storage_is_uploaded_at_100_percent(uploads: Uploads, big: InitializedUpload) -> None:
    for index in range(4):
        uploads.send(big, index, b"x" * (MiB if index < 3 else MiB // 2))
    progress = uploads.service.progress("t1", big.session.upload_id)
    assert (progress.status, progress.percent, progress.completed_count) == (UploadStatus.UPLOADED, 100, 4)
    assert uploads.service.retry("t1", big.session.upload_id) == []


def test_a_chunk_that_failed_to_assemble_is_failed_until_its_part_arrives(
    uploads: Uploads, big: InitializedUpload
) -> None:
    uploads.sessions.mark_chunk_failed(big.session, 1)
    assert uploads.service.progress("t1", big.session.upload_id).failed_chunks == [1]
    uploads.send(big, 1, b"b" * MiB)
    assert uploads.service.progress("t1", big.session.upload_id).failed_chunks == []


def test_retry_pages_with_limit_and_after(uploads: Uploads, big: InitializedUpload) -> None:
    upload_id = big.session.upload_id
    assert indexes(uploads.service.retry("t1", upload_id, limit=2)) == [0, 1]
    assert indexes(uploads.service.retry("t1", upload_id, limit=2, after=1)) == [2, 3]
    assert uploads.service.retry("t1", upload_id, limit=2, after=3) == []
    uploads.send(big, 2, b"c" * MiB)
    assert indexes(uploads.service.retry("t1", upload_id, limit=2, after=0)) == [1, 3]


def test_retry_answers_at_most_one_page_by_default(
    uploads: Uploads, big: InitializedUpload, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plan, "URLS_PER_RESPONSE", 3)
    assert indexes(uploads.service.retry("t1", big.session.upload_id)) == [0, 1, 2]
    with pytest.raises(ValidationFailed):
        uploads.service.retry("t1", big.session.upload_id, limit=4)


@pytest.mark.parametrize("limit", [0, -1, plan.URLS_PER_RESPONSE + 1, 5000])
def test_retry_refuses_a_limit_out_of_range(uploads: Uploads, big: InitializedUpload, limit: int) -> None:
    with pytest.raises(ValidationFailed) as refused:
        uploads.service.retry("t1", big.session.upload_id, limit=limit)
    assert refused.value.code == "validation_error"
    assert refused.value.details == [{"field": "limit", "message": f"1..{plan.URLS_PER_RESPONSE}"}]


def test_a_single_put_of_the_wrong_size_is_failed_and_signed_again(uploads: Uploads) -> None:
    upload = uploads.open(size=5000)
    uploads.send(upload, 0, b"x" * 4000, enforce_length=False)

    progress = uploads.service.progress("t1", upload.session.upload_id)

    assert progress.failed_chunks == [0] and progress.percent < 100
    assert progress.required_headers == {"Content-Type": "video/mp4"}
    (again,) = uploads.service.retry("t1", upload.session.upload_id)
    assert again.chunk_index == 0 and again.url == upload.presigned_urls[0]


def test_a_whole_single_put_is_uploaded(uploads: Uploads) -> None:
    upload = uploads.open(size=5000)
    uploads.send(upload, 0, b"x" * 5000)
    progress = uploads.service.progress("t1", upload.session.upload_id)
    assert (progress.status, progress.percent, progress.uploaded_bytes) == (UploadStatus.UPLOADED, 100, 5000)


def test_an_aborted_multipart_upload_fails_and_cannot_be_retried(uploads: Uploads, big: InitializedUpload) -> None:
    assert big.session.multipart_upload_id is not None
    uploads.storage.abort(big.session.multipart_upload_id)

    assert uploads.service.progress("t1", big.session.upload_id).status is UploadStatus.FAILED
    with pytest.raises(Conflict) as refused:
        uploads.service.retry("t1", big.session.upload_id)
    assert refused.value.code == "upload_expired"


def test_an_expired_session_is_refused(uploads: Uploads, big: InitializedUpload) -> None:
    uploads.sessions.sessions[("t1", big.session.upload_id)].expires_at_epoch = int(time.time()) - 1
    for call in (uploads.service.progress, uploads.service.retry, uploads.service.complete):
        with pytest.raises(Conflict) as refused:
            call("t1", big.session.upload_id)
        assert refused.value.code == "upload_expired"


@pytest.mark.parametrize("upload_id", ["00000000-0000-0000-0000-000000000000", "not-an-id", ""])
def test_unknown_upload_ids_are_not_found(uploads: Uploads, upload_id: str) -> None:
    with pytest.raises(NotFound) as missing:
        uploads.service.progress("t1", upload_id)
    assert missing.value.code == "upload_not_found"


def test_another_tenants_upload_is_not_found_in_every_use_case(uploads: Uploads, big: InitializedUpload) -> None:
    upload_id = big.session.upload_id
    calls = {
        "progress": lambda: uploads.service.progress("t2", upload_id),
        "retry": lambda: uploads.service.retry("t2", upload_id),
        "complete": lambda: uploads.service.complete("t2", upload_id),
        "chunk": lambda: uploads.service.put_chunk("t2", upload_id, 0, 0, b"x" * MiB),
    }
    for name, call in calls.items():
        with pytest.raises(NotFound) as stolen:
            call()
        assert stolen.value.code == "upload_not_found", name
    assert uploads.storage.list_parts(big.session.s3_key, big.session.multipart_upload_id or "") == {}
