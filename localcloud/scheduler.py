"""EventBridge's schedules for the template's `Schedule` events: each function is invoked at its
rate, and once as the local cloud starts (with `detail.after_restart`, so a function may know
that nothing is in flight yet: the reconciler resumes what the last run left half-way)."""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from localcloud.functions import LocalFunction
from localcloud.template import ACCOUNT_ID

logger = logging.getLogger("localcloud.schedule")
_RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


@dataclass
class Schedule:
    function: LocalFunction
    event_id: str
    expression: str
    enabled: bool = True


def rate_seconds(expression: str) -> float:
    """Seconds between runs of `rate(5 minutes)`; cron() expressions are not supported locally."""
    match = _RATE.match(expression.strip())
    if match is None:
        raise ValueError(f"schedule {expression!r}: the local cloud runs rate(N unit) schedules only")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2).rstrip("s")]


def scheduled_event(schedule: Schedule, region: str, detail: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:{ACCOUNT_ID}:rule/{schedule.function.name}-{schedule.event_id}"],
        "detail": detail or {},
    }


class Scheduler:
    """One thread per schedule; `interval_override` (seconds) replaces every rate (tests)."""

    def __init__(self, schedules: list[Schedule], region: str, interval_override: float | None = None) -> None:
        self._schedules = [s for s in schedules if s.enabled]
        self._region = region
        self._override = interval_override
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self, first_detail: dict[str, Any] | None = None, wait_seconds: float = 0.0) -> None:
        """A thread per schedule; with `first_detail`, each runs once at once with that detail,
        and this waits up to `wait_seconds` for those first runs to end."""
        firsts: list[threading.Event] = []
        for schedule in self._schedules:
            interval = self._override or rate_seconds(schedule.expression)
            first_done = threading.Event()
            firsts.append(first_done)
            thread = threading.Thread(
                target=self._loop,
                args=(schedule, interval, first_detail, first_done),
                daemon=True,
                name=f"localcloud-schedule-{schedule.event_id}",
            )
            thread.start()
            self._threads.append(thread)
        deadline = time.monotonic() + wait_seconds
        for done in firsts if first_detail is not None else []:
            done.wait(max(0.0, deadline - time.monotonic()))

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)

    def _loop(
        self, schedule: Schedule, interval: float, first_detail: dict[str, Any] | None, first_done: threading.Event
    ) -> None:
        if first_detail is not None:
            self._invoke(schedule, first_detail)
        first_done.set()
        while not self._stop.wait(interval):
            self._invoke(schedule, None)

    def _invoke(self, schedule: Schedule, detail: dict[str, Any] | None) -> None:
        try:
            schedule.function.invoke(scheduled_event(schedule, self._region, detail))
        except Exception:  # as on AWS: a failed run is logged; the next one comes at its time
            logger.exception("scheduled run of %s failed", schedule.function.name)
