"""The history listings against the emulated DynamoDB: newest first through the ByFolder index,
full pages even when the status filter drops most of what a page reads, tenant-bound cursors."""

from __future__ import annotations

import time

import pytest

from mediabatch import container
from mediabatch.adapters.dynamodb.batches import BatchTable
from mediabatch.downloads.models import BatchStatus
from mediabatch.errors import ValidationFailed
from mediabatch.uploads.models import UploadSession, UploadStatus
from tests.integration.conftest import MakeBatch

pytestmark = pytest.mark.integration


def test_batches_list_newest_first_in_full_filtered_pages(
    store: BatchTable, make_batch: MakeBatch, tenant_id: str
) -> None:
    made = [make_batch()[0] for _ in range(7)]
    for batch in made[::2]:  # 0, 2, 4, 6 end cancelled
        store.set_terminal(tenant_id, batch.batch_id, BatchStatus.CANCELLED)

    every, _ = store.list_batches(tenant_id, status=None, limit=100, cursor=None)
    first, cursor = store.list_batches(tenant_id, status=BatchStatus.CANCELLED, limit=3, cursor=None)
    rest, end = store.list_batches(tenant_id, status=BatchStatus.CANCELLED, limit=3, cursor=cursor)

    assert [b.batch_id for b in every] == [b.batch_id for b in made[::-1]]
    assert [b.batch_id for b in first + rest] == [made[i].batch_id for i in (6, 4, 2, 0)]
    assert len(first) == 3 and end is None
    with pytest.raises(ValidationFailed):
        store.list_batches("someone-else", status=None, limit=3, cursor=cursor)


def test_open_uploads_leave_the_listing_when_completed_or_expired(tenant_id: str) -> None:
    table = container.upload_session_table()
    now = int(time.time())

    def session(n: int, expires: int) -> UploadSession:
        return UploadSession(
            tenant_id=tenant_id, upload_id=f"up-{n}", file_id=f"f-{n}", filename=f"{n}.mp4", size=10,
            content_type="video/mp4", is_chunked=False, chunk_size=10, total_chunks=1, s3_key=f"k/{n}",
            status=UploadStatus.INITIALIZED, created_at="2026-01-01T00:00:00Z", updated_at="2026-01-01T00:00:00Z",
            expires_at_epoch=expires,
        )  # fmt: skip

    sessions = [session(n, now + 3600) for n in range(3)] + [session(3, now - 1)]
    for s in sessions:
        table.create(s)
    table.record_reconciliation(
        sessions[1], status=UploadStatus.COMPLETED, completed_count=1, uploaded_bytes=10, failed_chunks=[]
    )

    listed, cursor = table.list_open(tenant_id, now_epoch=now, limit=10, cursor=None)

    assert [s.upload_id for s in listed] == ["up-2", "up-0"] and cursor is None
