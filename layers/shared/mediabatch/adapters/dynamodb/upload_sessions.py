"""Upload sessions and server-side chunk pieces in DynamoDB (partition `TENANT#t#UPLOAD#id`).
An open session is also in the `ByFolder` index (`gsi1pk = TENANT#t#UPLOADS`, `gsi1sk =
created_at#stamp#id`); completing it takes it out, so the index holds only uploads to resume."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from botocore.exceptions import ClientError

from mediabatch.adapters.dynamodb.codec import (
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
from mediabatch.catalog.models import MediaItem
from mediabatch.clock import iso, now_iso, utc_now
from mediabatch.uploads.models import UploadSession, UploadStatus

COMPOSE_LEASE_SECONDS = 120


def upload_pk(tenant_id: str, upload_id: str) -> str:
    return f"TENANT#{tenant_id}#UPLOAD#{upload_id}"


def uploads_index_pk(tenant_id: str) -> str:
    return f"TENANT#{tenant_id}#UPLOADS"


class UploadSessionTable:
    """Implements mediabatch.uploads.ports.UploadSessionRepository and PieceLedger: sessions
    and the pieces of their chunks share one partition per upload."""

    def __init__(self, table_name: str, dynamodb: Any) -> None:
        self._table = table_name
        self._ddb = dynamodb

    def create(self, session: UploadSession) -> None:
        item = to_item(
            {
                "pk": upload_pk(session.tenant_id, session.upload_id),
                "sk": "SESSION",
                "gsi1pk": uploads_index_pk(session.tenant_id),
                # created_at has whole seconds: the write time orders sessions opened within one.
                "gsi1sk": f"{session.created_at}#{time.time_ns():020d}#{session.upload_id}",
                **session.model_dump(mode="json"),
            }
        )
        put_new(self._ddb, self._table, item, marker="gsi1sk")  # a lost answer's re-send is no clash

    def get(self, tenant_id: str, upload_id: str) -> UploadSession | None:
        item = self._ddb.get_item(TableName=self._table, Key=self._key(tenant_id, upload_id), ConsistentRead=True).get(
            "Item"
        )
        return UploadSession.model_validate(from_item(item)) if item else None

    def list_open(
        self, tenant_id: str, *, now_epoch: int, limit: int, cursor: str | None
    ) -> tuple[list[UploadSession], str | None]:
        where = IndexFilter(
            "#s <> :completed AND expires_at_epoch > :now",
            {"#s": "status"},
            {":completed": value(UploadStatus.COMPLETED.value), ":now": value(now_epoch)},
        )
        items, next_cursor = newest_first(
            self._ddb, self._table, uploads_index_pk(tenant_id), limit=limit, cursor=cursor, where=where
        )
        return [UploadSession.model_validate(from_item(i)) for i in items], next_cursor

    def record_reconciliation(
        self,
        session: UploadSession,
        *,
        status: UploadStatus,
        completed_count: int,
        uploaded_bytes: int,
        failed_chunks: list[int],
    ) -> None:
        """What S3 showed, written unless the session completed meanwhile."""
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=self._key(session.tenant_id, session.upload_id),
                UpdateExpression="SET #s = :s, completed_count = :c, uploaded_bytes = :b, failed_chunks = :f, "
                "updated_at = :now",
                ConditionExpression="#s <> :completed",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={
                    ":s": value(status.value),
                    ":c": value(completed_count),
                    ":b": value(uploaded_bytes),
                    ":f": value(failed_chunks),
                    ":now": value(now_iso()),
                    ":completed": value(UploadStatus.COMPLETED.value),
                },
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise

    def mark_chunk_failed(self, session: UploadSession, index: int) -> None:
        """Atomic set add: concurrent failures never overwrite each other."""
        self._ddb.update_item(
            TableName=self._table,
            Key=self._key(session.tenant_id, session.upload_id),
            UpdateExpression="ADD assembly_failures :f SET updated_at = :now",
            ExpressionAttributeValues={":f": {"NS": [str(index)]}, ":now": value(now_iso())},
        )

    def complete_with_media(self, session: UploadSession, item: MediaItem) -> bool:
        """Session completed and its media item created together, once: False if another
        completion won."""
        try:
            transact_write(
                self._ddb,
                [
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": self._key(session.tenant_id, session.upload_id),
                            "UpdateExpression": "SET #s = :completed, media_id = :m, updated_at = :now, "
                            "completed_count = :c, uploaded_bytes = :b, failed_chunks = :none "
                            "REMOVE gsi1pk, gsi1sk",
                            "ConditionExpression": "#s <> :completed",
                            "ExpressionAttributeNames": {"#s": "status"},
                            "ExpressionAttributeValues": {
                                ":completed": value(UploadStatus.COMPLETED.value),
                                ":m": value(item.id),
                                ":now": value(now_iso()),
                                ":c": value(session.total_chunks),
                                ":b": value(session.size),
                                ":none": value([]),
                            },
                        }
                    },
                    media_put_request(self._table, item),
                ],
            )
        except ClientError as exc:
            if cancellation_codes(exc)[:1] == ["ConditionalCheckFailed"]:
                return False  # another completion won
            raise
        return True

    # ------------------------------------------------------------------ server-side pieces
    def add_piece(self, session: UploadSession, index: int, offset: int, length: int) -> dict[int, int]:
        """Record one received piece of a chunk; returns all pieces of that chunk {offset: length}.
        Usually one write: the update applies only to an existing chunk item (so it never creates
        one without its expiry); the first piece creates the item, and if another request
        created it first, the update is made after all."""
        key = {"pk": value(upload_pk(session.tenant_id, session.upload_id)), "sk": value(f"CHUNK#{index:05d}")}
        for _ in range(2):
            try:
                result = self._ddb.update_item(
                    TableName=self._table,
                    Key=key,
                    UpdateExpression="SET pieces.#o = :len, updated_at = :now",
                    ConditionExpression="attribute_exists(pieces)",
                    ExpressionAttributeNames={"#o": str(offset)},
                    ExpressionAttributeValues={":len": value(length), ":now": value(now_iso())},
                    ReturnValues="ALL_NEW",
                )
                pieces = from_item(result["Attributes"]).get("pieces", {})
                return {int(k): int(v) for k, v in pieces.items()}
            except ClientError as exc:
                if error_code(exc) != "ConditionalCheckFailedException":
                    raise
            try:
                self._ddb.put_item(
                    TableName=self._table,
                    Item=to_item(
                        {
                            "pk": upload_pk(session.tenant_id, session.upload_id),
                            "sk": f"CHUNK#{index:05d}",
                            "pieces": {str(offset): length},
                            "updated_at": now_iso(),
                            "expires_at_epoch": session.expires_at_epoch,
                        }
                    ),
                    ConditionExpression="attribute_not_exists(pk)",
                )
                return {offset: length}
            except ClientError as exc:
                if error_code(exc) != "ConditionalCheckFailedException":
                    raise
        raise RuntimeError(f"chunk {index} item kept changing while recording a piece")

    def claim_compose(self, session: UploadSession, index: int) -> bool:
        """One request at a time assembles a chunk from its pieces. The claim is a lease: if its
        holder died, the chunk can be assembled again after COMPOSE_LEASE_SECONDS."""
        now = utc_now()
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key={"pk": value(upload_pk(session.tenant_id, session.upload_id)), "sk": value(f"CHUNK#{index:05d}")},
                UpdateExpression="SET composing = :t",
                ConditionExpression="attribute_not_exists(composing) OR composing < :stale",
                ExpressionAttributeValues={
                    ":t": value(iso(now)),
                    ":stale": value(iso(now - timedelta(seconds=COMPOSE_LEASE_SECONDS))),
                },
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def reset_chunk(self, session: UploadSession, index: int) -> None:
        self._ddb.delete_item(
            TableName=self._table,
            Key={"pk": value(upload_pk(session.tenant_id, session.upload_id)), "sk": value(f"CHUNK#{index:05d}")},
        )

    def _key(self, tenant_id: str, upload_id: str) -> dict[str, Any]:
        return {"pk": value(upload_pk(tenant_id, upload_id)), "sk": value("SESSION")}
