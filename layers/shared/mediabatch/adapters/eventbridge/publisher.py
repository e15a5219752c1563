"""Domain events on the EventBridge bus (source `mediabatch`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
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
        """Ten events a call, in order; the positions EventBridge did not take, with its reason
        (a call that fails fails its ten). Entries are not retried: no event is sent twice."""
        failed: dict[int, str] = {}
        for start in range(0, len(events), ENTRIES_PER_CALL):
            chunk = events[start : start + ENTRIES_PER_CALL]
            try:
                answer = self._events.put_events(Entries=[self._entry(kind, detail) for kind, detail in chunk])
            except (BotoCoreError, ClientError) as exc:
                failed.update(dict.fromkeys(range(start, start + len(chunk)), f"{type(exc).__name__}: {exc}"))
                continue
            for offset, entry in enumerate(answer.get("Entries", [])):
                if entry.get("ErrorCode"):
                    failed[start + offset] = f"{entry['ErrorCode']}: {entry.get('ErrorMessage', '')}"
        return failed

    def _entry(self, detail_type: str, detail: dict[str, Any]) -> dict[str, Any]:
        return {
            "Source": SOURCE,
            "DetailType": detail_type,
            "Detail": json.dumps(detail, default=str),
            "EventBusName": self._bus,
        }
