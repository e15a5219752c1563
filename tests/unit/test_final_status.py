"""A finished batch's status (finalizer.final_status): `failed` when jobs failed and errors are not
ignored, when stop_on_error stopped the batch, or when nothing succeeded at all; otherwise
`completed`."""

from __future__ import annotations

import pytest

from mediabatch.downloads.finalizer import final_status
from mediabatch.downloads.models import BatchOptions, BatchRecord, BatchStatus


def finished(
    *,
    completed: int,
    failed: int,
    cancelled: int = 0,
    ignore_errors: bool = True,
    stop_on_error: bool = False,
    stop_requested: bool = False,
) -> BatchRecord:
    total = completed + failed + cancelled
    return BatchRecord(
        tenant_id="t",
        batch_id="batch_1",
        status=BatchStatus.RUNNING,
        options=BatchOptions.model_validate({"ignore_errors": ignore_errors, "stop_on_error": stop_on_error}),
        total_jobs=total,
        queued_jobs=0,
        completed_jobs=completed,
        failed_jobs=failed,
        cancelled_jobs=cancelled,
        stop_requested=stop_requested,
        created_at="2024-01-01T00:00:00Z",
    )


@pytest.mark.parametrize("completed", [1, 5])
@pytest.mark.parametrize("ignore_errors", [True, False])
def test_all_jobs_succeeded_is_completed(completed: int, ignore_errors: bool) -> None:
    assert final_status(finished(completed=completed, failed=0, ignore_errors=ignore_errors)) is BatchStatus.COMPLETED


def test_some_failures_with_errors_ignored_is_completed() -> None:
    assert final_status(finished(completed=3, failed=1)) is BatchStatus.COMPLETED
    assert final_status(finished(completed=1, failed=9)) is BatchStatus.COMPLETED


def test_any_failure_when_errors_are_not_ignored_is_failed() -> None:
    assert final_status(finished(completed=9, failed=1, ignore_errors=False)) is BatchStatus.FAILED


def test_a_batch_stopped_by_stop_on_error_is_failed_even_if_errors_are_ignored() -> None:
    batch = finished(completed=2, failed=1, cancelled=3, stop_on_error=True, stop_requested=True)

    assert final_status(batch) is BatchStatus.FAILED


def test_stop_on_error_without_a_failure_is_completed() -> None:
    assert final_status(finished(completed=3, failed=0, stop_on_error=True)) is BatchStatus.COMPLETED


@pytest.mark.parametrize("failed, cancelled", [(1, 0), (4, 0), (1, 2)])
def test_nothing_succeeded_is_failed_even_if_errors_are_ignored(failed: int, cancelled: int) -> None:
    assert final_status(finished(completed=0, failed=failed, cancelled=cancelled)) is BatchStatus.FAILED


def test_cancelled_jobs_alone_do_not_fail_a_batch_that_had_successes() -> None:
    assert final_status(finished(completed=2, failed=0, cancelled=2)) is BatchStatus.COMPLETED
