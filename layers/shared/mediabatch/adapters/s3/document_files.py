"""Uploaded documents in S3 (they are at most 50 MB each: whole objects in memory are fine)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError


class DocumentFiles:
    def __init__(self, bucket: str, s3: Any, *, presign_ttl_seconds: int = 3600) -> None:
        self._bucket = bucket
        self._s3 = s3
        self._ttl = presign_ttl_seconds

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=data, ContentType=content_type)

    def get(self, key: str) -> bytes:
        return bytes(self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read())

    def read_prefix(self, key: str, length: int) -> bytes:
        return bytes(self._s3.get_object(Bucket=self._bucket, Key=key, Range=f"bytes=0-{length - 1}")["Body"].read())

    def head(self, key: str) -> int | None:
        try:
            return int(self._s3.head_object(Bucket=self._bucket, Key=key)["ContentLength"])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def presign_put(self, key: str, *, content_type: str, content_length: int) -> str:
        """Signed over Content-Type and Content-Length: S3 refuses another size or type."""
        return str(
            self._s3.generate_presigned_url(
                "put_object",
                Params={
                    "Bucket": self._bucket,
                    "Key": key,
                    "ContentType": content_type,
                    "ContentLength": content_length,
                },
                ExpiresIn=self._ttl,
            )
        )
