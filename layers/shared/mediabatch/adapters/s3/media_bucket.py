"""Media objects in S3: streamed uploads (constant memory) and time-limited download links."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from boto3.s3.transfer import TransferConfig
from botocore.exceptions import BotoCoreError, ClientError

from mediabatch.adapters.s3.progressive_upload import ProgressiveUpload
from mediabatch.adapters.s3.signed_urls import SignedUrls
from mediabatch.errors import Conflict
from mediabatch.media_types import guess_content_type

# 16 MiB parts x 4 threads: bounded memory whatever the file size (bench/download_memory.py).
_TRANSFER = TransferConfig(
    multipart_threshold=16 * 2**20, multipart_chunksize=16 * 2**20, max_concurrency=4, use_threads=True
)


class MediaBucket:
    def __init__(self, bucket: str, s3: Any, *, presign_ttl_seconds: int = 3600) -> None:
        self._bucket = bucket
        self._s3 = s3
        self._presign_ttl = presign_ttl_seconds
        self._signed = SignedUrls()

    def upload_file(self, path: Path, key: str, content_type: str) -> int:
        self._s3.upload_file(str(path), self._bucket, key, ExtraArgs={"ContentType": content_type}, Config=_TRANSFER)
        return path.stat().st_size

    # ------------------------------------------------------------------ direct uploads (presigned)
    def presign_put(self, key: str, *, content_type: str, content_length: int, ttl_seconds: int) -> str:
        """A PUT URL whose signature covers Content-Type and Content-Length: S3 refuses a body
        of another size or type (SigV4 signed headers)."""
        return str(
            self._s3.generate_presigned_url(
                "put_object",
                Params={
                    "Bucket": self._bucket,
                    "Key": key,
                    "ContentType": content_type,
                    "ContentLength": content_length,
                },
                ExpiresIn=ttl_seconds,
            )
        )

    def presign_upload_part(
        self, key: str, upload_id: str, part_number: int, *, content_length: int, ttl_seconds: int
    ) -> str:
        return str(
            self._s3.generate_presigned_url(
                "upload_part",
                Params={
                    "Bucket": self._bucket,
                    "Key": key,
                    "UploadId": upload_id,
                    "PartNumber": part_number,
                    "ContentLength": content_length,
                },
                ExpiresIn=ttl_seconds,
            )
        )

    def create_multipart_upload(self, key: str, content_type: str) -> str:
        return str(self._s3.create_multipart_upload(Bucket=self._bucket, Key=key, ContentType=content_type)["UploadId"])

    def list_parts(self, key: str, upload_id: str) -> dict[int, tuple[int, str]] | None:
        """{part number: (size, etag)} of an open multipart upload; None if it does not exist."""
        parts: dict[int, tuple[int, str]] = {}
        kwargs: dict[str, Any] = {"Bucket": self._bucket, "Key": key, "UploadId": upload_id, "MaxParts": 1000}
        while True:
            try:
                page = self._s3.list_parts(**kwargs)
            except self._s3.exceptions.NoSuchUpload:
                return None
            for part in page.get("Parts", []):
                number, entry = int(part["PartNumber"]), (int(part["Size"]), str(part["ETag"]))
                # S3 lists a part number once. SeaweedFS (the local cloud's S3) keeps a replaced
                # part's old entry too; a presigned part PUT cannot change the size, so the
                # larger entry is the part that replaced a short one.
                parts[number] = max(entry, parts.get(number, entry))
            if not page.get("IsTruncated"):
                return parts
            kwargs["PartNumberMarker"] = page["NextPartNumberMarker"]

    def upload_part(self, key: str, upload_id: str, part_number: int, body: bytes) -> str:
        return str(
            self._s3.upload_part(Bucket=self._bucket, Key=key, UploadId=upload_id, PartNumber=part_number, Body=body)[
                "ETag"
            ]
        )

    def complete_multipart_upload(self, key: str, upload_id: str, parts: dict[int, str]) -> bool:
        """False if the multipart upload no longer exists (completed by someone else, or aborted)."""
        try:
            self._s3.complete_multipart_upload(
                Bucket=self._bucket,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={"Parts": [{"PartNumber": n, "ETag": parts[n]} for n in sorted(parts)]},
            )
        except self._s3.exceptions.NoSuchUpload:
            return False
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("InvalidPart", "EntityTooSmall", "InvalidPartOrder"):
                # A part was replaced between listing and completing (a client still retrying).
                raise Conflict(
                    "a part changed while the upload was being completed; complete again", code="parts_changed"
                ) from exc
            raise
        return True

    def abort_multipart_upload(self, key: str, upload_id: str) -> None:
        with contextlib.suppress(self._s3.exceptions.NoSuchUpload):
            self._s3.abort_multipart_upload(Bucket=self._bucket, Key=key, UploadId=upload_id)

    def head(self, key: str) -> tuple[int, str] | None:
        """(size, content type) of an object, or None if there is none."""
        try:
            meta = self._s3.head_object(Bucket=self._bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return int(meta["ContentLength"]), str(meta.get("ContentType", ""))

    def copy(self, source_key: str, key: str) -> None:
        """Server-side copy within the bucket (objects up to 5 GB), keeping type and metadata."""
        self._s3.copy_object(
            Bucket=self._bucket,
            Key=key,
            CopySource={"Bucket": self._bucket, "Key": source_key},
            MetadataDirective="COPY",
        )

    def put_bytes(self, key: str, body: bytes, content_type: str = "application/octet-stream") -> None:
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType=content_type)

    def get_bytes(self, key: str) -> bytes:
        return bytes(self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read())

    def delete(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):
            chunk = keys[start : start + 1000]
            if chunk:
                self._s3.delete_objects(
                    Bucket=self._bucket, Delete={"Objects": [{"Key": k} for k in chunk], "Quiet": True}
                )

    def list_keys(self, prefix: str) -> list[str]:
        keys: list[str] = []
        for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=self._bucket, Prefix=prefix):
            keys.extend(obj["Key"] for obj in page.get("Contents", []))
        return keys

    def upload_dir(self, local_dir: Path, prefix: str) -> list[str]:
        keys = []
        for path in sorted(p for p in local_dir.rglob("*") if p.is_file()):
            key = f"{prefix}/{path.relative_to(local_dir).as_posix()}"
            self.upload_file(path, key, guess_content_type(path.name))
            keys.append(key)
        return keys

    # ------------------------------------------------------------------ downloads
    def progressive_upload(self, key: str, content_type: str) -> ProgressiveUpload:
        return ProgressiveUpload(self._s3, self._bucket, key, content_type)

    def download_url(self, key: str, filename: str, ttl_seconds: int | None = None) -> str:
        """A presigned GET that downloads as `filename`; one signed in the last few minutes is
        handed out again (signed_urls.py)."""
        ttl = ttl_seconds or self._presign_ttl
        # RFC 6266: an ASCII fallback plus the exact UTF-8 name.
        ascii_name = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in filename) or "download"
        disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"
        params = {"Bucket": self._bucket, "Key": key, "ResponseContentDisposition": disposition}
        return self._signed.get(
            (key, disposition, ttl),
            ttl,
            lambda: str(self._s3.generate_presigned_url("get_object", Params=params, ExpiresIn=ttl)),
        )

    # ------------------------------------------------------------------ copy and delete (operations)
    def copy_object(self, source_key: str, key: str, size: int) -> None:
        """Server-side copy of any size (one CopyObject up to 5 GB, UploadPartCopy above) to a
        key that must be free: an existing object is never overwritten. Up to 5 GB that is the
        copy's own condition (`If-None-Match: *`, one request, no window between a check and
        the write); above, a check before the multipart copy."""
        if size <= SINGLE_COPY_LIMIT:
            try:
                self._s3.copy_object(
                    Bucket=self._bucket,
                    Key=key,
                    CopySource={"Bucket": self._bucket, "Key": source_key},
                    MetadataDirective="COPY",
                    IfNoneMatch="*",
                )
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("PreconditionFailed", "412"):
                    raise Conflict(f"{key} already exists; not overwritten", code="copy_target_exists") from exc
                raise
            return
        if self.head(key) is not None:
            raise Conflict(f"{key} already exists; not overwritten", code="copy_target_exists")
        head = self._s3.head_object(Bucket=self._bucket, Key=source_key)
        upload_id = self._s3.create_multipart_upload(
            Bucket=self._bucket,
            Key=key,
            ContentType=head.get("ContentType", "application/octet-stream"),
            Metadata=head.get("Metadata", {}),
        )["UploadId"]
        try:
            parts = [
                {"PartNumber": number, "ETag": self._copy_part(source_key, key, upload_id, number, first, last)}
                for number, first, last in copy_ranges(size, COPY_PART_SIZE)
            ]
            self._s3.complete_multipart_upload(
                Bucket=self._bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
        except BaseException:
            self.abort_multipart_upload(key, upload_id)
            raise

    def _copy_part(self, source_key: str, key: str, upload_id: str, number: int, first: int, last: int) -> str:
        answer = self._s3.upload_part_copy(
            Bucket=self._bucket,
            Key=key,
            UploadId=upload_id,
            PartNumber=number,
            CopySource={"Bucket": self._bucket, "Key": source_key},
            CopySourceRange=f"bytes={first}-{last}",
        )
        return str(answer["CopyPartResult"]["ETag"])

    def delete_keys(self, keys: Sequence[str]) -> dict[str, str]:
        """DeleteObjects, 1000 keys a call; the keys not deleted, with S3's reason (a call that
        fails fails its keys). A key that does not exist counts as deleted, as in S3."""
        failed: dict[str, str] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), 1000):
            chunk = unique[start : start + 1000]
            try:
                answer = self._s3.delete_objects(
                    Bucket=self._bucket, Delete={"Objects": [{"Key": k} for k in chunk], "Quiet": True}
                )
            except (BotoCoreError, ClientError) as exc:
                failed.update(dict.fromkeys(chunk, f"{type(exc).__name__}: {exc}"))
                continue
            for error in answer.get("Errors", []):
                failed[str(error.get("Key"))] = f"{error.get('Code')}: {error.get('Message', '')}"
        return failed

    def delete_prefix(self, prefix: str) -> int:
        keys = self.list_keys(prefix)
        self.delete(keys)
        return len(keys)


SINGLE_COPY_LIMIT = 5 * 2**30  # CopyObject's maximum object size
COPY_PART_SIZE = 512 * 2**20  # 5 TB objects stay under 10,000 parts


def copy_ranges(size: int, part_size: int = COPY_PART_SIZE) -> list[tuple[int, int, int]]:
    """(part number, first byte, last byte) covering `size` bytes in parts of `part_size`."""
    return [(i // part_size + 1, i, min(i + part_size, size) - 1) for i in range(0, size, part_size)]
