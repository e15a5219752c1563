"""A write whose answer is lost (a read timeout after DynamoDB did it) is sent again by botocore.
A create conditioned on the item being new must then recognise its own write, not fail as a
clash (found by tests/reliability/test_injected_faults.py: POST /api/v1/batch/download and
POST /api/v1/videos/batch/init answered 500 for a batch or upload that did exist)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError

from localcloud import LocalCloud, faults
from mediabatch.adapters.dynamodb.batches import BatchTable
from mediabatch.adapters.dynamodb.codec import put_new, to_item
from tests.integration.conftest import MakeBatch


@pytest.fixture
def lost_answers() -> Iterator[None]:
    """The next PutItem takes effect, then its answer is lost."""
    faults.set_plan(
        [
            {
                "name": "lost",
                "kind": "timeout",
                "after_send": True,
                "service": "dynamodb",
                "operation": "PutItem",
                "count": 1,
            }
        ]
    )
    try:
        yield
    finally:
        faults.clear()


def test_a_batch_whose_create_answer_was_lost_is_created_once(
    store: BatchTable, make_batch: MakeBatch, lost_answers: None
) -> None:
    batch, _ = make_batch(2)  # creates it through BatchTable.create
    assert faults.stats()["lost"] == {"faults": 1, "retries": 1}
    found = store.get_batch(batch.tenant_id, batch.batch_id)
    assert found is not None and found.total_jobs == 2


def test_a_real_clash_still_fails(cloud: LocalCloud) -> None:
    ddb, table = cloud.client("dynamodb"), os.environ["TABLE_NAME"]
    first = to_item({"pk": "LOST#clash", "sk": "X", "mark": "first"})
    put_new(ddb, table, first, marker="mark")
    with pytest.raises(ClientError, match="ConditionalCheckFailed"):
        put_new(ddb, table, {**first, "mark": {"S": "second"}}, marker="mark")
