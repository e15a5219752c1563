"""POST /complete through fakes: refused while anything is missing or wrong; otherwise the
file is in place, registered, announced and sent to processing, once."""

from __future__ import annotations

import pytest

from mediabatch.catalog.models import MediaType, ProcessingState
from mediabatch.errors import Conflict, NotFound, ValidationFailed
from mediabatch.uploads.models import InitRequest, UploadStatus
from mediabatch.uploads.sessions import upload_target
from tests.unit.uploads.conftest import MiB, Uploads

CLIP = bytes(range(256)) * 20


def test_a_single_put_is_moved_into_place_registered_announced_and_processed(uploads: Uploads) -> None:
    files = [{"filename": "holiday.mp4", "size": len(CLIP), "type": "video/mp4"}]
    (upload,) = uploads.service.init("t1", InitRequest.model_validate({"channel_id": "123", "files": files}))
    session = upload.session
    uploads.send(upload, 0, CLIP)

    linked = uploads.service.complete("t1", session.upload_id)

    item = linked.item
    assert (item.id, item.type, item.filename, item.title) == (
        session.file_id,
        MediaType.VIDEO,
        "holiday.mp4",
        "holiday",
    )
    assert (item.folder, item.size, item.content_type) == ("channels/123", len(CLIP), "video/mp4")
    assert item.metadata == {"source": "upload", "upload_id": session.upload_id, "channel_id": "123"}
    assert item.processing.state is ProcessingState.PENDING
    assert linked.download_url == f"https://signed.test/{session.s3_key}?filename=holiday.mp4"
    assert uploads.storage.get_bytes(session.s3_key) == CLIP
    assert uploads.storage.head(upload_target(session)) is None  # staging copy removed
    assert uploads.media_items.get("t1", item.id) == item
    assert uploads.events.events == [
        (
            "file.uploaded",
            {
                "tenant_id": "t1",
                "media_id": item.id,
                "filename": "holiday.mp4",
                "size": len(CLIP),
                "content_type": "video/mp4",
                "upload_id": session.upload_id,
                "initiator": {"type": "upload"},
            },
        )
    ]
    assert uploads.processing.started == [("t1", item.id)]
    done = uploads.service.progress("t1", session.upload_id)
    assert done.status is UploadStatus.COMPLETED and done.session.media_id == item.id and done.percent == 100


def test_without_a_channel_the_file_goes_to_uploads(uploads: Uploads) -> None:
    upload = uploads.open(size=len(CLIP))
    uploads.send(upload, 0, CLIP)
    item = uploads.service.complete("t1", upload.session.upload_id).item
    assert item.folder == "uploads" and "channel_id" not in item.metadata


def test_complete_before_the_upload_names_the_missing_part(uploads: Uploads) -> None:
    upload = uploads.open(size=1000)
    with pytest.raises(Conflict) as refused:
        uploads.service.complete("t1", upload.session.upload_id)
    assert refused.value.code == "missing_parts"
    assert refused.value.details["missingChunks"] == [0] and refused.value.details["missingPartNumbers"] == [1]
    assert uploads.media_items.items == {} and uploads.events.events == []


@pytest.mark.usefixtures("small_parts")
def test_missing_and_wrong_sized_parts_are_named_and_nothing_is_registered(uploads: Uploads) -> None:
    upload = uploads.open(filename="big.mp4", size=3 * MiB + MiB // 2)
    uploads.send(upload, 0, b"a" * MiB)
    uploads.send(upload, 2, b"short", enforce_length=False)

    with pytest.raises(Conflict) as refused:
        uploads.service.complete("t1", upload.session.upload_id)

    assert refused.value.code == "missing_parts"
    assert refused.value.details == {"missingChunks": [1, 3], "failedChunks": [2], "missingPartNumbers": [2, 3, 4]}
    assert "3 chunk(s)" in refused.value.message
    assert upload.session.multipart_upload_id in uploads.storage.uploads  # still open for the missing parts
    assert uploads.media_items.items == {}


@pytest.mark.usefixtures("small_parts")
def test_a_chunked_upload_is_completed_from_its_parts_in_order(uploads: Uploads) -> None:
    upload = uploads.open(filename="big.mp4", size=3 * MiB + MiB // 2)
    chunks = [bytes([i]) * (MiB if i < 3 else MiB // 2) for i in range(4)]
    for index in (3, 1, 0, 2):
        uploads.send(upload, index, chunks[index])

    item = uploads.service.complete("t1", upload.session.upload_id).item

    assert uploads.storage.get_bytes(upload.session.s3_key) == b"".join(chunks)
    assert item.size == upload.session.size and uploads.storage.uploads == {}
    assert uploads.processing.started == [("t1", item.id)] and len(uploads.events.events) == 1


def test_a_wrong_content_type_is_refused_and_the_file_can_be_sent_again(uploads: Uploads) -> None:
    upload = uploads.open(size=len(CLIP), type="video/mp4")
    uploads.storage.put_url(upload.presigned_urls[0], CLIP, "text/plain")

    with pytest.raises(ValidationFailed) as refused:
        uploads.service.complete("t1", upload.session.upload_id)

    assert refused.value.code == "content_type_mismatch"
    assert uploads.storage.head(upload_target(upload.session)) is None  # removed, so /retry offers it again
    assert [u.chunk_index for u in uploads.service.retry("t1", upload.session.upload_id)] == [0]
    uploads.send(upload, 0, CLIP)
    assert uploads.service.complete("t1", upload.session.upload_id).item.size == len(CLIP)


def test_a_file_replaced_by_one_of_another_size_during_completion_is_refused(uploads: Uploads) -> None:
    """A client still PUTting (moto and some S3-compatible stores do not bind the length): the
    size is checked again right before registration."""
    upload = uploads.open(size=len(CLIP))
    uploads.send(upload, 0, CLIP)
    target, heads = upload_target(upload.session), uploads.storage.head

    def head_then_replace(key: str) -> tuple[int, str] | None:
        result = heads(key)
        if key == target:
            uploads.storage.put_bytes(target, CLIP[:100], "video/mp4")
        return result

    uploads.storage.head = head_then_replace  # type: ignore[method-assign]
    with pytest.raises(ValidationFailed) as refused:
        uploads.service.complete("t1", upload.session.upload_id)
    assert refused.value.code == "size_mismatch"
    assert refused.value.details == {"declared": len(CLIP), "stored": 100}
    assert uploads.media_items.items == {}


def test_completing_again_returns_the_same_item_and_registers_it_once(uploads: Uploads) -> None:
    upload = uploads.open(size=len(CLIP))
    uploads.send(upload, 0, CLIP)
    first = uploads.service.complete("t1", upload.session.upload_id)

    second = uploads.service.complete("t1", upload.session.upload_id)

    assert second.item == first.item and len(uploads.media_items.items) == 1
    assert len(uploads.events.events) == 1
    # Still pending: the first completion may have died before starting processing.
    assert uploads.processing.started == [("t1", first.item.id)] * 2


def test_completing_a_processed_upload_again_does_not_restart_processing(uploads: Uploads) -> None:
    upload = uploads.open(size=len(CLIP))
    uploads.send(upload, 0, CLIP)
    item = uploads.service.complete("t1", upload.session.upload_id).item
    item.processing.state = ProcessingState.READY
    uploads.media_items.put(item)

    assert uploads.service.complete("t1", upload.session.upload_id).item.processing.state is ProcessingState.READY
    assert len(uploads.processing.started) == 1


@pytest.mark.usefixtures("small_parts")
def test_a_completion_that_died_after_storage_finished_is_finished_by_the_next(uploads: Uploads) -> None:
    upload = uploads.open(filename="big.mp4", size=3 * MiB)
    for index in range(3):
        uploads.send(upload, index, b"z" * MiB)
    session, mpu = upload.session, upload.session.multipart_upload_id or ""
    parts = uploads.storage.list_parts(session.s3_key, mpu) or {}
    uploads.storage.complete_multipart_upload(session.s3_key, mpu, {n: tag for n, (_, tag) in parts.items()})

    item = uploads.service.complete("t1", session.upload_id).item

    assert item.id == session.file_id and uploads.processing.started == [("t1", item.id)]


@pytest.mark.usefixtures("small_parts")
def test_an_aborted_upload_without_its_file_has_expired(uploads: Uploads) -> None:
    upload = uploads.open(filename="big.mp4", size=3 * MiB)
    uploads.storage.abort(upload.session.multipart_upload_id or "")
    with pytest.raises(Conflict) as refused:
        uploads.service.complete("t1", upload.session.upload_id)
    assert refused.value.code == "upload_expired"


def test_the_presigned_put_cannot_overwrite_a_registered_file(uploads: Uploads) -> None:
    upload = uploads.open(size=len(CLIP))
    uploads.send(upload, 0, CLIP)
    uploads.service.complete("t1", upload.session.upload_id)
    uploads.send(upload, 0, bytes(reversed(CLIP)))  # same size and type: what the signature still allows
    again = uploads.service.complete("t1", upload.session.upload_id)
    assert uploads.storage.get_bytes(again.item.storage_key) == CLIP


def test_another_tenant_cannot_complete_an_upload(uploads: Uploads) -> None:
    upload = uploads.open("owner", size=len(CLIP))
    uploads.send(upload, 0, CLIP)
    with pytest.raises(NotFound) as refused:
        uploads.service.complete("thief", upload.session.upload_id)
    assert refused.value.code == "upload_not_found"
    assert uploads.media_items.items == {}
