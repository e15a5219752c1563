"""ffprobe's JSON (`-show_format -show_streams`) read defensively into a ProbeResult."""

from __future__ import annotations

import math
from typing import Any

from mediabatch.processing.models import NotPlayableMedia, ProbeResult


def probe_result(info: dict[str, Any]) -> ProbeResult:
    """The first real video stream (cover art does not count) and the first audio stream."""
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
