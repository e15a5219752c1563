"""ffmpeg/ffprobe stderr boiled down to one short reason, and what a failure means: the
upload's content (NotPlayableMedia) or anything else (MediaToolFailed, worth a retry)."""

from __future__ import annotations

import re

from mediabatch.processing.models import MediaToolFailed, NotPlayableMedia

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
_MAX_REASON = 200


def probe_failure(stderr: str, target: str) -> Exception:
    """What a failed ffprobe run means: an input that could not be fetched is not the upload's
    fault; anything else ffprobe refuses is not a playable video."""
    reason = _reason(stderr, target, "ffprobe")
    if _IO_ERROR.search(reason) and not _FORMAT_REFUSED.search(stderr):
        return MediaToolFailed(f"could not read the input: {reason}")
    return NotPlayableMedia(f"not a playable video: {_user_reason(reason)}")


def ffmpeg_failure(stderr: str, target: str) -> Exception:
    """What a failed ffmpeg run means: NotPlayableMedia (the upload's content) or
    MediaToolFailed (anything else)."""
    if _NO_VIDEO_MAP.search(stderr):
        return NotPlayableMedia("not a playable video: no video stream")
    reason = _reason(stderr, target, "ffmpeg")
    if _FORMAT_REFUSED.search(stderr) or (_DATA_ERROR.search(reason) and not _IO_ERROR.search(reason)):
        return NotPlayableMedia(f"not a playable video: {_user_reason(reason)}")
    if _IO_ERROR.search(reason):
        return MediaToolFailed(f"could not read the input: {reason}")
    return MediaToolFailed(f"ffmpeg failed: {reason}")


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
