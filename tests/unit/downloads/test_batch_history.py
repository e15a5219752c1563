"""GET /api/v1/batch through fakes: a tenant finds its batches again, newest first, by status,
page by page, and never another tenant's."""

from __future__ import annotations

import pytest

from mediabatch.downloads.models import BatchStatus
from mediabatch.errors import ValidationFailed
from tests.unit.downloads.conftest import OTHER_TENANT, TENANT, URL_1, URL_2, World


def test_batches_are_listed_newest_first(world: World) -> None:
    created = [world.create(URL_1).batch_id for _ in range(3)]

    page = world.service.list_batches(TENANT)

    assert [b.batch_id for b in page.batches] == created[::-1] and page.next_cursor is None


def test_the_status_filter_keeps_only_batches_in_that_status(world: World) -> None:
    first = world.create(URL_1)
    second = world.create(URL_2)
    world.service.cancel(TENANT, first.batch_id)

    cancelled = world.service.list_batches(TENANT, status=BatchStatus.CANCELLED)
    queued = world.service.list_batches(TENANT, status=BatchStatus.QUEUED)

    assert [b.batch_id for b in cancelled.batches] == [first.batch_id]
    assert [b.batch_id for b in queued.batches] == [second.batch_id]


def test_pages_follow_each_other_through_the_cursor(world: World) -> None:
    created = [world.create(URL_1).batch_id for _ in range(5)][::-1]

    first = world.service.list_batches(TENANT, limit=2)
    second = world.service.list_batches(TENANT, limit=2, cursor=first.next_cursor)
    last = world.service.list_batches(TENANT, limit=2, cursor=second.next_cursor)

    assert [b.batch_id for b in first.batches + second.batches + last.batches] == created
    assert last.next_cursor is None


def test_another_tenant_sees_none_of_them_and_cannot_use_their_cursor(world: World) -> None:
    world.create(URL_1)
    world.create(URL_2)
    cursor = world.service.list_batches(TENANT, limit=1).next_cursor

    assert world.service.list_batches(OTHER_TENANT).batches == []
    with pytest.raises(ValidationFailed) as raised:
        world.service.list_batches(OTHER_TENANT, cursor=cursor)
    assert raised.value.code == "invalid_cursor"


@pytest.mark.parametrize("limit", [0, 101])
def test_a_limit_out_of_range_is_refused(world: World, limit: int) -> None:
    with pytest.raises(ValidationFailed):
        world.service.list_batches(TENANT, limit=limit)
