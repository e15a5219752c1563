"""When a failed request is worth another attempt, and how long to wait before it.

One place for the rule, so API calls and chunk PUTs back off alike: a retry is for what a
moment's wait can cure (connection trouble, 429, 5xx, S3's RequestTimeout/SlowDown), never for
an answer that will not change."""

from __future__ import annotations

import random
import re
from collections.abc import Callable

__all__ = ["MAX_BACKOFF", "RETRYABLE_S3_CODES", "RETRYABLE_STATUS", "backoff_delay", "s3_error_code"]

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
RETRYABLE_S3_CODES = frozenset(
    {"RequestTimeout", "SlowDown", "InternalError", "ServiceUnavailable", "RequestTimeTooSkewed"}
)
MAX_BACKOFF = 30.0  # seconds, before jitter
_S3_CODE = re.compile(r"<Code>([^<]+)</Code>")


def backoff_delay(attempt: int, first_delay: float, jitter: Callable[[], float] = random.random) -> float:
    """Seconds to wait before retry `attempt` (1-based): `first_delay` doubling each time, at most
    `MAX_BACKOFF`, times a jitter factor in [0.5, 1.5) so parallel workers do not retry in step."""
    return float(min(MAX_BACKOFF, first_delay * 2 ** (attempt - 1)) * (0.5 + jitter()))


def s3_error_code(body: str) -> str:
    """The ``<Code>`` of an S3 error document, or "" when the body has none."""
    match = _S3_CODE.search(body)
    return match.group(1) if match else ""
