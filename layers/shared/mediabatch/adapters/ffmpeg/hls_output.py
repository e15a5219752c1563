"""The files of an HLS packaging run: the playlist's entries checked, then moved into place."""

from __future__ import annotations

import os
import re
from pathlib import Path

from mediabatch.processing.models import MediaToolFailed

PLAYLIST_NAME = "index.m3u8"
SEGMENT_PATTERN = "seg_%05d.ts"
SEGMENT_NAME = re.compile(r"^seg_\d+\.ts$")


def playlist_entries(playlist: Path) -> list[str]:
    try:
        lines = playlist.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise MediaToolFailed("ffmpeg wrote no playlist") from exc
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def publish(work: Path, out_dir: Path, segments: list[str]) -> list[Path]:
    """Move the output into `out_dir`: old playlist out first, segments in, stale segments of an
    earlier run out, new playlist in last, so a reader never sees a playlist without its files."""
    out_dir.mkdir(parents=True, exist_ok=True)
    playlist = out_dir / PLAYLIST_NAME
    playlist.unlink(missing_ok=True)
    for name in segments:
        os.replace(work / name, out_dir / name)
    keep = set(segments)
    for old in out_dir.iterdir():
        if SEGMENT_NAME.match(old.name) and old.name not in keep and old.is_file():
            old.unlink()
    os.replace(work / PLAYLIST_NAME, playlist)
    return [playlist, *(out_dir / name for name in segments)]
