"""The Content-Type a file is declared with at POST /init, guessed as the server guesses it, so
the type the presigned PUT is signed for matches what the server would store."""

from __future__ import annotations

import mimetypes
import os

__all__ = ["guess_video_type"]

_VIDEO_TYPES = {  # as the server guesses them (mediabatch.adapters.s3.media_bucket)
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
}


def guess_video_type(filename: str) -> str | None:
    """The Content-Type the server would guess for `filename`, if it is a video type."""
    suffix = os.path.splitext(filename)[1].lower()
    guessed = _VIDEO_TYPES.get(suffix) or mimetypes.guess_type(filename)[0]
    return guessed if guessed and guessed.startswith("video/") else None
