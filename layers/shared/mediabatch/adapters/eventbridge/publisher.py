"""Domain events on the EventBridge bus (source `mediabatch`)."""

from __future__ import annotations

import json
from typing import Any

from mediabatch.adapters.aws import client
from mediabatch.settings import get_settings

SOURCE = "mediabatch"


class EventPublisher:
    def __init__(self, bus_name: str | None = None, events: Any = None) -> None:
        self._bus = bus_name or get_settings().event_bus_name
        self._events = events or client("events")

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
