"""The one poll loop of the SDK: batches, show batches and document jobs are all followed by
asking for their state until it is finished."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Protocol, TypeVar

__all__ = ["last_of", "poll"]


class Finishable(Protocol):
    @property
    def finished(self) -> bool: ...

    @property
    def status(self) -> str: ...


S = TypeVar("S", bound=Finishable)


def poll(fetch: Callable[[], S], *, what: str, interval: float, timeout: float | None) -> Iterator[S]:
    """Each state `fetch()` returns, every `interval` s, the last one finished; raises
    TimeoutError after `timeout` s (None: no limit), naming `what` is still in which status."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        state = fetch()
        yield state
        if state.finished:
            return
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError(f"{what} is still {state.status} after {timeout} s")
        time.sleep(interval)


def last_of(states: Iterator[S]) -> S:
    """The last state of a poll: the finished one."""
    last: S | None = None
    for last in states:  # noqa: B007 - the last one
        pass
    assert last is not None
    return last
