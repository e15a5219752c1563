"""Batch and job state in DynamoDB.

One partition per batch (`TENANT#t#BATCH#b`): the batch item (sk `BATCH`) holds the counters,
job items (sk `JOB#000`) hold per-job state, so one Query reads a whole batch. The batch item is
also in the `ByFolder` index (`gsi1pk = TENANT#t#BATCHES`, `gsi1sk = created_at#stamp#id`): a
tenant's batches, newest first; and while it is open, in the sparse `OpenBatches` index
(mediabatch.adapters.dynamodb.open_batches). Every state
change is a conditional write; a job transition and its counter change commit together in one
transaction, so counters never drift from the jobs they count.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from mediabatch.adapters.dynamodb.codec import (
    batch_get_all,
    batch_write_all,
    cancellation_codes,
    error_code,
    from_item,
    put_new,
    to_item,
    transact_write,
    value,
)
from mediabatch.adapters.dynamodb.index_pages import IndexFilter, newest_first
from mediabatch.adapters.dynamodb.media_items import media_put_request
from mediabatch.adapters.dynamodb.open_batches import (
    OPEN_KEY,
    backfilled,
    is_open,
    open_fields,
    scan_and_backfill,
    scan_index,
    untag_if_closed,
)
from mediabatch.catalog.models import MediaItem
from mediabatch.clock import now_iso
from mediabatch.downloads.models import (
    NOT_STARTED,
    BatchRecord,
    BatchStatus,
    FileInfo,
    JobRecord,
    JobStatus,
    StartOutcome,
)

__all__ = ["BatchTable", "StartOutcome", "batch_pk", "job_sk"]

logger = logging.getLogger(__name__)

_ACTIVE = [value(BatchStatus.QUEUED.value), value(BatchStatus.RUNNING.value)]
_COUNTER = {
    JobStatus.COMPLETED: "completed_jobs",
    JobStatus.FAILED: "failed_jobs",
    JobStatus.CANCELLED: "cancelled_jobs",
}


# One transaction holds at most 100 items: the batch item and 99 jobs.
_JOBS_PER_REOPEN = 99


def batch_pk(tenant_id: str, batch_id: str) -> str:
    return f"TENANT#{tenant_id}#BATCH#{batch_id}"


def batches_index_pk(tenant_id: str) -> str:
    return f"TENANT#{tenant_id}#BATCHES"


def job_sk(index: int) -> str:
    return f"JOB#{index:03d}"


class BatchTable:
    def __init__(self, table_name: str, dynamodb: Any) -> None:
        self._table = table_name
        self._ddb = dynamodb

    # ------------------------------------------------------------------ create / read
    def create(self, batch: BatchRecord, jobs: list[JobRecord]) -> None:
        """Jobs first, the batch item last: until the batch item exists nothing is visible, so
        a crash half-way leaves no half-created batch behind (only unreachable job items)."""
        pk = batch_pk(batch.tenant_id, batch.batch_id)
        requests = [
            {"PutRequest": {"Item": to_item({"pk": pk, "sk": job_sk(j.index), **j.model_dump(mode="json")})}}
            for j in jobs
        ]
        for start in range(0, len(requests), 25):
            batch_write_all(self._ddb, {self._table: requests[start : start + 25]})
        listed = {
            "gsi1pk": batches_index_pk(batch.tenant_id),
            # created_at has whole seconds: the write time orders batches created within one.
            "gsi1sk": f"{batch.created_at}#{time.time_ns():020d}#{batch.batch_id}",
        }
        item = to_item({"pk": pk, "sk": "BATCH", **listed, **open_fields(batch), **batch.model_dump(mode="json")})
        put_new(self._ddb, self._table, item, marker="gsi1sk")  # gsi1sk: the write's own nanosecond

    def list_batches(
        self, tenant_id: str, *, status: BatchStatus | None, limit: int, cursor: str | None
    ) -> tuple[list[BatchRecord], str | None]:
        where = None
        if status is not None:
            where = IndexFilter("#s = :status", {"#s": "status"}, {":status": value(status.value)})
        items, next_cursor = newest_first(
            self._ddb, self._table, batches_index_pk(tenant_id), limit=limit, cursor=cursor, where=where
        )
        return [_batch(i) for i in items], next_cursor

    def get_batch(self, tenant_id: str, batch_id: str) -> BatchRecord | None:
        item = self._ddb.get_item(
            TableName=self._table,
            Key={"pk": value(batch_pk(tenant_id, batch_id)), "sk": value("BATCH")},
            ConsistentRead=True,
        ).get("Item")
        return _batch(item) if item else None

    def get_batch_with_jobs(self, tenant_id: str, batch_id: str) -> tuple[BatchRecord, list[JobRecord]] | None:
        batch: BatchRecord | None = None
        jobs: list[JobRecord] = []
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": value(batch_pk(tenant_id, batch_id))},
            "ConsistentRead": True,
        }
        while True:
            page = self._ddb.query(**kwargs)
            for item in page.get("Items", []):
                if item["sk"]["S"] == "BATCH":
                    batch = _batch(item)
                else:
                    jobs.append(_job(item))
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        if batch is None:
            return None
        return batch, sorted(jobs, key=lambda j: j.index)

    def get_batch_and_job(
        self, tenant_id: str, batch_id: str, index: int
    ) -> tuple[BatchRecord | None, JobRecord | None]:
        """Both in one round trip (what every job needs first)."""
        pk = value(batch_pk(tenant_id, batch_id))
        keys = [{"pk": pk, "sk": value("BATCH")}, {"pk": pk, "sk": value(job_sk(index))}]
        read = batch_get_all(self._ddb, {self._table: {"Keys": keys, "ConsistentRead": True}})
        found = {item["sk"]["S"]: item for item in read.get(self._table, [])}
        batch = found.get("BATCH")
        job = found.get(job_sk(index))
        return (_batch(batch) if batch else None), (_job(job) if job else None)

    def get_job(self, tenant_id: str, batch_id: str, index: int) -> JobRecord | None:
        item = self._ddb.get_item(
            TableName=self._table,
            Key={"pk": value(batch_pk(tenant_id, batch_id)), "sk": value(job_sk(index))},
            ConsistentRead=True,
        ).get("Item")
        return _job(item) if item else None

    # ------------------------------------------------------------------ job transitions
    def start_job(self, job: JobRecord) -> StartOutcome:
        now = now_iso()
        try:
            transact_write(
                self._ddb,
                [
                    self._job_transition(job, JobStatus.QUEUED, JobStatus.RUNNING, {"started_at": now}),
                    {
                        "Update": {
                            **self._batch_key(job),
                            # The first job to start also marks the batch running (same write).
                            "UpdateExpression": "ADD queued_jobs :minus, running_jobs :one "
                            "SET #s = :r, started_at = if_not_exists(started_at, :now), #o = :tenant",
                            "ConditionExpression": "#s IN (:q, :r) AND stop_requested <> :true",
                            "ExpressionAttributeNames": {"#s": "status", "#o": OPEN_KEY},
                            "ExpressionAttributeValues": {
                                ":tenant": value(job.tenant_id),
                                ":minus": value(-1),
                                ":one": value(1),
                                ":q": _ACTIVE[0],
                                ":r": _ACTIVE[1],
                                ":true": value(True),
                                ":now": value(now),
                            },
                        }
                    },
                ],
            )
        except ClientError as exc:
            codes = cancellation_codes(exc)
            if codes[:1] == ["ConditionalCheckFailed"]:
                return StartOutcome.SKIPPED
            if codes[1:2] != ["ConditionalCheckFailed"]:
                raise
            # The batch refuses new starts (cancelled or stopped): this job ends cancelled.
            return (
                StartOutcome.CANCELLED
                if self.finish_job(
                    job, JobStatus.CANCELLED, from_status=JobStatus.QUEUED, error=NOT_STARTED, error_code="not_started"
                )
                else StartOutcome.SKIPPED
            )
        return StartOutcome.STARTED

    def finish_job(
        self,
        job: JobRecord,
        status: JobStatus,
        *,
        from_status: JobStatus = JobStatus.RUNNING,
        error: str | None = None,
        error_code: str | None = None,
        error_detail: str | None = None,
        title: str | None = None,
        file_info: FileInfo | None = None,
        media: MediaItem | None = None,
    ) -> bool:
        """Move a job to a terminal status and its counters with it, and put `media` (the
        catalog item of the job's file) in the same transaction; False if the job was not in
        `from_status` any more (someone else finished it first)."""
        fields: dict[str, Any] = {
            "error": error,
            "error_code": error_code,
            "error_detail": error_detail,
            "title": title,
            "completed_at": now_iso(),
        }
        if file_info is not None:
            fields.update(
                file_info=file_info.model_dump(),
                downloaded_bytes=file_info.size_bytes,
                total_bytes=file_info.size_bytes,
            )
        if status is JobStatus.COMPLETED:
            fields["progress_percent"] = 100.0
        from_counter = "running_jobs" if from_status is JobStatus.RUNNING else "queued_jobs"
        items = [
            self._job_transition(job, from_status, status, fields),
            {
                "Update": {
                    **self._batch_key(job),
                    "UpdateExpression": f"ADD {from_counter} :minus, {_COUNTER[status]} :one",
                    "ExpressionAttributeValues": {":minus": value(-1), ":one": value(1)},
                }
            },
        ]
        if media is not None:
            items.append(media_put_request(self._table, media))
        try:
            transact_write(self._ddb, items)
        except ClientError as exc:
            if cancellation_codes(exc)[:1] == ["ConditionalCheckFailed"]:
                return False
            raise
        return True

    def update_progress(
        self, job: JobRecord, *, percent: float, downloaded: int, total: int | None, title: str | None
    ) -> bool:
        """Record progress; False when the job should stop (cancel requested or not running)."""
        fields: dict[str, Any] = {"progress_percent": round(percent, 1), "downloaded_bytes": downloaded}
        if total is not None:
            fields["total_bytes"] = total
        if title is not None:
            fields["title"] = title
        names = {f"#f{i}": k for i, k in enumerate(fields)}
        values = {f":v{i}": value(v) for i, v in enumerate(fields.values())}
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key={"pk": value(batch_pk(job.tenant_id, job.batch_id)), "sk": value(job_sk(job.index))},
                UpdateExpression="SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(fields))),
                ConditionExpression="#st = :running AND attribute_not_exists(cancel_requested)",
                ExpressionAttributeNames={**names, "#st": "status"},
                ExpressionAttributeValues={**values, ":running": value(JobStatus.RUNNING.value)},
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    # ------------------------------------------------------------------ batch transitions
    def request_stop(self, tenant_id: str, batch_id: str) -> None:
        self._ddb.update_item(
            TableName=self._table,
            Key={"pk": value(batch_pk(tenant_id, batch_id)), "sk": value("BATCH")},
            UpdateExpression="SET stop_requested = :true",
            ConditionExpression="attribute_exists(pk)",  # never create a ghost batch item
            ExpressionAttributeValues={":true": value(True)},
        )

    def set_terminal(
        self, tenant_id: str, batch_id: str, status: BatchStatus, *, error: str | None = None
    ) -> BatchRecord | None:
        """Move an active batch to a terminal status. Exactly one caller ever gets the new
        record; the others get None."""
        names = {"#s": "status", "#o": OPEN_KEY}
        # Terminal but not announced: still open (the index keeps it until mark_announced).
        expr = "SET #s = :final, completed_at = :now, announced = :false, #o = :tenant"
        values = {
            ":tenant": value(tenant_id),
            ":final": value(status.value),
            ":now": value(now_iso()),
            ":q": _ACTIVE[0],
            ":r": _ACTIVE[1],
            ":false": value(False),
        }
        if error:
            expr += ", #e = :err"
            names["#e"] = "error"
            values[":err"] = value(error)
        try:
            result = self._ddb.update_item(
                TableName=self._table,
                Key={"pk": value(batch_pk(tenant_id, batch_id)), "sk": value("BATCH")},
                UpdateExpression=expr,
                ConditionExpression="#s IN (:q, :r)",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return None
            raise
        return _batch(result["Attributes"])

    def mark_announced(self, tenant_id: str, batch_id: str, for_round: int) -> None:
        """announced = true, and out of the open index in the same write, for the round whose
        end was announced. If a retry reopened the batch meanwhile, the newer round owns the
        flag: the write is skipped, so a late mark can never hide the newer round's own
        announcement (which the reconciler would otherwise not send again after a crash)."""
        # Batches from before retry rounds have no `round`: they are round 1.
        same_round = "(attribute_not_exists(#r) OR #r = :round)" if for_round == 1 else "#r = :round"
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key={"pk": value(batch_pk(tenant_id, batch_id)), "sk": value("BATCH")},
                UpdateExpression="SET announced = :true REMOVE #o",
                ConditionExpression=f"attribute_exists(pk) AND {same_round} AND NOT #s IN (:q, :r)",
                ExpressionAttributeNames={"#s": "status", "#r": "round", "#o": OPEN_KEY},
                ExpressionAttributeValues={
                    ":true": value(True),
                    ":round": value(for_round),
                    ":q": _ACTIVE[0],
                    ":r": _ACTIVE[1],
                },
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            logger.info("batch %s: round %s's announcement is not the latest; not marked", batch_id, for_round)

    def requeue_job(self, job: JobRecord) -> bool:
        """running -> queued with its counters, for a job whose run was lost (the reconciler);
        False if the job was not running any more."""
        items = [
            self._job_transition(job, JobStatus.RUNNING, JobStatus.QUEUED, {}),
            {
                "Update": {
                    **self._batch_key(job),
                    "UpdateExpression": "ADD running_jobs :minus, queued_jobs :one",
                    "ExpressionAttributeValues": {":minus": value(-1), ":one": value(1)},
                }
            },
        ]
        try:
            transact_write(self._ddb, items)
        except ClientError as exc:
            if cancellation_codes(exc)[:1] == ["ConditionalCheckFailed"]:
                return False
            raise
        return True

    def open_batches(self) -> Iterator[BatchRecord]:
        """Batches of every tenant still active, or terminal and not announced: a scan of the
        sparse `OpenBatches` index, which holds only those (until the one backfill of batches
        written before it is done, the filtered scan of the whole table that does it)."""
        ready = backfilled(self._ddb, self._table)
        for item in scan_index(self._ddb, self._table) if ready else scan_and_backfill(self._ddb, self._table):
            batch = _batch(item)
            if is_open(batch):
                yield batch
            else:
                untag_if_closed(self._ddb, self._table, item)

    def request_cancel(self, job: JobRecord) -> None:
        """Ask a running job to stop; it notices at its next progress write."""
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key={"pk": value(batch_pk(job.tenant_id, job.batch_id)), "sk": value(job_sk(job.index))},
                UpdateExpression="SET cancel_requested = :true",
                ConditionExpression="#s = :running",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":true": value(True), ":running": value(JobStatus.RUNNING.value)},
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise

    def reopen(self, batch: BatchRecord, jobs: list[JobRecord]) -> BatchRecord | None:
        """A retry round in transactions of at most 100 items: the first moves the batch from
        its terminal status to queued (round + 1) with its first jobs, later ones move further
        jobs, each with the counters they change. Nothing runs the round before it returns."""
        next_round = batch.round + 1
        first = True
        for start in range(0, len(jobs), _JOBS_PER_REOPEN):
            chunk = jobs[start : start + _JOBS_PER_REOPEN]
            items = [self._reopen_batch(batch, chunk, next_round, first), *map(self._reopen_job, chunk)]
            try:
                transact_write(self._ddb, items)
            except ClientError as exc:
                if first and cancellation_codes(exc)[:1] == ["ConditionalCheckFailed"]:
                    return None
                raise
            first = False
        return self.get_batch(batch.tenant_id, batch.batch_id)

    # ------------------------------------------------------------------ internals
    def _reopen_batch(self, batch: BatchRecord, jobs: list[JobRecord], next_round: int, first: bool) -> dict[str, Any]:
        failed = sum(1 for j in jobs if j.status is JobStatus.FAILED)
        values: dict[str, Any] = {
            ":n": value(len(jobs)),
            ":f": value(-failed),
            ":c": value(failed - len(jobs)),
            ":round": value(next_round),
        }
        adds = "ADD queued_jobs :n, failed_jobs :f, cancelled_jobs :c"
        if first:
            # Only from the terminal status the caller read: of two retries, one wins.
            # Queued again: open, so back in the open index (same write).
            update = (
                f"SET #s = :queued, #r = :round, stop_requested = :false, #o = :tenant REMOVE completed_at, #e {adds}"
            )
            condition = "#s = :was"
            values.update(
                {
                    ":queued": value(BatchStatus.QUEUED.value),
                    ":false": value(False),
                    ":was": value(batch.status.value),
                    ":tenant": value(batch.tenant_id),
                }
            )
            names = {"#s": "status", "#r": "round", "#e": "error", "#o": OPEN_KEY}
        else:
            update, condition, names = adds, "#r = :round", {"#r": "round"}
        return {
            "Update": {
                "TableName": self._table,
                "Key": {"pk": value(batch_pk(batch.tenant_id, batch.batch_id)), "sk": value("BATCH")},
                "UpdateExpression": update,
                "ConditionExpression": condition,
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
            }
        }

    def _reopen_job(self, job: JobRecord) -> dict[str, Any]:
        """Failed or cancelled -> queued, as it was before it first ran (its title stays)."""
        return {
            "Update": {
                "TableName": self._table,
                "Key": {"pk": value(batch_pk(job.tenant_id, job.batch_id)), "sk": value(job_sk(job.index))},
                "UpdateExpression": "SET #s = :queued, progress_percent = :zero, downloaded_bytes = :zero "
                "REMOVE #e, error_code, error_detail, started_at, completed_at, total_bytes, file_info, "
                "cancel_requested",
                "ConditionExpression": "#s = :was",
                "ExpressionAttributeNames": {"#s": "status", "#e": "error"},
                "ExpressionAttributeValues": {
                    ":queued": value(JobStatus.QUEUED.value),
                    ":zero": value(0),
                    ":was": value(job.status.value),
                },
            }
        }

    def _batch_key(self, job: JobRecord) -> dict[str, Any]:
        return {
            "TableName": self._table,
            "Key": {"pk": value(batch_pk(job.tenant_id, job.batch_id)), "sk": value("BATCH")},
        }

    def _job_transition(
        self, job: JobRecord, from_status: JobStatus, to_status: JobStatus, fields: dict[str, Any]
    ) -> dict[str, Any]:
        fields = {k: v for k, v in fields.items() if v is not None}
        sets = ["#s = :to"] + [f"#f{i} = :v{i}" for i in range(len(fields))]
        return {
            "Update": {
                "TableName": self._table,
                "Key": {"pk": value(batch_pk(job.tenant_id, job.batch_id)), "sk": value(job_sk(job.index))},
                "UpdateExpression": "SET " + ", ".join(sets),
                "ConditionExpression": "#s = :from",
                "ExpressionAttributeNames": {"#s": "status", **{f"#f{i}": k for i, k in enumerate(fields)}},
                "ExpressionAttributeValues": {
                    ":to": value(to_status.value),
                    ":from": value(from_status.value),
                    **{f":v{i}": value(v) for i, v in enumerate(fields.values())},
                },
            }
        }


def _batch(item: dict[str, Any]) -> BatchRecord:
    return BatchRecord.model_validate(from_item(item))


def _job(item: dict[str, Any]) -> JobRecord:
    return JobRecord.model_validate(from_item(item))
