"""ffmpeg/ffprobe as subprocesses, locked down for untrusted uploads: argument lists only, no
stdin, a timeout that kills, a protocol whitelist and a demuxer whitelist (so a crafted upload
cannot make ffmpeg open other URLs or local files: no HLS/DASH/concat playlists as input), and
stderr boiled down to one short reason (failures.py).

The source is an http(s) URL (a presigned S3 GET URL) or a local path; ffmpeg reads it directly,
with range requests, so an upload is never downloaded whole first."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mediabatch.adapters.ffmpeg.failures import ffmpeg_failure, probe_failure
from mediabatch.adapters.ffmpeg.hls_output import (
    PLAYLIST_NAME,
    SEGMENT_NAME,
    SEGMENT_PATTERN,
    playlist_entries,
    publish,
)
from mediabatch.adapters.ffmpeg.probe_json import probe_result
from mediabatch.processing.models import MediaToolFailed, NotPlayableMedia, ProbeResult

__all__ = ["FfmpegTools"]

# Protocols ffmpeg may open. No `file` for URLs: a URL input never needs a local file, and
# without it nothing the remote bytes say can make ffmpeg read one.
_URL_PROTOCOLS = "http,https,tcp,tls"
_FILE_PROTOCOLS = "file"
# Demuxers for single-file video containers. Playlist formats (hls, dash, concat, imf) are left
# out on purpose: they open further URLs named inside the upload (SSRF); image and audio-only
# formats are not videos.
_VIDEO_DEMUXERS = "mov,matroska,avi,flv,mpegts,mpeg,mpegvideo,asf,ogg,mxf,dv,h264,hevc,m4v,ivf,nut,rm"
# What HLS (MPEG-TS segments) carries as is; anything else is transcoded.
_HLS_VIDEO_CODECS = frozenset({"h264"})
_HLS_AUDIO_CODECS = frozenset({"aac", "mp3"})

_URL_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_STDERR_TAIL_BYTES = 16 * 1024


@dataclass(frozen=True)
class _Completed:
    returncode: int
    stdout: bytes
    stderr: str


class FfmpegTools:
    """The processing domain's MediaTools, with ffmpeg and ffprobe."""

    def __init__(self, ffmpeg: str = "ffmpeg", ffprobe: str = "ffprobe", timeout_seconds: float = 600.0) -> None:
        if timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be positive")
        self._ffmpeg = ffmpeg
        self._ffprobe = ffprobe
        self._timeout = timeout_seconds

    # ------------------------------------------------------------------------- probe
    def probe(self, source: str) -> ProbeResult:
        """Describe the first real video stream (cover art does not count) and audio stream.

        NotPlayableMedia when ffprobe cannot read the bytes as a video container, there is no
        video stream, or the duration is zero; MediaToolFailed when the input cannot be fetched
        (HTTP error, connection refused, missing file) or the tool fails or times out."""
        input_opts, target = _input(source)
        done = self._run(
            [
                self._ffprobe,
                "-hide_banner",
                "-loglevel",
                "error",
                *input_opts,
                "-print_format",
                "json",
                "-show_format",
                "-show_streams",
                "-i",
                target,
            ],
            capture_stdout=True,
        )
        if done.returncode != 0:
            raise probe_failure(done.stderr, target)
        try:
            info = json.loads(done.stdout or b"{}")
        except ValueError as exc:
            raise MediaToolFailed("ffprobe returned output that is not JSON") from exc
        if not isinstance(info, dict):
            raise MediaToolFailed("ffprobe returned unexpected output")
        return probe_result(info)

    # ------------------------------------------------------------------------- thumbnail
    def thumbnail(
        self,
        source: str,
        dest: Path,
        *,
        at_seconds: float | None = None,
        width: int = 640,
        probe: ProbeResult | None = None,
    ) -> Path:
        """Write one JPEG frame, `width` pixels wide (aspect kept), to `dest` and return it.

        Without `at_seconds` the frame is taken at 10% of the duration, at most 5 s in (past
        fade-ins, without reading far into a long upload); `probe` saves a second ffprobe run.
        `dest` appears whole or not at all (temporary file, then rename)."""
        if width < 1:
            raise ValueError("width must be at least 1")
        if at_seconds is not None and (at_seconds < 0 or not math.isfinite(at_seconds)):
            raise ValueError("at_seconds must be a finite number >= 0")
        input_opts, target = _input(source)
        if at_seconds is None:
            duration = (probe or self.probe(source)).duration_seconds
            at_seconds = min(duration * 0.1, 5.0) if duration else 0.0
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            done = self._run(
                [
                    self._ffmpeg,
                    "-nostdin",
                    "-hide_banner",
                    "-loglevel",
                    "error",
                    "-y",
                    *input_opts,
                    "-ss",
                    f"{at_seconds:.3f}",
                    "-i",
                    target,
                    "-map",
                    "0:V:0",
                    "-frames:v",
                    "1",
                    "-vf",
                    f"scale={width}:-2",
                    "-c:v",
                    "mjpeg",
                    "-q:v",
                    "3",
                    "-f",
                    "image2",
                    "-update",
                    "1",
                    "file:" + str(tmp.absolute()),
                ]
            )
            _raise_for(done, target)
            if tmp.stat().st_size == 0:
                raise NotPlayableMedia(f"not a playable video: no decodable frame at {at_seconds:g} s")
            os.chmod(tmp, 0o644)  # mkstemp makes it 0600; a thumbnail is not a secret
            os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)
        return dest

    # ------------------------------------------------------------------------- HLS
    def package_hls(
        self, source: str, out_dir: Path, *, segment_seconds: int = 6, probe: ProbeResult | None = None
    ) -> list[Path]:
        """Write `index.m3u8` and `seg_NNNNN.ts` segments into `out_dir`; return them, playlist
        first.

        Streams HLS can carry (h264 video, aac/mp3 audio, no rotation to apply) are copied;
        others are transcoded (libx264 veryfast, aac), with a keyframe at each segment boundary.
        The playlist names segments relatively, so the folder can be uploaded as it is. Output
        is made in a sibling temporary folder and moved in, playlist last; playlist and segments
        of an earlier run in `out_dir` are replaced."""
        if segment_seconds < 1:
            raise ValueError("segment_seconds must be at least 1")
        input_opts, target = _input(source)
        info = probe or self.probe(source)
        if info.video_codec in _HLS_VIDEO_CODECS and info.rotation == 0:
            video = ["-c:v", "copy"]
        else:
            video = [
                "-c:v",
                "libx264",
                "-preset",
                "veryfast",
                "-crf",
                "23",
                "-pix_fmt",
                "yuv420p",
                "-vf",
                "scale=trunc(iw/2)*2:trunc(ih/2)*2",
                "-force_key_frames",
                f"expr:gte(t,n_forced*{segment_seconds})",
            ]
        if info.audio_codec is None or info.audio_codec in _HLS_AUDIO_CODECS:
            audio = ["-c:a", "copy"]
        else:
            audio = ["-c:a", "aac", "-b:a", "128k"]
        out_dir = Path(out_dir)
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
        try:
            # Run inside the work folder with bare names: the playlist then references segments
            # by relative name, and no path character can be read as a pattern or protocol.
            done = self._run(
                [
                    self._ffmpeg,
                    "-nostdin",
                    "-hide_banner",
                    "-loglevel",
                    "error",
                    "-y",
                    *input_opts,
                    "-i",
                    target,
                    "-map",
                    "0:V:0",
                    "-map",
                    "0:a:0?",
                    *video,
                    *audio,
                    "-max_muxing_queue_size",
                    "4096",
                    "-f",
                    "hls",
                    "-hls_time",
                    str(segment_seconds),
                    "-hls_playlist_type",
                    "vod",
                    "-hls_list_size",
                    "0",
                    "-hls_segment_type",
                    "mpegts",
                    "-hls_segment_filename",
                    SEGMENT_PATTERN,
                    PLAYLIST_NAME,
                ],
                cwd=work,
            )
            _raise_for(done, target)
            segments = playlist_entries(work / PLAYLIST_NAME)
            if not segments:
                raise NotPlayableMedia("not a playable video: nothing to package")
            for name in segments:
                if not SEGMENT_NAME.match(name) or not (work / name).is_file():
                    raise MediaToolFailed(f"ffmpeg wrote an unexpected playlist entry: {name[:80]!r}")
            return publish(work, out_dir, segments)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    # ------------------------------------------------------------------------- internals
    def _run(self, argv: list[str], *, cwd: Path | None = None, capture_stdout: bool = False) -> _Completed:
        """Run a tool with no stdin and a hard timeout; stderr goes to a file and only its tail
        is kept, so a stream of decode errors cannot fill memory."""
        tool = Path(argv[0]).name or argv[0]
        with tempfile.TemporaryFile() as err:
            try:
                proc = subprocess.run(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE if capture_stdout else subprocess.DEVNULL,
                    stderr=err,
                    cwd=cwd,
                    timeout=self._timeout,
                    check=False,
                )
            except subprocess.TimeoutExpired as exc:  # run() has killed and reaped the child
                raise MediaToolFailed(f"{tool} timed out after {self._timeout:g} s") from exc
            except FileNotFoundError as exc:
                raise MediaToolFailed(f"{tool} not found: {argv[0]}") from exc
            except PermissionError as exc:
                raise MediaToolFailed(f"{tool} is not executable: {argv[0]}") from exc
            except OSError as exc:
                raise MediaToolFailed(f"{tool} could not be started: {exc.strerror or exc}") from exc
            size = err.seek(0, os.SEEK_END)
            err.seek(max(0, size - _STDERR_TAIL_BYTES))
            stderr = err.read().decode("utf-8", errors="replace")
        return _Completed(proc.returncode, proc.stdout or b"", stderr)


def _input(source: str) -> tuple[list[str], str]:
    """Input options and the input argument: http(s) URLs as they are, anything without a scheme
    as a local file (made absolute and `file:`-prefixed, so `-`, `a:b` or `%d` stay file names)."""
    if not source:
        raise ValueError("source is empty")
    match = _URL_SCHEME.match(source)
    if match:
        scheme = match.group(1).lower()
        if scheme not in ("http", "https"):
            raise ValueError(f"unsupported URL scheme {scheme!r}: expected http(s) or a local path")
        protocols, target = _URL_PROTOCOLS, scheme + source[len(match.group(1)) :]
    else:
        protocols, target = _FILE_PROTOCOLS, "file:" + str(Path(source).absolute())
    return ["-protocol_whitelist", protocols, "-format_whitelist", _VIDEO_DEMUXERS], target


def _raise_for(done: _Completed, target: str) -> None:
    if done.returncode != 0:
        raise ffmpeg_failure(done.stderr, target)
