"""Domain events on the EventBridge bus (source `mediabatch`)."""

from __future__ import annotations

import json
from typing import Any

SOURCE = "mediabatch"


class EventPublisher:
    def __init__(self, bus_name: str, events: Any) -> None:
        self._bus = bus_name
        self._events = events

    def publish(self, detail_type: str, detail: dict[str, Any]) -> None:
        result = self._events.put_events(
            Entries=[
                {
                    "Source": SOURCE,
                    "DetailType": detail_type,
                    "Detail": json.dumps(detail, default=str),
                    "EventBusName": self._bus,
                }
            ]
        )
        if result.get("FailedEntryCount"):
            raise RuntimeError(f"EventBridge rejected {detail_type}: {result.get('Entries')}")
