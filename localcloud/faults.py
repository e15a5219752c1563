"""Faults AWS produces under load that a quiet local cloud never does, injectable by tests."""

from __future__ import annotations

import json
import threading
from typing import Any

_lock = threading.Lock()
_conflicts_to_inject = 0
_installed = False
_TARGET = "DynamoDB_20120810.TransactWriteItems"


def inject_transaction_conflicts(count: int) -> None:
    """Make the next `count` TransactWriteItems calls of this process fail with
    TransactionCanceledException (every reason TransactionConflict), as DynamoDB answers under
    contention: lets tests prove the retry path. The answer is made where botocore sends the
    request, so it goes through botocore's parsing and retries exactly like DynamoDB's own."""
    global _conflicts_to_inject
    _install()
    with _lock:
        _conflicts_to_inject = count


def pending_transaction_conflicts() -> int:
    """How many injected conflicts are still to come (tests check theirs were consumed)."""
    with _lock:
        return _conflicts_to_inject


def _take_one() -> bool:
    global _conflicts_to_inject
    with _lock:
        if _conflicts_to_inject <= 0:
            return False
        _conflicts_to_inject -= 1
        return True


def _install() -> None:
    global _installed
    if _installed:
        return
    from botocore.awsrequest import AWSResponse
    from botocore.endpoint import Endpoint

    original = Endpoint._send

    def _send(self: Any, request: Any) -> Any:
        if request.headers.get("X-Amz-Target", b"") in (_TARGET, _TARGET.encode()) and _take_one():
            items = len(json.loads(request.body or b"{}").get("TransactItems", [])) or 1
            body = {
                "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
                "Message": "Transaction cancelled, please refer cancellation reasons for specific reasons "
                + "["
                + ", ".join(["TransactionConflict"] * items)
                + "]",
                "CancellationReasons": [
                    {"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}
                ]
                * items,
            }
            return AWSResponse(
                request.url, 400, {"Content-Type": "application/x-amz-json-1.0"}, _Raw(json.dumps(body).encode())
            )
        return original(self, request)

    Endpoint._send = _send
    _installed = True


class _Raw:
    """The urllib3-like raw body AWSResponse reads."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, *_: Any, **__: Any) -> Any:
        yield self._body
