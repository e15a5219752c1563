"""The limits a tenant lives within, and the proof that a request was admitted under one."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WindowLimit:
    """At most `limit` admissions per fixed window of `window_seconds`; a limit of 0 is off."""

    limit: int
    window_seconds: int

    @property
    def enabled(self) -> bool:
        return self.limit > 0 and self.window_seconds > 0

    def window_start(self, now: float) -> int:
        return int(now // self.window_seconds) * self.window_seconds


@dataclass(frozen=True)
class Admission:
    """One unit taken from a tenant's window: given back when the request creates nothing."""

    scope: str
    window_start: int
