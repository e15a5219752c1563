"""The API's Idempotency-Key helper (functions/api/api_routes/idempotency.py) over an in-memory
Powertools persistence layer: what a retrying client gets."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyItemAlreadyExistsError,
    IdempotencyItemNotFoundError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer, DataRecord

from functions.api.api_routes import idempotency
from functions.api.api_routes.idempotency import run_idempotent
from mediabatch.errors import Conflict, ValidationFailed

pytestmark = pytest.mark.filterwarnings("ignore:Couldn.t determine the remaining time:UserWarning")


class InMemoryIdempotencyStore(BasePersistenceLayer):  # type: ignore[misc]
    """What DynamoDBPersistenceLayer does, in a dict: a put fails while an unexpired record exists."""

    def __init__(self) -> None:
        super().__init__()
        self.records: dict[str, DataRecord] = {}

    def _get_record(self, idempotency_key: str) -> DataRecord:
        if idempotency_key not in self.records:
            raise IdempotencyItemNotFoundError
        return self.records[idempotency_key]

    def _put_record(self, data_record: DataRecord) -> None:
        old = self.records.get(data_record.idempotency_key)
        if old is not None and not old.is_expired:
            raise IdempotencyItemAlreadyExistsError
        self.records[data_record.idempotency_key] = data_record

    def _update_record(self, data_record: DataRecord) -> None:
        self.records[data_record.idempotency_key] = data_record

    def _delete_record(self, data_record: DataRecord) -> None:
        self.records.pop(data_record.idempotency_key, None)


@pytest.fixture(autouse=True)
def store(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemoryIdempotencyStore]:
    memory = InMemoryIdempotencyStore()
    monkeypatch.setattr(idempotency.container, "idempotency_store", lambda: memory)
    yield memory


class Creator:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> dict[str, Any]:
        self.calls += 1
        return {"id": f"created-{self.calls}"}


def test_without_a_key_every_call_creates() -> None:
    create = Creator()
    assert run_idempotent("thing.create", "t", None, {"a": 1}, create) == {"id": "created-1"}
    assert run_idempotent("thing.create", "t", "", {"a": 1}, create) == {"id": "created-2"}


def test_a_retry_with_the_same_key_and_body_gets_the_first_result() -> None:
    create = Creator()
    first = run_idempotent("thing.create", "t", "k1", {"a": 1}, create)
    again = run_idempotent("thing.create", "t", "k1", {"a": 1}, create)

    assert first == again == {"id": "created-1"} and create.calls == 1


def test_keys_are_separate_per_tenant_and_per_scope() -> None:
    create = Creator()
    results = [
        run_idempotent("thing.create", "t", "k1", {"a": 1}, create),
        run_idempotent("thing.create", "other-tenant", "k1", {"a": 1}, create),
        run_idempotent("upload.create", "t", "k1", {"a": 1}, create),
        run_idempotent("thing.create", "t", "k2", {"a": 1}, create),
    ]
    assert [r["id"] for r in results] == ["created-1", "created-2", "created-3", "created-4"]


def test_a_key_reused_with_another_body_is_a_conflict() -> None:
    create = Creator()
    run_idempotent("thing.create", "t", "k1", {"a": 1}, create)

    with pytest.raises(Conflict) as caught:
        run_idempotent("thing.create", "t", "k1", {"a": 2}, create)

    assert caught.value.code == "idempotency_key_reused" and create.calls == 1


def test_a_key_still_in_progress_is_a_conflict() -> None:
    def create_while_the_retry_arrives() -> dict[str, Any]:
        run_idempotent("thing.create", "t", "k1", {"a": 1}, Creator())
        return {"id": "never"}

    with pytest.raises(Conflict) as caught:
        run_idempotent("thing.create", "t", "k1", {"a": 1}, create_while_the_retry_arrives)

    assert caught.value.code == "idempotency_in_progress"


def test_a_key_longer_than_255_characters_is_refused() -> None:
    create = Creator()
    assert run_idempotent("thing.create", "t", "k" * 255, {}, create) == {"id": "created-1"}

    with pytest.raises(ValidationFailed) as caught:
        run_idempotent("thing.create", "t", "k" * 256, {}, create)

    assert caught.value.code == "invalid_idempotency_key" and create.calls == 1
