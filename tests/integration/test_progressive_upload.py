"""ProgressiveUpload against the emulated S3: parts go up while the file grows, survive the
downloader's final rename, and anything that does not match the finished file falls back."""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

from localcloud import LocalCloud
from mediabatch import container

PART = 5 * 2**20


def grow(path: Path, data: bytes, upload, step: int = 2**20) -> None:
    with path.open("wb") as fh:
        for offset in range(0, len(data), step):
            fh.write(data[offset : offset + step])
            fh.flush()
            upload.feed(path, offset + len(data[offset : offset + step]))


def stored(cloud: LocalCloud, key: str) -> bytes:
    return bytes(cloud.client("s3").get_object(Bucket=os.environ["MEDIA_BUCKET"], Key=key)["Body"].read())


def test_parts_sent_while_growing_complete_after_the_part_file_is_renamed(cloud: LocalCloud, tmp_path: Path) -> None:
    data = os.urandom(3 * PART + 12345)
    key = f"tests/progressive/{uuid.uuid4()}.mp4"
    upload = container.media_bucket().progressive_upload(key, "video/mp4")
    upload._part_size = PART  # small parts keep the test fast; S3's 5 MiB minimum still holds
    part_file = tmp_path / "video.mp4.part"
    grow(part_file, data, upload)
    final = part_file.rename(tmp_path / "video.mp4")  # what yt-dlp does at the end
    assert upload.finish(final) is True
    assert hashlib.sha256(stored(cloud, key)).digest() == hashlib.sha256(data).digest()


def test_a_file_replaced_after_parts_were_sent_falls_back(cloud: LocalCloud, tmp_path: Path) -> None:
    data = os.urandom(2 * PART + 1)
    key = f"tests/progressive/{uuid.uuid4()}.mp4"
    upload = container.media_bucket().progressive_upload(key, "video/mp4")
    upload._part_size = PART
    part_file = tmp_path / "a.part"
    grow(part_file, data, upload)
    other = tmp_path / "remuxed.mp4"  # a post-processor wrote a new file
    other.write_bytes(data)
    assert upload.finish(other) is False
    uploads = cloud.client("s3").list_multipart_uploads(Bucket=os.environ["MEDIA_BUCKET"]).get("Uploads", [])
    assert not [u for u in uploads if u["Key"] == key], "the multipart upload was not aborted"


def test_a_restarted_download_is_detected_and_falls_back(cloud: LocalCloud, tmp_path: Path) -> None:
    data = os.urandom(2 * PART + 7)
    key = f"tests/progressive/{uuid.uuid4()}.mp4"
    upload = container.media_bucket().progressive_upload(key, "video/mp4")
    upload._part_size = PART
    path = tmp_path / "b.part"
    grow(path, data, upload)
    upload.feed(path, 10)  # the downloader truncated the file and started over
    assert upload.finish(path) is False
