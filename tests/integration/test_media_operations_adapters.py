"""The adapters behind media operations against the local cloud: the `deleting` mark hides an
item from every reader and survives for a retry; the audit entry lands with the record change;
copies above the single-copy limit go part by part (UploadPartCopy) and never overwrite; a
batch costs one call per step, and an item that breaks a batch transaction fails alone."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from localcloud import LocalCloud
from mediabatch import container
from mediabatch.adapters.dynamodb.codec import to_item
from mediabatch.adapters.dynamodb.media_items import DELETING, media_pk
from mediabatch.adapters.s3 import media_bucket
from mediabatch.catalog.models import MediaItem, ProcessingState
from mediabatch.catalog.service import build_item
from mediabatch.errors import Conflict
from mediabatch.operations.models import AuditAction, AuditEntry, AuditQuery, AuditResult, time_ordered_id
from mediabatch.operations.ports import ItemFailed

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


# ---------------------------------------------------------------------- batches
@pytest.fixture
def aws_calls(cloud: LocalCloud) -> Iterator[Counter[str]]:
    """The calls the product's clients make during the test, by operation name."""
    counted: Counter[str] = Counter()
    lock = threading.Lock()

    def count(model: Any, **_: Any) -> None:
        with lock:
            counted[model.name] += 1

    clients = [container.aws(service) for service in ("dynamodb", "s3", "events")]
    for client in clients:
        client.meta.events.register("before-call", count, unique_id="it-aws-calls")
    yield counted
    for client in clients:
        client.meta.events.unregister("before-call", unique_id="it-aws-calls")


def created(tenant_id: str, n: int) -> list[MediaItem]:
    table = container.media_item_table()
    items = [item(tenant_id) for _ in range(n)]
    for one in items:
        table.create(one, entry(tenant_id, "created"))
    return items


def test_a_batch_is_marked_with_one_read_and_one_transaction(
    cloud: LocalCloud, tenant_id: str, aws_calls: Counter[str]
) -> None:
    table = container.media_item_table()
    fresh = created(tenant_id, 48)
    earlier = created(tenant_id, 1)[0]
    table.mark_deleting(tenant_id, earlier.id)  # an attempt that crashed after its mark
    absent = str(uuid.uuid4())
    aws_calls.clear()

    marked = table.mark_deleting_many(tenant_id, [*(i.id for i in fresh), earlier.id, absent])

    assert aws_calls == {"BatchGetItem": 1, "TransactWriteItems": 1}
    assert [marked[i.id] for i in fresh] == fresh and marked[earlier.id] == earlier and marked[absent] is None
    assert table.get_many(tenant_id, [i.id for i in fresh]) == {}, "marked items are not readable"


def test_an_item_that_breaks_the_mark_transaction_does_not_fail_the_others(cloud: LocalCloud, tenant_id: str) -> None:
    table = container.media_item_table()
    ok1, odd, ok2 = created(tenant_id, 3)
    # A DELETING record beside a readable one (a concurrent delete between read and mark): the
    # batch transaction's condition fails, the items go again one by one.
    stray = to_item({"pk": media_pk(tenant_id, odd.id), "sk": DELETING, **odd.model_dump(mode="json")})
    container.aws("dynamodb").put_item(TableName=table.table, Item=stray)

    marked = table.mark_deleting_many(tenant_id, [ok1.id, odd.id, ok2.id])

    assert marked == {ok1.id: ok1, odd.id: odd, ok2.id: ok2}
    assert table.get_many(tenant_id, [ok1.id, odd.id, ok2.id]) == {odd.id: odd}, "only the odd one is still readable"


def test_removals_go_in_one_transaction_and_one_already_gone_is_false(
    cloud: LocalCloud, tenant_id: str, aws_calls: Counter[str]
) -> None:
    table = container.media_item_table()
    items = created(tenant_id, 3)
    table.mark_deleting_many(tenant_id, [i.id for i in items])
    aws_calls.clear()
    assert table.remove_deleting_many(tenant_id, {i.id: entry(tenant_id, i.id) for i in items[:2]}) == {
        items[0].id: True,
        items[1].id: True,
    }
    assert aws_calls == {"TransactWriteItems": 1}

    again = table.remove_deleting_many(tenant_id, {i.id: entry(tenant_id, i.id) for i in items})

    assert again == {items[0].id: False, items[1].id: False, items[2].id: True}
    audit, _ = container.audit_log_table().list(tenant_id, AuditQuery(limit=20))
    assert sorted(e.target for e in audit if e.target != "created") == sorted(i.id for i in items)


def test_create_many_writes_each_item_once_and_refuses_only_a_taken_id(cloud: LocalCloud, tenant_id: str) -> None:
    table = container.media_item_table()
    (taken,) = created(tenant_id, 1)
    new = [item(tenant_id) for _ in range(2)]
    pairs = [
        (new[0], entry(tenant_id, new[0].id)),
        (taken, entry(tenant_id, taken.id)),
        (new[1], entry(tenant_id, new[1].id)),
    ]

    refused = table.create_many(pairs)

    assert list(refused) == [taken.id] and isinstance(refused[taken.id], ItemFailed)
    assert table.get_many(tenant_id, [i.id for i in (*new, taken)]) == {i.id: i for i in (*new, taken)}


def test_audit_entries_go_25_a_call(cloud: LocalCloud, tenant_id: str, aws_calls: Counter[str]) -> None:
    container.audit_log_table().record_many([entry(tenant_id, f"t{i}") for i in range(30)])
    assert aws_calls == {"BatchWriteItem": 2}
    audit, _ = container.audit_log_table().list(tenant_id, AuditQuery(limit=100))
    assert len(audit) == 30


def test_keys_of_many_items_go_in_one_delete_and_a_small_copy_never_overwrites(
    cloud: LocalCloud, tenant_id: str, aws_calls: Counter[str]
) -> None:
    bucket = container.media_bucket()
    keys = [f"tenants/{tenant_id}/media/{i}/{name}" for i in range(40) for name in ("a.mp4", "hls/0.ts")]
    for key in keys:
        bucket.put_bytes(key, b"x")
    aws_calls.clear()

    assert bucket.delete_keys([*keys, f"tenants/{tenant_id}/media/none/a.mp4"]) == {}
    assert aws_calls == {"DeleteObjects": 1} and bucket.list_keys(f"tenants/{tenant_id}/") == []

    bucket.put_bytes(f"tenants/{tenant_id}/src", b"source", "video/mp4")
    bucket.put_bytes(f"tenants/{tenant_id}/dst", b"someone else's")
    aws_calls.clear()
    with pytest.raises(Conflict):
        bucket.copy_object(f"tenants/{tenant_id}/src", f"tenants/{tenant_id}/dst", 6)
    assert bucket.get_bytes(f"tenants/{tenant_id}/dst") == b"someone else's"
    bucket.copy_object(f"tenants/{tenant_id}/src", f"tenants/{tenant_id}/new", 6)
    assert (aws_calls["CopyObject"], aws_calls["HeadObject"]) == (2, 0), "one conditional request per copy"
    assert bucket.head(f"tenants/{tenant_id}/new") == (6, "video/mp4")


def test_events_go_ten_a_call(cloud: LocalCloud, aws_calls: Counter[str]) -> None:
    events = [("file.deleted", {"media_id": str(uuid.uuid4()), "n": n}) for n in range(23)]
    assert container.event_publisher().publish_many(events) == {}
    assert aws_calls["PutEvents"] == 3
