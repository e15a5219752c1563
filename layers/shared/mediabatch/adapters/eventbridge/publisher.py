"""Domain events on the EventBridge bus (source `mediabatch`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

SOURCE = "mediabatch"
ENTRIES_PER_CALL = 10  # PutEvents' limit


class EventPublisher:
    def __init__(self, bus_name: str, events: Any) -> None:
        self._bus = bus_name
        self._events = events

    def publish(self, detail_type: str, detail: dict[str, Any]) -> None:
        result = self._events.put_events(Entries=[self._entry(detail_type, detail)])
        if result.get("FailedEntryCount"):
            raise RuntimeError(f"EventBridge rejected {detail_type}: {result.get('Entries')}")

    def publish_many(self, events: Sequence[tuple[str, dict[str, Any]]]) -> dict[int, str]:
        """Ten events a call (the calls at once: EventBridge keeps no order between events
        anyway); the positions it did not take, with its reason (a call that fails fails its
        ten). Nothing is sent again: no event twice."""
        starts = list(range(0, len(events), ENTRIES_PER_CALL))
        if len(starts) <= 1:
            return self._put(events, 0)
        failed: dict[int, str] = {}
        with ThreadPoolExecutor(len(starts), thread_name_prefix="put-events") as pool:
            for part in pool.map(lambda s: self._put(events[s : s + ENTRIES_PER_CALL], s), starts):
                failed.update(part)
        return failed

    def _put(self, chunk: Sequence[tuple[str, dict[str, Any]]], start: int) -> dict[int, str]:
        try:
            answer = self._events.put_events(Entries=[self._entry(kind, detail) for kind, detail in chunk])
        except (BotoCoreError, ClientError) as exc:
            return dict.fromkeys(range(start, start + len(chunk)), f"{type(exc).__name__}: {exc}")
        return {
            start + offset: f"{entry['ErrorCode']}: {entry.get('ErrorMessage', '')}"
            for offset, entry in enumerate(answer.get("Entries", []))
            if entry.get("ErrorCode")
        }

    def _entry(self, detail_type: str, detail: dict[str, Any]) -> dict[str, Any]:
        return {
            "Source": SOURCE,
            "DetailType": detail_type,
            "Detail": json.dumps(detail, default=str),
            "EventBusName": self._bus,
        }
