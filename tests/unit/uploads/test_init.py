"""POST /init through fakes: what is checked, and how each file is to be sent."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from mediabatch.errors import ValidationFailed
from mediabatch.uploads.models import InitFile, InitRequest, UploadStatus
from mediabatch.uploads.plan import MAX_FILE_BYTES, SINGLE_PUT_MAX_BYTES, URLS_PER_RESPONSE
from tests.unit.uploads.conftest import URL_TTL, MiB, Uploads


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_a_small_file_gets_one_put_url_bound_to_its_size_and_type(uploads: Uploads) -> None:
    upload = uploads.open("t1", "holiday.mp4", 1000, type="video/mp4")

    session = upload.session
    assert (session.is_chunked, session.total_chunks, session.status) == (False, 1, UploadStatus.INITIALIZED)
    (url,) = upload.presigned_urls
    assert query(url)["type"] == "video/mp4" and query(url)["length"] == "1000"
    assert upload.required_headers == {"Content-Type": "video/mp4"}
    assert upload.urls_expire_in_seconds == URL_TTL and upload.presigned_urls_complete
    # Bytes land in staging, not at the media key: the URL can never overwrite a registered file.
    assert urlsplit(url).path.startswith(f"/staging/uploads/t1/{session.upload_id}/")
    assert session.s3_key == f"tenants/t1/media/{session.file_id}/holiday.mp4"
    assert uploads.sessions.get("t1", session.upload_id) == session
    assert uploads.storage.uploads == {}  # no multipart upload for a single PUT


def test_the_type_is_guessed_from_the_name_and_its_parameters_dropped(uploads: Uploads) -> None:
    assert uploads.open(filename="a.mov").session.content_type == "video/quicktime"
    guessed = uploads.open(filename="b.mp4", type="video/MP4; codecs=avc1")
    assert guessed.session.content_type == "video/mp4" and guessed.required_headers == {"Content-Type": "video/mp4"}


def test_a_file_over_the_single_put_limit_is_cut_into_parts_each_with_its_url(uploads: Uploads) -> None:
    upload = uploads.open(filename="big.mp4", size=SINGLE_PUT_MAX_BYTES + 1)

    session = upload.session
    assert session.is_chunked and session.chunk_size == 16 * MiB and session.total_chunks == 10
    assert upload.required_headers == {}  # parts carry no type
    (mpu,) = uploads.storage.uploads.values()
    assert mpu.key == session.s3_key and mpu.content_type == "video/mp4"
    urls = [query(u) for u in upload.presigned_urls]
    assert [int(q["partNumber"]) for q in urls] == list(range(1, 11))
    assert {q["uploadId"] for q in urls} == {session.multipart_upload_id}
    lengths = [int(q["length"]) for q in urls]
    assert lengths[:-1] == [16 * MiB] * 9 and sum(lengths) == session.size


def test_a_file_of_exactly_the_limit_is_still_one_put(uploads: Uploads) -> None:
    assert not uploads.open(size=SINGLE_PUT_MAX_BYTES).session.is_chunked


def test_the_largest_file_gets_a_first_page_of_urls_only(uploads: Uploads) -> None:
    upload = uploads.open(size=MAX_FILE_BYTES)
    assert upload.session.total_chunks <= 10_000
    assert upload.session.chunk_size * upload.session.total_chunks >= MAX_FILE_BYTES
    assert len(upload.presigned_urls) == URLS_PER_RESPONSE and not upload.presigned_urls_complete


def test_a_batch_opens_one_session_per_file_with_its_channel(uploads: Uploads) -> None:
    files = [{"filename": f"v{i}.mp4", "size": 10 + i} for i in range(5)]
    request = InitRequest.model_validate({"channel_id": 123, "files": files})  # the seed sends a number
    opened = uploads.service.init("t1", request)
    assert [u.session.filename for u in opened] == [f"v{i}.mp4" for i in range(5)]
    assert {u.session.channel_id for u in opened} == {"123"}
    assert len({u.session.upload_id for u in opened}) == len(uploads.sessions.sessions) == 5


def test_more_than_five_files_are_refused(uploads: Uploads) -> None:
    request = InitRequest(files=[InitFile(filename=f"v{i}.mp4", size=10) for i in range(6)])
    with pytest.raises(ValidationFailed) as refused:
        uploads.service.init("t1", request)
    assert refused.value.code == "too_many_files"
    assert uploads.sessions.sessions == {}


@pytest.mark.parametrize(
    "file, code, field",
    [
        (InitFile(filename="../etc/passwd.mp4", size=10), "invalid_filename", "files[0].filename"),
        (InitFile(filename="a\\b.mp4", size=10), "invalid_filename", "files[0].filename"),
        (InitFile(filename="a\nb.mp4", size=10), "invalid_filename", "files[0].filename"),
        (InitFile(filename="..", size=10), "invalid_filename", "files[0].filename"),
        (InitFile(filename="ok.mp4", size=0), "invalid_size", "files[0].size"),
        (InitFile(filename="ok.mp4", size=-5), "invalid_size", "files[0].size"),
        (InitFile(filename="ok.mp4", size=MAX_FILE_BYTES + 1), "file_too_large", "files[0].size"),
        (InitFile(filename="doc.pdf", size=10), "unsupported_type", "files[0].type"),
        (InitFile(filename="ok.mp4", size=10, type="application/pdf"), "unsupported_type", "files[0].type"),
        (InitFile(filename="ok.mp4", size=10, type="video/"), "unsupported_type", "files[0].type"),
    ],
)
def test_a_bad_file_is_refused_naming_the_field(uploads: Uploads, file: InitFile, code: str, field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        uploads.service.init("t1", InitRequest(files=[file]))
    assert refused.value.code == code
    assert [d["field"] for d in refused.value.details] == [field]


def test_every_bad_file_is_named_and_none_is_opened(uploads: Uploads) -> None:
    request = InitRequest(
        files=[
            InitFile(filename="a/b.mp4", size=10),
            InitFile(filename="ok.mp4", size=SINGLE_PUT_MAX_BYTES + 1),
            InitFile(filename="c.pdf", size=10),
        ]
    )
    with pytest.raises(ValidationFailed) as refused:
        uploads.service.init("t1", request)
    assert refused.value.code == "invalid_files"
    assert [d["field"] for d in refused.value.details] == ["files[0].filename", "files[2].type"]
    assert uploads.sessions.sessions == {} and uploads.storage.uploads == {}


def test_bad_files_sharing_one_problem_keep_its_code(uploads: Uploads) -> None:
    request = InitRequest(files=[InitFile(filename="a.pdf", size=10), InitFile(filename="b.txt", size=10)])
    with pytest.raises(ValidationFailed) as refused:
        uploads.service.init("t1", request)
    assert refused.value.code == "unsupported_type" and len(refused.value.details) == 2
