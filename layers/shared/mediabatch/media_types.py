"""Content types from file names: pure, so the domain and the storage adapters share one table."""

from __future__ import annotations

import mimetypes

_TYPES = {
    ".mp4": "video/mp4",
    ".m4v": "video/x-m4v",
    ".mov": "video/quicktime",
    ".webm": "video/webm",
    ".mkv": "video/x-matroska",
    ".avi": "video/x-msvideo",
    ".mpg": "video/mpeg",
    ".mpeg": "video/mpeg",
    ".ts": "video/mp2t",
    ".m2ts": "video/mp2t",
    ".3gp": "video/3gpp",
    ".ogv": "video/ogg",
    ".flv": "video/x-flv",
    ".wmv": "video/x-ms-wmv",
    ".m3u8": "application/vnd.apple.mpegurl",
    ".jpg": "image/jpeg",
    ".vtt": "text/vtt",
    ".srt": "application/x-subrip",
    ".m4a": "audio/mp4",
    ".mp3": "audio/mpeg",
}


def guess_content_type(filename: str) -> str:
    """The media types this service deals in first (platforms' `mimetypes` tables differ on
    them), then the platform's guess, then `application/octet-stream`."""
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix in _TYPES:
        return _TYPES[suffix]
    guessed, _ = mimetypes.guess_type(filename)
    return guessed or "application/octet-stream"
