"""Presigned GET URLs kept for a few minutes in a warm function.

Every read of a batch signs a download URL for each of its finished files: a client polling a
50-file batch every second re-signed all 50 on every poll, and signing (endpoint resolution plus
SigV4) was two thirds of such a GET's CPU (bench `orchestration_overhead`, profiled). A URL signed
for `ttl` seconds is handed out again while it is younger than a twelfth of that (5 minutes of
an hour), so every URL a reader gets is valid for at least eleven twelfths of `ttl`."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable

REUSE_FRACTION = 1 / 12
MAX_KEPT = 4096  # a warm function's worth; cleared whole when full (signing again is only CPU)


class SignedUrls:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._kept: dict[Hashable, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, ttl_seconds: int, sign: Callable[[], str]) -> str:
        """The URL kept for `key` if it was signed less than a twelfth of `ttl_seconds` ago,
        else a new one from `sign`."""
        now = self._clock()
        with self._lock:
            kept = self._kept.get(key)
        if kept is not None and now - kept[1] < ttl_seconds * REUSE_FRACTION:
            return kept[0]
        url = sign()
        with self._lock:
            if len(self._kept) >= MAX_KEPT:
                self._kept.clear()
            self._kept[key] = (url, now)
        return url
