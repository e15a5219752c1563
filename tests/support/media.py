"""Quickly generated media fixtures (ffmpeg lavfi test sources) and sized files."""

from __future__ import annotations

import fcntl
import json
import os
import random
import shutil
import subprocess
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

__all__ = [
    "FFMPEG",
    "FFPROBE",
    "PAGE_TITLE",
    "MediaSet",
    "ffprobe",
    "make_media",
    "make_sized_file",
]

FFMPEG = shutil.which("ffmpeg") or "/usr/bin/ffmpeg"
FFPROBE = shutil.which("ffprobe") or "/usr/bin/ffprobe"

PAGE_TITLE = "Page Video"
_BLOCK = 1024 * 1024
_MANIFEST = ".mediaset.json"
_VERSION = 1
_LAVFI_VIDEO = "size=320x240:rate=25"
_AUDIO = ["-c:a", "aac", "-b:a", "64k", "-ac", "1", "-ar", "44100"]
_GOP = ["-g", "25", "-keyint_min", "25"]  # 1 s keyframes -> clean 1 s HLS segments


@dataclass(frozen=True)
class MediaSet:
    """Paths of a generated media set (all under `root`)."""

    root: Path
    clip: Path  # clip.mp4: ~2 s testsrc + 440 Hz sine
    clip2: Path  # clip2.mp4: ~2 s testsrc2 + 880 Hz sine (different bytes)
    hls_playlist: Path  # hls/index.m3u8: ~3 s, 1 s segments
    hls_segments: tuple[Path, ...]  # hls/seg000.ts ...
    page: Path  # page.html: <title>Page Video</title> + <video src="clip2.mp4">

    @property
    def hls_dir(self) -> Path:
        """Directory holding the HLS playlist and segments."""
        return self.hls_playlist.parent

    def all_files(self) -> list[Path]:
        """Every generated file."""
        return [self.clip, self.clip2, self.hls_playlist, *self.hls_segments, self.page]


_cache: dict[Path, MediaSet] = {}
_cache_lock = threading.Lock()


def make_media(dir: Path) -> MediaSet:
    """Create (or reuse) the media set in `dir`; regenerates only what is missing.

    Cached per directory in-process; an flock makes concurrent processes
    (e.g. pytest-xdist workers) sharing `dir` safe.
    """
    root = Path(dir).resolve()
    with _cache_lock:
        cached = _cache.get(root)
        if cached is not None and _complete(cached):
            return cached
        root.mkdir(parents=True, exist_ok=True)
        with _flock(root / ".mediaset.lock"):
            media = _load_manifest(root)
            if media is None or not _complete(media):
                media = _generate(root)
        _cache[root] = media
        return media


def make_sized_file(path: Path, size_bytes: int, seed: int = 0) -> Path:
    """Write exactly `size_bytes` of deterministic pseudo-random bytes to `path`.

    Same (size, seed) gives the same content. Written in 1 MiB blocks, never held whole.
    """
    if size_bytes < 0:
        raise ValueError("size_bytes must be >= 0")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    remaining = size_bytes
    with open(path, "wb") as fh:
        while remaining > 0:
            n = min(_BLOCK, remaining)
            fh.write(rng.randbytes(n))
            remaining -= n
    return path


def ffprobe(path: Path) -> dict[str, Any]:
    """`ffprobe -show_format -show_streams` of `path` as parsed JSON."""
    out = subprocess.run(
        [FFPROBE, "-v", "error", "-print_format", "json",
         "-show_format", "-show_streams", str(path)],
        check=True, capture_output=True, timeout=30,
    ).stdout  # fmt: skip
    result: dict[str, Any] = json.loads(out)
    return result


# -- internals -----------------------------------------------------------------------


def _layout(root: Path, segments: Sequence[str]) -> MediaSet:
    hls = root / "hls"
    return MediaSet(
        root=root,
        clip=root / "clip.mp4",
        clip2=root / "clip2.mp4",
        hls_playlist=hls / "index.m3u8",
        hls_segments=tuple(hls / name for name in segments),
        page=root / "page.html",
    )


def _complete(media: MediaSet) -> bool:
    return bool(media.hls_segments) and all(p.is_file() and p.stat().st_size > 0 for p in media.all_files())


def _load_manifest(root: Path) -> MediaSet | None:
    try:
        data = json.loads((root / _MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("version") != _VERSION:
        return None
    return _layout(root, [str(s) for s in data.get("segments", [])])


@contextmanager
def _flock(lock_path: Path) -> Iterator[None]:
    with open(lock_path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _ffmpeg(*args: str) -> None:
    cmd = [FFMPEG, "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *args]
    proc = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        raise RuntimeError(f"ffmpeg failed ({proc.returncode}): {cmd}\n{proc.stderr}")


@cache
def _encode_args() -> tuple[str, ...]:
    """libx264 ultrafast if this ffmpeg has it, else the built-in mpeg4 encoder."""
    listing = subprocess.run(
        [FFMPEG, "-hide_banner", "-encoders"],
        check=False, capture_output=True, text=True, timeout=30,
    ).stdout  # fmt: skip
    if " libx264 " in listing:
        video = ["-c:v", "libx264", "-preset", "ultrafast", "-sc_threshold", "0"]
    else:
        video = ["-c:v", "mpeg4", "-q:v", "5"]
    return (*video, "-pix_fmt", "yuv420p", *_GOP, *_AUDIO)


def _lavfi_inputs(video: str, freq: int, seconds: float) -> list[str]:
    return [
        "-f", "lavfi", "-i", f"{video}={_LAVFI_VIDEO}:duration={seconds}",
        "-f", "lavfi", "-i", f"sine=frequency={freq}:duration={seconds}",
    ]  # fmt: skip


def _make_mp4(dest: Path, video: str, freq: int, seconds: float) -> None:
    if dest.is_file() and dest.stat().st_size > 0:
        return
    tmp = dest.with_name(f".{dest.stem}.{os.getpid()}.tmp.mp4")
    _ffmpeg(
        *_lavfi_inputs(video, freq, seconds),
        *_encode_args(), "-movflags", "+faststart", "-shortest", str(tmp),
    )  # fmt: skip
    tmp.replace(dest)


def _make_hls(hls_dir: Path) -> list[str]:
    names = _playlist_segments(hls_dir / "index.m3u8")
    if names and all((hls_dir / n).is_file() for n in names):
        return names
    tmp = hls_dir.with_name(f".hls.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    _ffmpeg(
        *_lavfi_inputs("testsrc", 660, 3),
        *_encode_args(),
        "-f", "hls", "-hls_time", "1", "-hls_list_size", "0",
        "-hls_playlist_type", "vod",
        "-hls_segment_filename", str(tmp / "seg%03d.ts"),
        str(tmp / "index.m3u8"),
    )  # fmt: skip
    shutil.rmtree(hls_dir, ignore_errors=True)
    tmp.rename(hls_dir)
    return _playlist_segments(hls_dir / "index.m3u8")


def _playlist_segments(playlist: Path) -> list[str]:
    try:
        lines = playlist.read_text().splitlines()
    except OSError:
        return []
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]


def _page_html() -> str:
    return (
        f"<!DOCTYPE html>\n<html><head><title>{PAGE_TITLE}</title></head><body>"
        '<video src="clip2.mp4" controls width="320" height="240"></video>'
        "</body></html>\n"
    )


def _generate(root: Path) -> MediaSet:
    _make_mp4(root / "clip.mp4", "testsrc", 440, 2)
    _make_mp4(root / "clip2.mp4", "testsrc2", 880, 2)
    segments = _make_hls(root / "hls")
    page = root / "page.html"
    tmp_page = root / f".page.{os.getpid()}.tmp"
    tmp_page.write_text(_page_html(), encoding="utf-8")
    tmp_page.replace(page)
    media = _layout(root, segments)
    manifest = {"version": _VERSION, "segments": segments}
    (root / _MANIFEST).write_text(json.dumps(manifest))
    return media
