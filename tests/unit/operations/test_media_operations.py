"""Batch delete and copy through in-memory fakes of their ports."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator, Sequence

import pytest

from mediabatch.catalog.models import MediaItem, ProcessingState
from mediabatch.catalog.service import build_item
from mediabatch.errors import NotFound, ValidationFailed
from mediabatch.operations.models import (
    Actor,
    AuditAction,
    AuditEntry,
    AuditQuery,
    AuditResult,
    Outcome,
    time_ordered_id,
)
from mediabatch.operations.ports import ItemFailed
from mediabatch.operations.service import COPY_FAILED, DELETE_FAILED, NOT_ATTEMPTED, MediaOperations
from tests.fakes.operations import InMemoryAuditLog, InMemoryBucket, InMemoryMediaRecords, RecordingPublisher

A = Actor("tenant-a", "0123456789ab")
B = Actor("tenant-b", "ba9876543210")


class World:
    def __init__(self, workers: int = 8) -> None:
        self.records = InMemoryMediaRecords()
        self.bucket = InMemoryBucket()
        self.audit = InMemoryAuditLog()
        self.events = RecordingPublisher()
        self.ops = MediaOperations(self.records, self.bucket, self.audit, self.events, workers=workers)

    def upload(self, tenant: str = "tenant-a", name: str = "clip.mp4", *, processed: bool = False) -> MediaItem:
        """An item as uploads leave it: `media/<id>/<name>`, with thumbnail and HLS once processed."""
        media_id = str(uuid.uuid4())
        directory = f"tenants/{tenant}/media/{media_id}"
        item = build_item(
            tenant_id=tenant,
            media_id=media_id,
            storage_key=f"{directory}/{name}",
            filename=name,
            size=4,
            content_type="video/mp4",
            folder="channels/demo",
            title=name.rsplit(".", 1)[0],
            metadata={"source": "upload", "note": "keep"},
            processing=ProcessingState.READY if processed else ProcessingState.NOT_REQUESTED,
        )
        self.bucket.objects[item.storage_key] = f"bytes of {media_id}".encode()
        if processed:
            item.processing.probe = {"duration": 2.0, "width": 320}
            item.processing.thumbnail_key = f"{directory}/thumbnail.jpg"
            item.processing.hls_playlist_key = f"{directory}/hls/index.m3u8"
            for key in ("thumbnail.jpg", "hls/index.m3u8", "hls/seg0.ts", "hls/seg1.ts"):
                self.bucket.objects[f"{directory}/{key}"] = b"derived"
        self.records.put(item)
        return item

    def keys_of(self, item: MediaItem) -> list[str]:
        directory = item.storage_key.rsplit("/", 1)[0]
        return [k for k in self.bucket.objects if k.startswith(directory + "/")]


@pytest.fixture
def world() -> World:
    return World()


def missing_id() -> str:
    return str(uuid.uuid4())


# ---------------------------------------------------------------------- delete
def test_delete_answers_each_id_in_request_order(world: World) -> None:
    first, second = world.upload(name="one.mp4"), world.upload(name="two.mp4")
    absent = missing_id()

    results = world.ops.delete_many(A, [second.id, absent, first.id])

    assert [(r.media_id, r.outcome, r.error) for r in results] == [
        (second.id, Outcome.DELETED, None),
        (absent, Outcome.NOT_FOUND, "Media not found"),
        (first.id, Outcome.DELETED, None),
    ]
    assert world.records.items == {} and world.records.deleting == {}
    assert world.bucket.objects == {}


def test_delete_removes_the_file_its_thumbnail_and_its_whole_hls_folder(world: World) -> None:
    item = world.upload(processed=True)
    other = world.upload(name="other.mp4", processed=True)
    assert len(world.keys_of(item)) == 5

    world.ops.delete_many(A, [item.id])

    assert world.keys_of(item) == []
    assert len(world.keys_of(other)) == 5, "another item's files are untouched"


def test_delete_of_a_downloaded_item_keeps_its_neighbours_in_the_batch_folder(world: World) -> None:
    item, neighbour = world.upload(name="a.mp4"), world.upload(name="b.mp4")
    for one in (item, neighbour):  # as downloads store them: one shared batch folder
        world.bucket.objects.pop(one.storage_key)
        world.records.items[(one.tenant_id, one.id)] = one = one.model_copy(
            update={"storage_key": f"tenants/tenant-a/batch/b1/{one.filename}"}
        )
        world.bucket.objects[one.storage_key] = b"x"

    world.ops.delete_many(A, [item.id])

    assert list(world.bucket.objects) == ["tenants/tenant-a/batch/b1/b.mp4"]


def test_another_tenants_id_is_not_found_and_stays_intact(world: World) -> None:
    theirs = world.upload(tenant="tenant-a")

    (result,) = world.ops.delete_many(B, [theirs.id])

    assert (result.outcome, result.error) == (Outcome.NOT_FOUND, "Media not found")
    assert world.records.get("tenant-a", theirs.id) == theirs
    assert theirs.storage_key in world.bucket.objects
    assert world.events.events == []


def test_a_failing_item_is_its_own_500_and_the_others_finish(world: World) -> None:
    good1, bad, good2 = world.upload(name="1.mp4"), world.upload(name="2.mp4"), world.upload(name="3.mp4")
    world.bucket.fail_deletes_of.add(bad.storage_key)

    results = world.ops.delete_many(A, [good1.id, bad.id, good2.id])

    assert [r.outcome for r in results] == [Outcome.DELETED, Outcome.FAILED, Outcome.DELETED]
    assert results[1].error == DELETE_FAILED
    assert world.keys_of(good1) == [] and world.keys_of(good2) == []
    assert world.records.get("tenant-a", bad.id) is None, "an item being deleted is not readable"
    assert [d["media_id"] for t, d in world.events.events if t == "file.deleted"] == [good1.id, good2.id]
    # Storage is back: repeating the request finishes the job.
    world.bucket.fail_deletes_of.clear()
    (retry,) = world.ops.delete_many(A, [bad.id])
    assert retry.outcome is Outcome.DELETED and world.keys_of(bad) == [] and world.records.deleting == {}


class CrashingRecords(InMemoryMediaRecords):
    """The process dies after the bytes are gone and before the record is removed."""

    def __init__(self) -> None:
        super().__init__()
        self.crash_next_remove = True

    def remove_deleting(self, tenant_id: str, media_id: str, audit: AuditEntry) -> bool:
        if self.crash_next_remove:
            self.crash_next_remove = False
            raise RuntimeError("injected: crash between the byte delete and the record delete")
        return super().remove_deleting(tenant_id, media_id, audit)


def test_a_crash_between_the_two_deletes_leaves_nothing_readable_and_a_retry_completes() -> None:
    world = World()
    world.records = CrashingRecords()
    world.ops = MediaOperations(world.records, world.bucket, world.audit, world.events)
    item = world.upload(processed=True)

    (crashed,) = world.ops.delete_many(A, [item.id])

    assert crashed.outcome is Outcome.FAILED
    assert world.keys_of(item) == [], "the bytes went first"
    assert world.records.get("tenant-a", item.id) is None, "no readable record points at missing bytes"
    assert (item.tenant_id, item.id) in world.records.deleting, "the mark that lets a retry finish is kept"
    assert world.events.events == [] and world.records.audit == []

    world.ops.delete_one(A, item.id)  # the retry, through the single DELETE

    assert world.records.deleting == {} and world.records.items == {}
    assert [(e.action, e.target, e.result) for e in world.records.audit] == [
        (AuditAction.MEDIA_DELETE, item.id, AuditResult.SUCCESS)
    ]
    assert [t for t, _ in world.events.events] == ["file.deleted"]
    with pytest.raises(NotFound):
        world.ops.delete_one(A, item.id)


def test_a_delete_is_audited_and_announced_without_the_tenant_in_public_fields(world: World) -> None:
    item = world.upload()

    world.ops.delete_many(A, [item.id])

    (entry,) = world.records.audit
    assert (entry.tenant_id, entry.actor_key_id, entry.action, entry.target, entry.result) == (
        "tenant-a",
        "0123456789ab",
        AuditAction.MEDIA_DELETE,
        item.id,
        AuditResult.SUCCESS,
    )
    ((kind, detail),) = world.events.events
    assert kind == "file.deleted"
    assert detail == {
        "tenant_id": "tenant-a",
        "media_id": item.id,
        "filename": "clip.mp4",
        "size": 4,
        "content_type": "video/mp4",
        "folder": "channels/demo",
    }


def test_not_found_attempts_are_audited_as_such(world: World) -> None:
    absent = missing_id()
    world.ops.delete_many(A, [absent])
    assert [(e.target, e.result) for e in world.audit.entries] == [(absent, AuditResult.NOT_FOUND)]


def test_a_lost_event_does_not_turn_a_done_delete_into_a_failure(world: World) -> None:
    item = world.upload()

    def refuse(events: object) -> dict[int, str]:
        raise RuntimeError("bus down")

    world.events.publish_many = refuse  # type: ignore[method-assign]
    (result,) = world.ops.delete_many(A, [item.id])
    assert result.outcome is Outcome.DELETED and world.records.items == {}


def test_single_delete_answers_media_not_found_like_reading_it(world: World) -> None:
    theirs = world.upload(tenant="tenant-a")
    for media_id in (missing_id(), theirs.id, "not-a-uuid"):
        with pytest.raises(NotFound) as caught:
            world.ops.delete_one(B, media_id)
        assert caught.value.code == "media_not_found"
    assert world.records.get("tenant-a", theirs.id) == theirs


def test_single_delete_failure_raises(world: World) -> None:
    item = world.upload()
    world.bucket.fail_deletes_of.add(item.storage_key)
    with pytest.raises(RuntimeError):
        world.ops.delete_one(A, item.id)


# ---------------------------------------------------------------------- copy
def test_copy_makes_a_new_item_with_the_same_file_and_metadata(world: World) -> None:
    source = world.upload(processed=True)

    (result,) = world.ops.copy_many(A, [source.id])

    assert result.outcome is Outcome.COPIED and result.new_id and result.new_id != source.id
    copy = world.records.get("tenant-a", result.new_id)
    assert copy is not None
    assert copy.storage_key == f"tenants/tenant-a/media/{copy.id}/clip.mp4"
    assert world.bucket.objects[copy.storage_key] == world.bucket.objects[source.storage_key]
    same = ("filename", "title", "folder", "metadata", "type", "content_type", "size")
    assert {f: getattr(copy, f) for f in same} == {f: getattr(source, f) for f in same}
    assert copy.store_permanently is True and copy.expires_at is None
    assert copy.processing.state is ProcessingState.NOT_REQUESTED
    assert copy.processing.probe == source.processing.probe, "type metadata is kept"
    assert copy.processing.thumbnail_key is None and copy.processing.hls_playlist_key is None
    assert world.records.get("tenant-a", source.id) == source, "the source is untouched"
    ((kind, detail),) = world.events.events
    assert kind == "file.uploaded" and detail["media_id"] == copy.id
    assert detail["initiator"] == {"type": "copy", "source_media_id": source.id}
    (entry,) = world.records.audit
    assert (entry.action, entry.target, entry.details) == (AuditAction.MEDIA_COPY, source.id, {"new_id": copy.id})


def test_copy_of_a_temporary_item_is_kept_permanently(world: World) -> None:
    source = world.upload()
    world.records.put(source.model_copy(update={"store_permanently": False, "expires_at": "2030-01-01T00:00:00Z"}))
    (result,) = world.ops.copy_many(A, [source.id])
    copy = world.records.get("tenant-a", str(result.new_id))
    assert copy is not None and copy.store_permanently is True and copy.expires_at is None


def test_two_copies_get_two_keys_and_a_taken_key_is_never_overwritten(world: World) -> None:
    source = world.upload()
    first, second = world.ops.copy_many(A, [source.id]), world.ops.copy_many(A, [source.id])
    keys = {world.records.items[("tenant-a", str(r[0].new_id))].storage_key for r in (first, second)}
    assert len(keys) == 2

    taken = str(uuid.uuid4())
    victim = f"tenants/tenant-a/media/{taken}/clip.mp4"
    world.bucket.objects[victim] = b"someone else's file"
    colliding = MediaOperations(world.records, world.bucket, world.audit, world.events, new_id=lambda: taken)
    (result,) = colliding.copy_many(A, [source.id])
    assert (result.outcome, result.new_id, result.error) == (Outcome.FAILED, None, COPY_FAILED)
    assert world.bucket.objects[victim] == b"someone else's file"


def test_copy_that_cannot_write_its_record_leaves_no_bytes(world: World) -> None:
    source = world.upload(name="unlucky.mp4")
    world.records.fail_create_for.add("unlucky.mp4")
    before = dict(world.bucket.objects)
    (result,) = world.ops.copy_many(A, [source.id])
    assert result.outcome is Outcome.FAILED and world.bucket.objects == before


def test_copy_of_missing_foreign_or_deleting_items_is_not_found(world: World) -> None:
    theirs, mine = world.upload(tenant="tenant-a"), world.upload(tenant="tenant-b")
    world.records.mark_deleting("tenant-b", mine.id)
    absent = missing_id()

    results = world.ops.copy_many(B, [theirs.id, absent, mine.id])

    assert [(r.source_id, r.outcome, r.new_id, r.error) for r in results] == [
        (theirs.id, Outcome.NOT_FOUND, None, "Media not found"),
        (absent, Outcome.NOT_FOUND, None, "Media not found"),
        (mine.id, Outcome.NOT_FOUND, None, "Media not found"),
    ]
    assert len(world.records.items) == 1 and world.events.events == []


def test_a_failing_copy_does_not_stop_the_others(world: World) -> None:
    a, bad, c = world.upload(name="a.mp4"), world.upload(name="bad.mp4"), world.upload(name="c.mp4")
    world.bucket.fail_copies_of.add(bad.storage_key)
    results = world.ops.copy_many(A, [a.id, bad.id, c.id])
    assert [r.outcome for r in results] == [Outcome.COPIED, Outcome.FAILED, Outcome.COPIED]
    assert results[1].error == COPY_FAILED and results[1].new_id is None


# ---------------------------------------------------------------------- concurrency
class SlowBucket(InMemoryBucket):
    """Each object takes a different time; records how many operations overlap."""

    def __init__(self) -> None:
        super().__init__()
        self.active = 0
        self.most_at_once = 0
        self._count = threading.Lock()

    def list_keys(self, prefix: str) -> list[str]:
        with self._count:
            self.active += 1
            self.most_at_once = max(self.most_at_once, self.active)
        try:
            time.sleep(0.002 * (hash(prefix) % 7))
            return super().list_keys(prefix)
        finally:
            with self._count:
                self.active -= 1


@pytest.fixture
def slow_world() -> Iterator[World]:
    world = World()
    world.bucket = SlowBucket()
    world.ops = MediaOperations(world.records, world.bucket, world.audit, world.events, workers=8)
    yield world


def test_items_run_concurrently_and_results_keep_request_order(slow_world: World) -> None:
    items = [slow_world.upload(name=f"{i}.mp4") for i in range(30)]
    ids = [i.id if n % 3 else missing_id() for n, i in enumerate(items)]

    results = slow_world.ops.delete_many(A, ids)

    assert [r.media_id for r in results] == ids
    assert [r.outcome for r in results] == [Outcome.DELETED if n % 3 else Outcome.NOT_FOUND for n in range(30)]
    assert isinstance(slow_world.bucket, SlowBucket) and slow_world.bucket.most_at_once > 1
    sequential = World(workers=1)
    same = [sequential.upload(name=f"{i}.mp4") for i in range(30)]
    seq_ids = [i.id if n % 3 else missing_id() for n, i in enumerate(same)]
    assert [r.outcome for r in sequential.ops.delete_many(A, seq_ids)] == [r.outcome for r in results]


# ---------------------------------------------------------------------- request checks
def test_more_than_50_ids_is_batch_size_exceeded(world: World) -> None:
    for run in (world.ops.delete_many, world.ops.copy_many):
        with pytest.raises(ValidationFailed) as caught:
            run(A, [missing_id() for _ in range(51)])
        assert caught.value.code == "BATCH_SIZE_EXCEEDED"
    assert world.ops.delete_many(A, [missing_id() for _ in range(50)])[49].outcome is Outcome.NOT_FOUND


@pytest.mark.parametrize(
    "ids, fields",
    [
        ([], ["ids"]),
        (["nope", "550e8400-e29b-41d4-a716-446655440000", 7, None], ["ids[0]", "ids[2]", "ids[3]"]),
        (["550e8400-e29b-41d4-a716-446655440000", "550E8400-E29B-41D4-A716-446655440000"], ["ids[1]"]),
    ],
)
def test_bad_ids_are_named(world: World, ids: list[object], fields: list[str]) -> None:
    item = world.upload()
    with pytest.raises(ValidationFailed) as caught:
        world.ops.delete_many(A, [*ids, item.id] if ids else ids)
    assert caught.value.code == "validation_error"
    assert [d["field"] for d in caught.value.details] == fields
    assert world.records.get("tenant-a", item.id) == item, "nothing runs when the request is refused"


def test_an_upper_case_id_names_the_same_item_and_is_echoed_as_sent(world: World) -> None:
    item = world.upload()
    (result,) = world.ops.delete_many(A, [item.id.upper()])
    assert (result.media_id, result.outcome) == (item.id.upper(), Outcome.DELETED)


# ---------------------------------------------------------------------- audit log
def test_audit_log_filters_and_pages(world: World) -> None:
    items = [world.upload(name=f"{i}.mp4") for i in range(3)]
    world.ops.copy_many(A, [items[0].id])
    world.ops.delete_many(A, [i.id for i in items])
    world.audit.record_many(world.records.audit)  # the transactional entries land in the same log

    deletes = world.ops.audit_log("tenant-a", AuditQuery(limit=2, action=AuditAction.MEDIA_DELETE))
    assert len(deletes.entries) == 2 and deletes.next_cursor
    rest = world.ops.audit_log(
        "tenant-a", AuditQuery(limit=2, action=AuditAction.MEDIA_DELETE, cursor=deletes.next_cursor)
    )
    assert len(rest.entries) == 1 and rest.next_cursor is None
    assert {e.target for e in deletes.entries + rest.entries} == {i.id for i in items}
    assert world.ops.audit_log("tenant-b", AuditQuery(limit=10)).entries == []
    assert world.ops.audit_log("tenant-a", AuditQuery(limit=10, until="2000-01-01T00:00:00Z")).entries == []


@pytest.mark.parametrize(
    "query, field",
    [
        (AuditQuery(limit=0), "limit"),
        (AuditQuery(limit=101), "limit"),
        (AuditQuery(limit=5, since="yesterday"), "since"),
        (AuditQuery(limit=5, since="2026-02-01T00:00:00Z", until="2026-01-01T00:00:00Z"), "since"),
    ],
)
def test_bad_audit_queries_are_refused(world: World, query: AuditQuery, field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        world.ops.audit_log("tenant-a", query)
    assert [d["field"] for d in caught.value.details] == [field]


def test_audit_entry_ids_made_later_sort_later() -> None:
    earlier = time_ordered_id()
    time.sleep(0.002)
    later = time_ordered_id()
    assert earlier < later and uuid.UUID(later).version == 7


def test_items_that_would_start_too_late_are_not_attempted_and_left_intact() -> None:
    world = World(workers=1)
    items = [world.upload(name=f"{i}.mp4") for i in range(4)]
    left = iter([20.0, 6.0, 4.0, 3.0])  # seconds the caller has left as each item is about to start

    results = world.ops.delete_many(A, [i.id for i in items], remaining_seconds=lambda: next(left))

    assert [r.outcome for r in results] == [Outcome.DELETED, Outcome.DELETED, Outcome.FAILED, Outcome.FAILED]
    assert results[2].error == NOT_ATTEMPTED
    assert [world.records.get("tenant-a", i.id) for i in items[2:]] == items[2:]
    assert all(i.storage_key in world.bucket.objects for i in items[2:])


# ---------------------------------------------------------------------- whole batches at once
def test_a_batch_of_50_makes_one_call_per_step_whatever_its_size(world: World) -> None:
    items = [world.upload(name=f"{i}.mp4", processed=True) for i in range(50)]

    results = world.ops.delete_many(A, [i.id for i in items])

    assert {r.outcome for r in results} == {Outcome.DELETED}
    assert world.records.calls == {"mark_deleting_many": 1, "remove_deleting_many": 1}
    # The folder listings stay one per item (S3 lists one prefix a call); the bytes go in one.
    assert world.bucket.calls == {"list_keys": 50, "delete_keys": 1}
    assert world.events.calls == {"publish_many": 1} and len(world.events.events) == 50
    assert world.bucket.objects == {}


def test_a_copy_batch_of_50_makes_one_read_one_write_and_a_copy_per_item(world: World) -> None:
    items = [world.upload(name=f"{i}.mp4") for i in range(50)]

    results = world.ops.copy_many(A, [i.id for i in items])

    assert {r.outcome for r in results} == {Outcome.COPIED}
    assert world.records.calls == {"get_many": 1, "create_many": 1}
    assert world.bucket.calls == {"copy_object": 50}
    assert world.events.calls == {"publish_many": 1}
    assert [d["initiator"]["source_media_id"] for _, d in world.events.events] == [i.id for i in items]


def test_the_single_delete_is_a_batch_of_one(world: World) -> None:
    item = world.upload(processed=True)
    world.ops.delete_one(A, item.id)
    assert world.records.calls == {"mark_deleting_many": 1, "remove_deleting_many": 1}
    assert world.bucket.calls == {"list_keys": 1, "delete_keys": 1} and world.keys_of(item) == []


def test_an_item_whose_mark_fails_is_the_only_500_and_keeps_everything(world: World) -> None:
    first, bad, last = world.upload(name="1.mp4"), world.upload(name="2.mp4"), world.upload(name="3.mp4")
    absent = missing_id()
    world.records.fail_marks_of.add(bad.id)

    results = world.ops.delete_many(A, [first.id, bad.id, absent, last.id])

    assert [(r.media_id, r.outcome, r.error) for r in results] == [
        (first.id, Outcome.DELETED, None),
        (bad.id, Outcome.FAILED, DELETE_FAILED),
        (absent, Outcome.NOT_FOUND, "Media not found"),
        (last.id, Outcome.DELETED, None),
    ]
    assert world.records.get("tenant-a", bad.id) == bad, "its mark failed: still listed"
    assert world.keys_of(bad) == [bad.storage_key], "and its bytes are untouched"
    assert world.keys_of(first) == [] and world.keys_of(last) == []
    assert [d["media_id"] for _, d in world.events.events] == [first.id, last.id]
    assert sorted((e.target, e.result) for e in world.audit.entries) == sorted(
        [(bad.id, AuditResult.FAILED), (absent, AuditResult.NOT_FOUND)]
    )


def test_an_item_whose_folder_cannot_be_listed_fails_alone_and_a_retry_finishes(world: World) -> None:
    good, bad = world.upload(name="a.mp4", processed=True), world.upload(name="b.mp4", processed=True)
    folder = bad.storage_key.rsplit("/", 1)[0] + "/"
    world.bucket.fail_lists_of.add(folder)

    results = world.ops.delete_many(A, [good.id, bad.id])

    assert [r.outcome for r in results] == [Outcome.DELETED, Outcome.FAILED]
    assert world.keys_of(good) == [] and len(world.keys_of(bad)) == 5, "nothing of it was deleted"
    assert world.records.get("tenant-a", bad.id) is None and (bad.tenant_id, bad.id) in world.records.deleting
    world.bucket.fail_lists_of.clear()
    (retry,) = world.ops.delete_many(A, [bad.id])
    assert retry.outcome is Outcome.DELETED and world.keys_of(bad) == [] and world.records.deleting == {}


def test_a_key_left_by_the_multi_object_delete_fails_only_its_item(world: World) -> None:
    items = [world.upload(name=f"{i}.mp4", processed=True) for i in range(4)]
    bad = items[2]
    world.bucket.fail_deletes_of.add(f"{bad.storage_key.rsplit('/', 1)[0]}/hls/seg1.ts")

    results = world.ops.delete_many(A, [i.id for i in items])

    assert [r.outcome for r in results] == [Outcome.DELETED, Outcome.DELETED, Outcome.FAILED, Outcome.DELETED]
    assert world.keys_of(bad) == [f"{bad.storage_key.rsplit('/', 1)[0]}/hls/seg1.ts"]
    assert (bad.tenant_id, bad.id) in world.records.deleting, "the mark stays: no record lost with bytes left"
    assert [e.target for e in world.records.audit] == [items[0].id, items[1].id, items[3].id]


def test_a_record_another_request_removed_first_is_404_without_an_event(world: World) -> None:
    first, raced = world.upload(name="1.mp4"), world.upload(name="2.mp4")
    real_remove = world.records.remove_deleting

    def racing_remove(tenant_id: str, media_id: str, audit: AuditEntry) -> bool:
        if media_id == raced.id:
            real_remove(tenant_id, media_id, audit)  # the other request finishes first
        return real_remove(tenant_id, media_id, audit)

    world.records.remove_deleting = racing_remove  # type: ignore[method-assign]
    results = world.ops.delete_many(A, [first.id, raced.id])

    assert [r.outcome for r in results] == [Outcome.DELETED, Outcome.NOT_FOUND]
    assert [d["media_id"] for _, d in world.events.events] == [first.id]


def test_a_step_that_fails_as_a_whole_fails_its_items_and_leaves_them_retryable(world: World) -> None:
    items = [world.upload(name=f"{i}.mp4") for i in range(3)]

    def outage(keys: object) -> dict[str, str]:
        raise RuntimeError("storage unreachable")

    world.bucket.delete_keys = outage  # type: ignore[method-assign]
    results = world.ops.delete_many(A, [i.id for i in items])

    assert {(r.outcome, r.error) for r in results} == {(Outcome.FAILED, DELETE_FAILED)}
    assert all(i.storage_key in world.bucket.objects for i in items)
    assert world.records.items == {} and len(world.records.deleting) == 3, "unreadable, kept for the retry"
    assert world.events.events == [] and world.records.audit == []
    del world.bucket.delete_keys
    assert {r.outcome for r in world.ops.delete_many(A, [i.id for i in items])} == {Outcome.DELETED}


def test_a_refused_event_is_logged_and_the_others_are_published(world: World) -> None:
    items = [world.upload(name=f"{i}.mp4") for i in range(3)]
    world.events.refuse_ids.add(items[1].id)
    results = world.ops.delete_many(A, [i.id for i in items])
    assert {r.outcome for r in results} == {Outcome.DELETED}
    assert [d["media_id"] for _, d in world.events.events] == [items[0].id, items[2].id]


def test_a_copy_whose_record_is_refused_leaves_no_bytes_and_the_others_are_copied(world: World) -> None:
    a, unlucky, c = world.upload(name="a.mp4"), world.upload(name="unlucky.mp4"), world.upload(name="c.mp4")
    world.records.fail_create_for.add("unlucky.mp4")

    results = world.ops.copy_many(A, [a.id, unlucky.id, c.id])

    assert [r.outcome for r in results] == [Outcome.COPIED, Outcome.FAILED, Outcome.COPIED]
    assert (results[1].new_id, results[1].error) == (None, COPY_FAILED)
    assert len(world.bucket.objects) == 5, "three sources and two copies: the refused copy's bytes went"
    assert [d["initiator"]["source_media_id"] for _, d in world.events.events] == [a.id, c.id]
    assert [(e.target, e.result) for e in world.audit.entries] == [(unlucky.id, AuditResult.FAILED)]


def test_a_copy_whose_record_write_lost_its_answer_is_copied_with_its_bytes(world: World) -> None:
    """The transaction committed but its answer never came: reading the records back shows the
    copies exist, so they are reported copied and keep their bytes (deleting them would leave
    records of files that are gone)."""
    a, b = world.upload(name="a.mp4"), world.upload(name="b.mp4")
    world.records.lose_create_answer = True

    results = world.ops.copy_many(A, [a.id, b.id])

    assert [r.outcome for r in results] == [Outcome.COPIED, Outcome.COPIED]
    for result in results:
        copy = world.records.get("tenant-a", str(result.new_id))
        assert copy is not None and copy.storage_key in world.bucket.objects
    assert [d["media_id"] for _, d in world.events.events] == [r.new_id for r in results]


def test_a_lost_record_answer_that_cannot_be_checked_keeps_the_bytes(world: World) -> None:
    source = world.upload(name="a.mp4")
    objects_before = len(world.bucket.objects)
    world.records.lose_create_answer = True
    write = world.records.create_many

    def write_then_reads_fail(items: Sequence[tuple[MediaItem, AuditEntry]]) -> dict[str, ItemFailed]:
        try:
            return write(items)
        finally:
            world.records.fail_reads = True

    world.records.create_many = write_then_reads_fail  # type: ignore[method-assign]

    (result,) = world.ops.copy_many(A, [source.id])

    # Reported failed (it cannot be confirmed), yet nothing is deleted: its record exists.
    assert result.outcome is Outcome.FAILED
    assert len(world.records.items) == 2 and len(world.bucket.objects) == objects_before + 1


def test_copies_that_would_start_too_late_are_not_attempted_and_create_nothing() -> None:
    world = World(workers=1)
    items = [world.upload(name=f"{i}.mp4") for i in range(3)]
    left = iter([20.0, 4.0, 3.0])

    results = world.ops.copy_many(A, [i.id for i in items], remaining_seconds=lambda: next(left))

    assert [(r.outcome, r.error) for r in results] == [
        (Outcome.COPIED, None),
        (Outcome.FAILED, NOT_ATTEMPTED),
        (Outcome.FAILED, NOT_ATTEMPTED),
    ]
    assert len(world.records.items) == 4 and len(world.bucket.objects) == 4
