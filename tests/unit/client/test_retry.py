"""Backoff and what counts as worth a retry: pure rules, no network."""

from __future__ import annotations

import pytest

from mediabatch_client.retry import MAX_BACKOFF, RETRYABLE_S3_CODES, RETRYABLE_STATUS, backoff_delay, s3_error_code


def test_the_delay_doubles_from_the_first_one() -> None:
    def no_jitter() -> float:
        return 0.5  # factor 1.0

    assert [backoff_delay(n, 0.5, no_jitter) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 4.0]


def test_the_delay_stops_growing_at_the_cap() -> None:
    assert backoff_delay(20, 0.5, lambda: 0.5) == MAX_BACKOFF == 30.0


@pytest.mark.parametrize(("jitter", "expected"), [(0.0, 1.0), (0.25, 1.5), (0.99, 2.98)])
def test_jitter_spreads_the_delay_between_half_and_one_and_a_half_times(jitter: float, expected: float) -> None:
    assert backoff_delay(2, 1.0, lambda: jitter) == pytest.approx(expected)


def test_the_default_jitter_stays_in_its_bounds() -> None:
    delays = [backoff_delay(1, 2.0) for _ in range(200)]
    assert all(1.0 <= d < 3.0 for d in delays) and len(set(delays)) > 1


def test_the_s3_error_code_is_read_from_the_error_document() -> None:
    body = "<?xml version='1.0'?><Error><Code>SlowDown</Code><Message>Reduce your rate</Message></Error>"
    assert s3_error_code(body) == "SlowDown"
    assert s3_error_code("Service Unavailable") == ""


def test_throttling_and_server_errors_are_retryable_but_refusals_are_not() -> None:
    assert {429, 500, 503} <= RETRYABLE_STATUS and not {400, 403, 404} & RETRYABLE_STATUS
    assert {"SlowDown", "RequestTimeout"} <= RETRYABLE_S3_CODES and "AccessDenied" not in RETRYABLE_S3_CODES
