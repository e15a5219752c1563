"""The reconciler's adapters against the local cloud: open batches found across tenants, a lost
job put back in the queue with its counters, and the execution named after the batch."""

from __future__ import annotations

from collections.abc import Iterator

from mediabatch import container
from mediabatch.adapters.dynamodb.batches import BatchTable
from mediabatch.downloads.models import BatchRecord, BatchStatus, JobStatus
from mediabatch.reconcile.models import RunState
from mediabatch.reconcile.service import Reconciler
from tests.integration.conftest import MakeBatch


def test_open_batches_lists_active_and_unannounced_batches_only(store: BatchTable, make_batch: MakeBatch) -> None:
    active, _ = make_batch(1)
    ended, _ = make_batch(1)
    unannounced, _ = make_batch(1)
    store.set_terminal(ended.tenant_id, ended.batch_id, BatchStatus.FAILED)
    store.mark_announced(ended.tenant_id, ended.batch_id, for_round=1)
    store.set_terminal(unannounced.tenant_id, unannounced.batch_id, BatchStatus.FAILED)

    found = {b.batch_id for b in store.open_batches()}

    assert active.batch_id in found and unannounced.batch_id in found and ended.batch_id not in found


def test_requeue_moves_a_running_job_back_with_its_counters_once(store: BatchTable, make_batch: MakeBatch) -> None:
    batch, (job,) = make_batch(1)
    store.start_job(job)

    assert store.requeue_job(job) is True
    assert store.requeue_job(job) is False  # not running any more

    after = store.get_batch(batch.tenant_id, batch.batch_id)
    assert after is not None and (after.queued_jobs, after.running_jobs) == (1, 0)
    stored = store.get_job(batch.tenant_id, batch.batch_id, 0)
    assert stored is not None and stored.status is JobStatus.QUEUED


class _OnlyThisTenant:
    """The session's other tests leave open batches of their own: reconcile this test's only."""

    def __init__(self, store: BatchTable, tenant_id: str) -> None:
        self._store, self._tenant_id = store, tenant_id

    def open_batches(self) -> Iterator[BatchRecord]:
        return (b for b in self._store.open_batches() if b.tenant_id == self._tenant_id)


def test_a_batch_never_started_is_started_by_the_reconciler(store: BatchTable, make_batch: MakeBatch) -> None:
    batch, _ = make_batch(1)
    orchestrator = container.batch_orchestrator()
    assert orchestrator.run_state(batch.batch_id) is RunState.MISSING
    reconciler = Reconciler(_OnlyThisTenant(store, batch.tenant_id), store, orchestrator, container.batch_finalizer())

    report = reconciler.run(min_age_seconds=0)

    assert batch.batch_id in report.started
    assert orchestrator.run_state(batch.batch_id) in (RunState.RUNNING, RunState.ENDED)
