"""The adapters behind media operations against the local cloud: the `deleting` mark hides an
item from every reader and survives for a retry; the audit entry lands with the record change;
copies above the single-copy limit go part by part (UploadPartCopy) and never overwrite."""

from __future__ import annotations

import uuid

import pytest

from localcloud import LocalCloud
from mediabatch import container
from mediabatch.adapters.s3 import media_bucket
from mediabatch.catalog.models import MediaItem, ProcessingState
from mediabatch.catalog.service import build_item
from mediabatch.errors import Conflict
from mediabatch.operations.models import AuditAction, AuditEntry, AuditQuery, AuditResult, time_ordered_id

pytestmark = pytest.mark.integration


def entry(tenant_id: str, target: str) -> AuditEntry:
    return AuditEntry(
        tenant_id=tenant_id,
        entry_id=time_ordered_id(),
        time="2026-11-30T10:00:00Z",
        actor_key_id="0123456789ab",
        action=AuditAction.MEDIA_DELETE,
        target=target,
        result=AuditResult.SUCCESS,
    )


def item(tenant_id: str) -> MediaItem:
    media_id = str(uuid.uuid4())
    return build_item(
        tenant_id=tenant_id,
        media_id=media_id,
        storage_key=f"tenants/{tenant_id}/media/{media_id}/a.mp4",
        filename="a.mp4",
        size=3,
        content_type="video/mp4",
        folder="uploads",
        title="a",
        metadata={"k": "v"},
        processing=ProcessingState.NOT_REQUESTED,
    )


def test_a_marked_item_is_unreadable_a_retry_finds_it_and_only_one_removal_wins(
    cloud: LocalCloud, tenant_id: str
) -> None:
    table = container.media_item_table()
    one = item(tenant_id)
    table.create(one, entry(tenant_id, "created"))
    assert table.get(tenant_id, one.id) == one

    assert table.mark_deleting(tenant_id, one.id) == one
    assert table.get(tenant_id, one.id) is None
    assert table.list(tenant_id, folder="uploads", limit=10, cursor=None)[0] == []
    assert table.mark_deleting(tenant_id, one.id) == one, "a retry finds what is left to do"

    assert table.remove_deleting(tenant_id, one.id, entry(tenant_id, one.id)) is True
    assert table.remove_deleting(tenant_id, one.id, entry(tenant_id, one.id)) is False
    assert table.mark_deleting(tenant_id, one.id) is None
    audit, _ = container.audit_log_table().list(tenant_id, AuditQuery(limit=10))
    assert sorted(e.target for e in audit) == sorted(["created", one.id]), "the losing removal wrote nothing"


def test_create_never_replaces_an_item(cloud: LocalCloud, tenant_id: str) -> None:
    table = container.media_item_table()
    one = item(tenant_id)
    table.create(one, entry(tenant_id, one.id))
    with pytest.raises(Exception, match=r"ConditionalCheckFailed|TransactionCanceled"):
        table.create(one.model_copy(update={"title": "other"}), entry(tenant_id, one.id))
    assert table.get(tenant_id, one.id) == one


def test_large_copies_go_part_by_part_and_never_overwrite(
    cloud: LocalCloud, tenant_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = container.media_bucket()
    data = bytes(range(256)) * (48 * 1024)  # 12 MiB
    source = f"tenants/{tenant_id}/media/src/a.mp4"
    bucket.put_bytes(source, data, "video/mp4")
    monkeypatch.setattr(media_bucket, "SINGLE_COPY_LIMIT", 5 * 2**20)
    monkeypatch.setattr(media_bucket, "COPY_PART_SIZE", 5 * 2**20)
    parts = media_bucket.copy_ranges(len(data), 5 * 2**20)
    assert [p[0] for p in parts] == [1, 2, 3] and parts[-1][2] == len(data) - 1

    target = f"tenants/{tenant_id}/media/dst/a.mp4"
    calls: list[str] = []
    real_copy_part = bucket._copy_part
    monkeypatch.setattr(bucket, "_copy_part", lambda *a: calls.append(a[3]) or real_copy_part(*a))
    bucket.copy_object(source, target, len(data))

    assert bucket.get_bytes(target) == data and bucket.head(target) == (len(data), "video/mp4")
    assert len(calls) == 3
    with pytest.raises(Conflict):
        bucket.copy_object(source, target, len(data))
    assert bucket.delete_prefix(f"tenants/{tenant_id}/media/") == 2
    assert bucket.list_keys(f"tenants/{tenant_id}/") == []
