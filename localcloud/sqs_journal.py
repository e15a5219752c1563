"""SQS keeps its messages across a restart, as on AWS: moto's queues live in memory, so every
message added to a queue and every message deleted from one is appended to a journal in the data
folder, and the messages still there when the process stopped (`kill -9` included: each line is
one write to the kernel) are sent again at the next start. That is the webhook outbox: an event
that reached the webhook queue is delivered after a restart (at least once; receivers
de-duplicate by webhook-id). Delays and receive counts start afresh."""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

logger = logging.getLogger("localcloud.sqs")
_installed: list[SqsJournal] = []


class SqsJournal:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._fd = -1

    def open(self, backend: Any) -> int:
        """Send again what the journal holds, start a fresh journal, and record from now on.
        Returns how many messages were restored."""
        live = self.live_messages()
        self.path.unlink(missing_ok=True)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        _install(self)
        restored = 0
        for queue_name, body, attributes in live:
            try:
                backend.send_message(queue_name, body, message_attributes=attributes or None, delay_seconds=0)
                restored += 1
            except Exception:  # the queue is gone from the template: so is its message
                logger.warning("dropped a journaled message of queue %s, which no longer exists", queue_name)
        return restored

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1
        if self in _installed:
            _installed.remove(self)

    def record(self, entry: dict[str, Any]) -> None:
        line = (json.dumps(entry, default=str) + "\n").encode()
        with self._lock:
            if self._fd >= 0:
                os.write(self._fd, line)

    def live_messages(self) -> list[tuple[str, str, Any]]:
        if not self.path.exists():
            return []
        live: dict[tuple[str, str], tuple[str, str, Any]] = {}
        for line in self.path.read_text().splitlines():
            try:
                entry = json.loads(line)
            except ValueError:  # a line cut by the kill
                continue
            key = (entry["queue"], entry["id"])
            if entry["op"] == "add":
                live[key] = (entry["queue"], entry["body"], entry.get("attributes"))
            else:
                live.pop(key, None)
        return list(live.values())


def _install(journal: SqsJournal) -> None:
    _installed.append(journal)
    if len(_installed) > 1:
        return
    from moto.sqs.models import Queue

    add_message, delete_message = Queue.add_message, Queue.delete_message

    def journaled_add(self: Any, message: Any) -> None:
        add_message(self, message)
        for j in _installed:
            j.record(
                {
                    "op": "add",
                    "queue": self.name,
                    "id": message.id,
                    "body": message.body,
                    "attributes": message.message_attributes,
                }
            )

    def journaled_delete(self: Any, receipt_handle: str) -> None:
        ids = [m.id for m in self._messages if m.had_receipt_handle(receipt_handle)]
        delete_message(self, receipt_handle)
        for j in _installed:
            for message_id in ids:
                j.record({"op": "del", "queue": self.name, "id": message_id})

    Queue.add_message = journaled_add  # type: ignore[method-assign]
    Queue.delete_message = journaled_delete  # type: ignore[method-assign]
