"""ffmpeg/ffprobe as subprocesses, locked down for untrusted uploads: argument lists only, no
stdin, a timeout that kills, a protocol whitelist and a demuxer whitelist (so a crafted upload
cannot make ffmpeg open other URLs or local files: no HLS/DASH/concat playlists as input), and
stderr boiled down to one short reason.

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
from typing import Any

from mediabatch.processing.models import MediaToolFailed, NotPlayableMedia, ProbeResult

__all__ = ["FfmpegTools"]

PLAYLIST_NAME = "index.m3u8"
SEGMENT_PATTERN = "seg_%05d.ts"
_SEGMENT_NAME = re.compile(r"^seg_\d+\.ts$")

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
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_LOG_CONTEXT = re.compile(r"^(?:\[[^\]]* @ 0x[0-9a-fA-F]+\]\s*)+")
_URL_IN_TEXT = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://\S+")
_FORMAT_REFUSED = re.compile(r"\[([^\]\s@]+) @ 0x[0-9a-fA-F]+\] Format not on whitelist")
_NO_VIDEO_MAP = re.compile(r"Stream map '[^']*V[^']*' matches no streams")
# ffmpeg's closing lines that say nothing about the cause.
_NOISE = re.compile(r"^(Conversion failed!|Error opening (input|output) files?.*|Exiting normally.*)$")
# The input could not be fetched: not the upload's fault, worth a retry.
_IO_ERROR = re.compile(
    r"Server returned|Connection refused|Connection reset|Connection timed out|timed out|"
    r"Network is unreachable|No route to host|Failed to resolve|Name or service not known|"
    r"Input/output error|No such file or directory|Permission denied|No space left on device|"
    r"Protocol not found|not on whitelist",
    re.IGNORECASE,
)
# Processing failed because of what the upload contains.
_DATA_ERROR = re.compile(
    r"Invalid data found|moov atom not found|does not contain any stream|Error while decoding|"
    r"Decoding error|corrupt",
    re.IGNORECASE,
)
_STDERR_TAIL_BYTES = 16 * 1024
_MAX_REASON = 200


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
            reason = _reason(done.stderr, target, "ffprobe")
            if _IO_ERROR.search(reason) and not _FORMAT_REFUSED.search(done.stderr):
                raise MediaToolFailed(f"could not read the input: {reason}")
            raise NotPlayableMedia(f"not a playable video: {_user_reason(reason)}")
        try:
            info = json.loads(done.stdout or b"{}")
        except ValueError as exc:
            raise MediaToolFailed("ffprobe returned output that is not JSON") from exc
        if not isinstance(info, dict):
            raise MediaToolFailed("ffprobe returned unexpected output")
        return _probe_result(info)

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
            segments = _playlist_entries(work / PLAYLIST_NAME)
            if not segments:
                raise NotPlayableMedia("not a playable video: nothing to package")
            for name in segments:
                if not _SEGMENT_NAME.match(name) or not (work / name).is_file():
                    raise MediaToolFailed(f"ffmpeg wrote an unexpected playlist entry: {name[:80]!r}")
            return _publish(work, out_dir, segments)
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
    """Turn a failed ffmpeg run into NotPlayableMedia (the upload's content) or
    MediaToolFailed (anything else)."""
    if done.returncode == 0:
        return
    if _NO_VIDEO_MAP.search(done.stderr):
        raise NotPlayableMedia("not a playable video: no video stream")
    reason = _reason(done.stderr, target, "ffmpeg")
    if _FORMAT_REFUSED.search(done.stderr) or (_DATA_ERROR.search(reason) and not _IO_ERROR.search(reason)):
        raise NotPlayableMedia(f"not a playable video: {_user_reason(reason)}")
    if _IO_ERROR.search(reason):
        raise MediaToolFailed(f"could not read the input: {reason}")
    raise MediaToolFailed(f"ffmpeg failed: {reason}")


def _probe_result(info: dict[str, Any]) -> ProbeResult:
    streams = [s for s in info.get("streams") or [] if isinstance(s, dict)]
    fmt_raw = info.get("format")
    fmt: dict[str, Any] = fmt_raw if isinstance(fmt_raw, dict) else {}
    videos = [
        s for s in streams if s.get("codec_type") == "video" and not (s.get("disposition") or {}).get("attached_pic")
    ]
    if not videos:
        raise NotPlayableMedia("not a playable video: no video stream")
    video = videos[0]
    video_codec = _text(video.get("codec_name"))
    if video_codec is None:
        raise NotPlayableMedia("not a playable video: unknown video codec")
    audio_codec = next((_text(s.get("codec_name")) for s in streams if s.get("codec_type") == "audio"), None)
    reported = [_float(fmt.get("duration")), _float(video.get("duration"))]
    duration = next((d for d in reported if d is not None and d > 0), None)
    if duration is None and any(d is not None for d in reported):
        raise NotPlayableMedia("not a playable video: zero duration")
    rotation = _rotation(video)
    width, height = _positive_int(video.get("width")), _positive_int(video.get("height"))
    if rotation in (90, 270):
        width, height = height, width
    return ProbeResult(
        duration_seconds=duration,
        width=width,
        height=height,
        video_codec=video_codec,
        audio_codec=audio_codec,
        format_name=_text(fmt.get("format_name")),
        bit_rate=_positive_int(fmt.get("bit_rate")),
        rotation=rotation,
    )


def _rotation(stream: dict[str, Any]) -> int:
    """Display rotation from the display matrix (or the older `rotate` tag), as 0/90/180/270."""
    raw: Any = None
    for side_data in stream.get("side_data_list") or []:
        if isinstance(side_data, dict) and "rotation" in side_data:
            raw = side_data["rotation"]
            break
    if raw is None:
        raw = (stream.get("tags") or {}).get("rotate")
    value = _float(raw)
    if value is None:
        return 0
    return round(value / 90.0) * 90 % 360


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _positive_int(value: Any) -> int | None:
    number = _float(value)
    return int(number) if number is not None and number > 0 else None


def _reason(stderr: str, target: str, tool: str) -> str:
    """The last meaningful stderr line: no ANSI, no `[demuxer @ 0x..]` prefix, the input (a
    presigned URL carries credentials) and other URLs redacted, bounded length."""
    refused = _FORMAT_REFUSED.search(stderr)
    if refused:
        return f"unsupported file format ({refused.group(1)[:40]})"
    for raw in reversed(stderr.splitlines()):
        line = _CONTROL.sub("", _ANSI.sub("", raw)).strip()
        line = _LOG_CONTEXT.sub("", line)
        line = line.replace(target, "input").removeprefix("input: ").strip()
        if not line or _NOISE.match(line):
            continue
        line = _URL_IN_TEXT.sub("<url>", line)
        return line if len(line) <= _MAX_REASON else line[: _MAX_REASON - 1].rstrip() + "…"
    return f"{tool} failed without a message"


def _user_reason(reason: str) -> str:
    """`Invalid data found ...` -> `invalid data found ...` (acronyms like `HTTP` are kept)."""
    if len(reason) > 1 and reason[0].isupper() and reason[1].islower():
        return reason[0].lower() + reason[1:]
    return reason


def _playlist_entries(playlist: Path) -> list[str]:
    try:
        lines = playlist.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise MediaToolFailed("ffmpeg wrote no playlist") from exc
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _publish(work: Path, out_dir: Path, segments: list[str]) -> list[Path]:
    """Move the output into `out_dir`: old playlist out first, segments in, stale segments of an
    earlier run out, new playlist in last, so a reader never sees a playlist without its files."""
    out_dir.mkdir(parents=True, exist_ok=True)
    playlist = out_dir / PLAYLIST_NAME
    playlist.unlink(missing_ok=True)
    for name in segments:
        os.replace(work / name, out_dir / name)
    keep = set(segments)
    for old in out_dir.iterdir():
        if _SEGMENT_NAME.match(old.name) and old.name not in keep and old.is_file():
            old.unlink()
    os.replace(work / PLAYLIST_NAME, playlist)
    return [playlist, *(out_dir / name for name in segments)]
