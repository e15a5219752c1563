"""Media processing's steps through in-memory fakes of its ports: what each step leaves on the
media item and in storage."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from mediabatch.catalog.models import MediaItem, ProcessingState
from mediabatch.catalog.service import build_item
from mediabatch.errors import NotFound
from mediabatch.processing.models import MediaToolFailed, NotPlayableMedia
from mediabatch.processing.service import MediaProcessor
from tests.fakes.processing import CLIP_PROBE, FakeMediaTools, InMemoryProcessedItems, InMemoryStorage


def upload(items: InMemoryProcessedItems, content_type: str = "video/mp4", name: str = "clip.mp4") -> MediaItem:
    media_id = str(uuid.uuid4())
    item = build_item(
        tenant_id="t1",
        media_id=media_id,
        storage_key=f"tenants/t1/media/{media_id}/{name}",
        filename=name,
        size=1234,
        content_type=content_type,
        folder="uploads",
        title=name,
        metadata={},
        processing=ProcessingState.PENDING,
    )
    items.put(item)
    return item


@pytest.fixture
def items() -> InMemoryProcessedItems:
    return InMemoryProcessedItems()


@pytest.fixture
def storage() -> InMemoryStorage:
    return InMemoryStorage()


@pytest.fixture
def tools() -> FakeMediaTools:
    return FakeMediaTools()


@pytest.fixture
def work_dir(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def processor(
    items: InMemoryProcessedItems, storage: InMemoryStorage, tools: FakeMediaTools, work_dir: Path
) -> MediaProcessor:
    return MediaProcessor(items, storage, tools, str(work_dir))


def stored(items: InMemoryProcessedItems, item: MediaItem) -> MediaItem:
    found = items.get(item.tenant_id, item.id)
    assert found is not None
    return found


# ----------------------------------------------------------------------------- probe
def test_probe_records_the_result_without_absent_values(
    processor: MediaProcessor, items: InMemoryProcessedItems, tools: FakeMediaTools
) -> None:
    item = upload(items)

    result = processor.probe("t1", item.id)

    assert result == CLIP_PROBE
    assert tools.probed == [f"https://signed.test/{item.storage_key}"]  # streamed from a signed link
    processing = stored(items, item).processing
    assert processing.state is ProcessingState.RUNNING
    assert processing.probe == {
        "duration_seconds": 2.0,
        "width": 320,
        "height": 240,
        "video_codec": "h264",
        "format_name": "mov,mp4,m4a,3gp,3g2,mj2",
        "bit_rate": 250_000,
        "rotation": 0,
    }


def test_a_rerun_clears_the_error_of_the_run_before(processor: MediaProcessor, items: InMemoryProcessedItems) -> None:
    item = upload(items)
    processor.record_failure("t1", item.id, "ffmpeg timed out after 600 s")

    processor.probe("t1", item.id)

    processing = stored(items, item).processing
    assert (processing.state, processing.error) == (ProcessingState.RUNNING, None)


def test_a_file_that_is_not_a_video_fails_with_its_reason_without_running_the_tool(
    processor: MediaProcessor, items: InMemoryProcessedItems, tools: FakeMediaTools
) -> None:
    item = upload(items, content_type="application/pdf", name="notes.pdf")

    with pytest.raises(NotPlayableMedia) as raised:
        processor.probe("t1", item.id)
    processor.record_failure("t1", item.id, str(raised.value))  # what the state machine's Catch does

    assert str(raised.value) == "not a playable video: application/pdf is not a video type"
    assert tools.probed == []
    processing = stored(items, item).processing
    assert processing.state is ProcessingState.FAILED
    assert processing.error == "not a playable video: application/pdf is not a video type"
    assert processing.probe is None


@pytest.mark.parametrize(
    "error", [NotPlayableMedia("not a playable video: no video stream"), MediaToolFailed("ffprobe timed out")]
)
def test_the_tools_errors_reach_the_state_machine_unchanged(
    processor: MediaProcessor, items: InMemoryProcessedItems, tools: FakeMediaTools, error: Exception
) -> None:
    item = upload(items)
    tools.probe_error = error

    with pytest.raises(type(error)) as raised:
        processor.probe("t1", item.id)

    assert raised.value is error
    assert stored(items, item).processing.probe is None


def test_an_unknown_item_is_not_found(processor: MediaProcessor) -> None:
    with pytest.raises(NotFound) as raised:
        processor.probe("t1", str(uuid.uuid4()))

    assert raised.value.code == "media_not_found"


# ----------------------------------------------------------------------------- thumbnail
def test_the_thumbnail_is_stored_under_the_items_prefix(
    processor: MediaProcessor,
    items: InMemoryProcessedItems,
    storage: InMemoryStorage,
    tools: FakeMediaTools,
    work_dir: Path,
) -> None:
    item = upload(items)
    processor.probe("t1", item.id)

    key = processor.thumbnail("t1", item.id)

    assert key == f"tenants/t1/media/{item.id}/thumbnail.jpg"
    assert storage.objects[key].startswith(b"\xff\xd8\xff")
    assert storage.content_types[key] == "image/jpeg"
    assert stored(items, item).processing.thumbnail_key == key
    assert tools.probes_given == [CLIP_PROBE]  # the stored probe: no second ffprobe run
    assert list(work_dir.iterdir()) == []  # scratch files are gone


# ----------------------------------------------------------------------------- HLS
def test_hls_is_stored_under_the_items_prefix_and_the_item_is_ready(
    processor: MediaProcessor, items: InMemoryProcessedItems, storage: InMemoryStorage, work_dir: Path
) -> None:
    item = upload(items)
    processor.probe("t1", item.id)

    playlist = processor.package_hls("t1", item.id)

    prefix = f"tenants/t1/media/{item.id}/hls/"
    assert playlist == prefix + "index.m3u8"
    assert storage.list_keys(prefix) == [prefix + "index.m3u8", prefix + "seg_00000.ts", prefix + "seg_00001.ts"]
    processing = stored(items, item).processing
    assert processing.state is ProcessingState.READY
    assert (processing.hls_playlist_key, processing.hls_segment_count) == (playlist, 2)
    assert list(work_dir.iterdir()) == []


def test_a_rerun_replaces_the_hls_output_instead_of_mixing_it(
    processor: MediaProcessor, items: InMemoryProcessedItems, storage: InMemoryStorage, tools: FakeMediaTools
) -> None:
    item = upload(items)
    tools.segments = 3
    processor.package_hls("t1", item.id)
    tools.segments = 1

    processor.package_hls("t1", item.id)

    prefix = f"tenants/t1/media/{item.id}/hls/"
    assert storage.list_keys(prefix) == [prefix + "index.m3u8", prefix + "seg_00000.ts"]
    assert stored(items, item).processing.hls_segment_count == 1


def test_hls_leaves_other_items_files_alone(
    processor: MediaProcessor, items: InMemoryProcessedItems, storage: InMemoryStorage
) -> None:
    first, second = upload(items), upload(items)
    processor.package_hls("t1", first.id)

    processor.package_hls("t1", second.id)

    assert f"tenants/t1/media/{first.id}/hls/index.m3u8" in storage.objects


# ----------------------------------------------------------------------------- failures
def test_record_failure_marks_the_item_failed_with_the_reason(
    processor: MediaProcessor, items: InMemoryProcessedItems
) -> None:
    item = upload(items)
    processor.probe("t1", item.id)

    processor.record_failure("t1", item.id, "ffmpeg failed: out of memory")

    after = stored(items, item)
    assert (after.processing.state, after.processing.error) == (ProcessingState.FAILED, "ffmpeg failed: out of memory")
    assert after.processing.probe is not None  # what earlier steps learned is kept
    assert after.updated_at == after.processing.updated_at


def test_record_failure_for_a_deleted_item_does_nothing(
    processor: MediaProcessor, items: InMemoryProcessedItems
) -> None:
    processor.record_failure("t1", str(uuid.uuid4()), "anything")

    assert items.items == {}
