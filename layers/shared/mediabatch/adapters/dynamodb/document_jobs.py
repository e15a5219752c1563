"""Document jobs in DynamoDB: `TENANT#t#DOCJOB#id` holds one `JOB` item and one `FILE#nnn` item
per file, so workers processing files in parallel never write the same item; a job is read
with one consistent Query. Also the catalog's document items (one per document, replaced on
re-ingest)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from mediabatch.adapters.dynamodb.codec import error_code, from_item, to_item, transact_write, value
from mediabatch.adapters.dynamodb.media_items import media_put_request
from mediabatch.catalog.models import MediaItem
from mediabatch.documents.models import DocumentFile, DocumentJob, FileProgress

_JOB_FIELDS = ("tenant_id", "job_id", "is_batch", "collection_name", "created_at", "submitted")


def job_pk(tenant_id: str, job_id: str) -> str:
    return f"TENANT#{tenant_id}#DOCJOB#{job_id}"


def file_sk(index: int) -> str:
    return f"FILE#{index:03d}"


class DocumentJobTable:
    def __init__(self, table_name: str, dynamodb: Any) -> None:
        self.table = table_name
        self._ddb = dynamodb

    def create(self, job: DocumentJob) -> None:
        pk = job_pk(job.tenant_id, job.job_id)
        head = {"pk": pk, "sk": "JOB", **job.model_dump(mode="json", include=set(_JOB_FIELDS))}
        items = [
            {"Put": {"TableName": self.table, "Item": to_item(head), "ConditionExpression": "attribute_not_exists(pk)"}}
        ]
        for f in job.files:
            items.append({"Put": {"TableName": self.table, "Item": to_item(_file_item(pk, f))}})
        transact_write(self._ddb, items)

    def get(self, tenant_id: str, job_id: str) -> DocumentJob | None:
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": value(job_pk(tenant_id, job_id))},
            "ConsistentRead": True,
        }
        rows: list[dict[str, Any]] = []
        while True:
            page = self._ddb.query(**kwargs)
            rows += [from_item(i) for i in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        head = next((r for r in rows if r["sk"] == "JOB"), None)
        if head is None:
            return None
        files = sorted((r for r in rows if r["sk"].startswith("FILE#")), key=lambda r: r["sk"])
        return DocumentJob.model_validate({**head, "files": files})

    def mark_submitted(self, tenant_id: str, job_id: str) -> bool:
        try:
            self._update(tenant_id, job_id, "JOB", "SET submitted = :t", {":t": True, ":f": False}, "submitted = :f")
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def mark_started(self, tenant_id: str, job_id: str, at: str) -> None:
        self._update(tenant_id, job_id, "JOB", "SET started_at = if_not_exists(started_at, :at)", {":at": at})

    def update_file(self, tenant_id: str, job_id: str, file: DocumentFile) -> None:
        pk = job_pk(tenant_id, job_id)
        self._ddb.put_item(TableName=self.table, Item=to_item(_file_item(pk, file)))

    def update_progress(self, tenant_id: str, job_id: str, index: int, progress: FileProgress) -> None:
        self._update(tenant_id, job_id, file_sk(index), "SET progress = :p", {":p": progress.model_dump(mode="json")})

    def finish(self, tenant_id: str, job_id: str, status: str, completed_at: str, error: str | None) -> None:
        expression = "SET final_status = :s, completed_at = :at" + (", #e = :e" if error else "")
        values: dict[str, Any] = {":s": status, ":at": completed_at, **({":e": error} if error else {})}
        try:
            self._update(
                tenant_id,
                job_id,
                "JOB",
                expression,
                values,
                "attribute_not_exists(final_status)",
                names={"#e": "error"} if error else None,
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":  # finished already: keep the first
                raise

    def _update(
        self,
        tenant_id: str,
        job_id: str,
        sk: str,
        expression: str,
        values: dict[str, Any],
        condition: str | None = None,
        names: dict[str, str] | None = None,
    ) -> None:
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "Key": {"pk": value(job_pk(tenant_id, job_id)), "sk": value(sk)},
            "UpdateExpression": expression,
            "ExpressionAttributeValues": {k: value(v) for k, v in values.items()},
        }
        if condition:
            kwargs["ConditionExpression"] = condition
        if names:
            kwargs["ExpressionAttributeNames"] = names
        self._ddb.update_item(**kwargs)


def _file_item(pk: str, file: DocumentFile) -> dict[str, Any]:
    return {"pk": pk, "sk": file_sk(file.index), **file.model_dump(mode="json")}


class DocumentMediaItems:
    """Catalog items of documents: one per document and collection, overwritten on re-ingest."""

    def __init__(self, table_name: str, dynamodb: Any) -> None:
        self.table = table_name
        self._ddb = dynamodb

    def put(self, item: MediaItem) -> None:
        request = media_put_request(self.table, item)["Put"]
        self._ddb.put_item(TableName=request["TableName"], Item=request["Item"])
