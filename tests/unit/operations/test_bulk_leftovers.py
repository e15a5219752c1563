"""The DynamoDB batch helpers send again what a successful call left undone, and give up
after a bounded number of attempts (a stub client: no network)."""

from __future__ import annotations

from typing import Any

import pytest

from mediabatch.adapters.dynamodb import bulk, codec


class StubDynamoDB:
    """Answers each call with at most `per_call` of the keys/writes asked for; the rest comes
    back as unprocessed (what DynamoDB does when throttled)."""

    def __init__(self, per_call: int) -> None:
        self.per_call = per_call
        self.calls: list[int] = []
        self.written: list[dict[str, Any]] = []

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        ((table, request),) = RequestItems.items()
        keys = request["Keys"]
        self.calls.append(len(keys))
        done, left = keys[: self.per_call], keys[self.per_call :]
        answer: dict[str, Any] = {"Responses": {table: [{**k, "v": {"S": "x"}} for k in done]}}
        if left:
            answer["UnprocessedKeys"] = {table: {**request, "Keys": left}}
        return answer

    def batch_write_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        ((table, writes),) = RequestItems.items()
        self.calls.append(len(writes))
        self.written.extend(writes[: self.per_call])
        left = writes[self.per_call :]
        return {"UnprocessedItems": {table: left}} if left else {}


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(codec, "_sleep", lambda _: None)


def keys(n: int) -> list[dict[str, Any]]:
    return [{"pk": {"S": f"k{i}"}} for i in range(n)]


def test_reads_go_100_a_call_and_leftovers_are_read_again() -> None:
    ddb = StubDynamoDB(per_call=60)
    found = bulk.batch_get(ddb, "t", keys(150))
    assert sorted(i["pk"]["S"] for i in found) == sorted(f"k{i}" for i in range(150))
    assert ddb.calls == [100, 40, 50]


def test_writes_go_25_a_call_and_leftovers_are_written_again() -> None:
    ddb = StubDynamoDB(per_call=10)
    writes = [{"PutRequest": {"Item": k}} for k in keys(30)]
    bulk.batch_write(ddb, "t", writes)
    assert ddb.written == writes and ddb.calls == [25, 15, 5, 5]


def test_a_batch_that_never_finishes_raises() -> None:
    ddb = StubDynamoDB(per_call=0)
    with pytest.raises(bulk.LeftUnprocessed):
        bulk.batch_get(ddb, "t", keys(3))
    assert len(ddb.calls) == bulk.ATTEMPTS
