"""The catalog's use cases through in-memory fakes of its ports."""

from __future__ import annotations

import uuid

import pytest

from mediabatch.catalog.models import ProcessingState
from mediabatch.catalog.service import MediaCatalog, build_item
from mediabatch.errors import NotFound, ValidationFailed
from tests.fakes.catalog import FakeLinkSigner, InMemoryMediaItems


def make_item(tenant: str, folder: str = "uploads", name: str = "clip.mp4", *, thumbnail: bool = False):
    media_id = str(uuid.uuid4())
    item = build_item(
        tenant_id=tenant,
        media_id=media_id,
        storage_key=f"tenants/{tenant}/{folder}/{name}",
        filename=name,
        size=1234,
        content_type="video/mp4",
        folder=folder,
        title=name,
        metadata={"source": "test"},
        processing=ProcessingState.READY if thumbnail else ProcessingState.NOT_REQUESTED,
    )
    if thumbnail:
        item.processing.thumbnail_key = f"tenants/{tenant}/media/{media_id}/thumbnail.jpg"
    return item


@pytest.fixture
def items() -> InMemoryMediaItems:
    return InMemoryMediaItems()


@pytest.fixture
def catalog(items: InMemoryMediaItems) -> MediaCatalog:
    return MediaCatalog(items, FakeLinkSigner())


def test_get_signs_the_file_and_the_thumbnail(catalog: MediaCatalog, items: InMemoryMediaItems) -> None:
    item = make_item("t1", thumbnail=True)
    items.put(item)

    linked = catalog.get("t1", item.id)

    assert linked.item == item
    assert linked.download_url == "https://signed.test/tenants/t1/uploads/clip.mp4?filename=clip.mp4"
    assert (
        linked.thumbnail_url == f"https://signed.test/tenants/t1/media/{item.id}/thumbnail.jpg?filename=thumbnail.jpg"
    )
    assert linked.relative_key == "uploads/clip.mp4"


def test_an_item_without_thumbnail_has_no_thumbnail_link(catalog: MediaCatalog, items: InMemoryMediaItems) -> None:
    item = make_item("t1")
    items.put(item)
    assert catalog.get("t1", item.id).thumbnail_url is None


def test_another_tenants_item_is_not_found_like_a_missing_one(catalog: MediaCatalog, items: InMemoryMediaItems) -> None:
    item = make_item("owner")
    items.put(item)

    with pytest.raises(NotFound) as stolen:
        catalog.get("thief", item.id)
    with pytest.raises(NotFound) as missing:
        catalog.get("thief", str(uuid.uuid4()))

    assert stolen.value.code == missing.value.code == "media_not_found"


@pytest.mark.parametrize("media_id", ["", "not-a-uuid", "../../etc", str(uuid.uuid4()).upper()])
def test_malformed_ids_are_not_found_without_a_lookup(catalog: MediaCatalog, media_id: str) -> None:
    with pytest.raises(NotFound):
        catalog.get("t1", media_id)


def test_list_pages_through_one_folder(catalog: MediaCatalog, items: InMemoryMediaItems) -> None:
    mine = [make_item("t1", "a", f"{i}.mp4") for i in range(5)]
    for item in [*mine, make_item("t1", "b"), make_item("t2", "a")]:
        items.put(item)

    first = catalog.list("t1", folder="a", limit=3, cursor=None)
    second = catalog.list("t1", folder="a", limit=3, cursor=first.next_cursor)

    seen = [linked.item.id for linked in first.items + second.items]
    assert sorted(seen) == sorted(i.id for i in mine)
    assert first.next_cursor is not None and second.next_cursor is None


@pytest.mark.parametrize("limit", [0, -1, 101])
def test_list_refuses_a_limit_out_of_range(catalog: MediaCatalog, limit: int) -> None:
    with pytest.raises(ValidationFailed) as refused:
        catalog.list("t1", folder=None, limit=limit, cursor=None)
    assert refused.value.details == [{"field": "limit", "message": "between 1 and 100"}]
