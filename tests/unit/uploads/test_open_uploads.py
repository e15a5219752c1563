"""GET /api/v1/videos/batch/uploads through fakes: the uploads a client can still resume."""

from __future__ import annotations

import pytest

from mediabatch.errors import ValidationFailed
from tests.unit.uploads.conftest import Uploads


def test_open_uploads_are_listed_newest_first_and_completed_ones_drop_out(uploads: Uploads) -> None:
    first, second, third = (uploads.open(filename=f"{n}.mp4", size=5) for n in ("a", "b", "c"))
    uploads.send(second, 0, b"12345")
    uploads.service.complete("t1", second.session.upload_id)

    page = uploads.service.open_uploads("t1")

    assert [s.filename for s in page.sessions] == ["c.mp4", "a.mp4"] and page.next_cursor is None
    assert page.sessions[0].upload_id == third.session.upload_id
    assert page.sessions[1].upload_id == first.session.upload_id


def test_expired_uploads_are_not_listed(uploads: Uploads) -> None:
    upload = uploads.open()
    stored = uploads.sessions.sessions[("t1", upload.session.upload_id)]
    stored.expires_at_epoch = 1

    assert uploads.service.open_uploads("t1").sessions == []


def test_pages_and_tenants(uploads: Uploads) -> None:
    for n in range(3):
        uploads.open(filename=f"{n}.mp4")
    first = uploads.service.open_uploads("t1", limit=2)
    rest = uploads.service.open_uploads("t1", limit=2, cursor=first.next_cursor)

    assert [s.filename for s in first.sessions + rest.sessions] == ["2.mp4", "1.mp4", "0.mp4"]
    assert rest.next_cursor is None
    assert uploads.service.open_uploads("t2").sessions == []
    with pytest.raises(ValidationFailed) as raised:
        uploads.service.open_uploads("t2", cursor=first.next_cursor)
    assert raised.value.code == "invalid_cursor"
