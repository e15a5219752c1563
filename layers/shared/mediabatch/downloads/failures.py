"""Why a job failed, in the product's words: a stable `code` clients can branch on, a `message`
that says what to do, and the source's own text (`detail`) kept apart for those who want it.

The downloader adapter decides which code a failure is (it knows its library's exceptions);
the wording lives here, so every adapter and every job fails alike."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FailureCode(StrEnum):
    NOT_FOUND = "not_found"  # HTTP 404/410
    FORBIDDEN = "forbidden"  # HTTP 401/403, login or payment required
    SERVER_ERROR = "server_error"  # HTTP 5xx
    HTTP_ERROR = "http_error"  # any other HTTP error status
    NO_MEDIA_FOUND = "no_media_found"  # a page that holds no video or audio we can read
    UNSUPPORTED_SITE = "unsupported_site"  # a site whose extractor refuses the URL
    NOT_MEDIA = "not_media"  # the file is not audio or video
    DRM_PROTECTED = "drm_protected"
    PLAYLIST = "playlist"
    LIVE_STREAM = "live_stream"
    UNSUPPORTED_PROTOCOL = "unsupported_protocol"
    NETWORK = "network"  # refused, reset, unreachable, name not found
    TLS = "tls"  # https to a server that does not speak it, bad certificate
    TIMEOUT = "timeout"  # the server stalled, or the job ran past its time limit
    TOO_LARGE = "too_large"
    REFUSED_ADDRESS = "refused_address"  # the SSRF guard: not a public address
    CANCELLED = "cancelled"
    NOT_STARTED = "not_started"  # the batch was stopped or cancelled first
    CRASHED = "crashed"  # the download function itself died (time, memory)
    INTERNAL = "internal"
    DOWNLOAD_FAILED = "download_failed"  # none of the above: see `detail`


# What each code means for the user, and what they can do about it.
_MESSAGES: dict[FailureCode, str] = {
    FailureCode.NOT_FOUND: "nothing is at this URL ({reason}); check the URL",
    FailureCode.FORBIDDEN: "the site refused access ({reason}); the media may be "
    "private, need a login, or be blocked for this service",
    FailureCode.SERVER_ERROR: "the site's server failed ({reason}); retry the batch later",
    FailureCode.HTTP_ERROR: "the site answered {reason}; check the URL",
    FailureCode.NO_MEDIA_FOUND: "no video or audio was found at this URL; link to the media file or to a "
    "page that embeds a player",
    FailureCode.UNSUPPORTED_SITE: "this site's pages cannot be read; link to the media file itself",
    FailureCode.NOT_MEDIA: "the file at this URL is not audio or video",
    FailureCode.DRM_PROTECTED: "this media is DRM-protected and cannot be downloaded",
    FailureCode.PLAYLIST: "this URL is a playlist; submit its entries as separate URLs "
    "(or send it to POST /jobs, which downloads every episode as a show batch)",
    FailureCode.LIVE_STREAM: "live streams are not supported; submit a recorded video",
    FailureCode.UNSUPPORTED_PROTOCOL: "this media is delivered over a protocol that is not supported",
    FailureCode.NETWORK: "could not reach the site ({reason}); check the host name and port, or retry later",
    FailureCode.TLS: "a secure (https) connection to the site failed; if the server only speaks http, "
    "use an http:// URL",
    FailureCode.TIMEOUT: "the site stopped answering in time; retry the batch later",
    FailureCode.TOO_LARGE: "file is larger than the limit of {limit} bytes",
    FailureCode.REFUSED_ADDRESS: "{reason}",
    FailureCode.CANCELLED: "cancelled",
    FailureCode.NOT_STARTED: "not started: the batch was stopped or cancelled",
    FailureCode.CRASHED: "the download stopped unexpectedly ({reason}); retry the batch",
    FailureCode.INTERNAL: "internal error (logged); please retry",
    FailureCode.DOWNLOAD_FAILED: "the download failed; see error_detail",
}


@dataclass(frozen=True)
class JobFailure:
    """How a job failed: `message` for people, `code` for programs, `detail` (the source's own
    words, if any) for whoever needs to dig."""

    code: FailureCode
    message: str
    detail: str | None = None

    @classmethod
    def of(cls, code: FailureCode, detail: str | None = None, **params: object) -> JobFailure:
        """The failure with its product message; `params` fill the message's blanks
        (`reason`, `limit`)."""
        return cls(code, _MESSAGES[code].format_map(_Blanks(params)), detail or None)

    @classmethod
    def with_message(cls, code: FailureCode, message: str, detail: str | None = None) -> JobFailure:
        """A failure whose message the caller words itself (a timeout with its budget)."""
        return cls(code, message, detail or None)


class _Blanks(dict[str, object]):
    """Message parameters; a blank nobody filled reads as a neutral phrase, never as a KeyError."""

    def __missing__(self, key: str) -> str:
        return {"reason": "no reason given", "limit": "the size"}.get(key, "?")
