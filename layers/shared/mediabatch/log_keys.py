"""Log keys that belong to one invocation only.

`Logger.append_keys` keys live on the shared formatter: they outlive the invocation (the next
one of the same execution environment logs them too) and, where several handlers share one
process (the local cloud runs every function in threads of one process), show up on another
function's lines. These keys are thread-local and gone when the invocation ends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from aws_lambda_powertools import Logger


@contextmanager
def invocation_keys(logger: Logger, **keys: object) -> Iterator[None]:
    logger.thread_safe_append_keys(**keys)
    try:
        yield
    finally:
        logger.thread_safe_remove_keys(keys)
