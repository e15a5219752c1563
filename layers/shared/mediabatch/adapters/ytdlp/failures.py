"""yt-dlp's error text mapped to the domain's failure codes (downloads/failures.py).

yt-dlp reports nearly everything as one DownloadError whose text carries the cause
("HTTP Error 404: Not Found", "[SSL: WRONG_VERSION_NUMBER]", "Unsupported URL: ..."), so the
mapping reads that text. Its advice for yt-dlp's own users ("please report this issue",
"yt-dlp -U", "--cookies") means nothing to users of this API and is cut from the detail."""

from __future__ import annotations

import re

from mediabatch.downloads.failures import FailureCode, JobFailure

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_CLI_ADVICE = [
    re.compile(r";?\s*please report this issue on\b.*$", re.IGNORECASE | re.DOTALL),
    re.compile(r"\s*Confirm you are on the latest version using\s+yt-dlp -U\.?", re.IGNORECASE),
    re.compile(r"\.?\s*Use --cookies\S*.*$", re.DOTALL),
    re.compile(r"\.?\s*Also see\s+https://github\.com/yt-dlp/\S*.*$", re.DOTALL),
]
_HTTP_ERROR = re.compile(r"HTTP Error (\d{3}):\s*([^()]*?)\s*(?:\(caused by|$)")
_GUARD = re.compile(r"((?:refusing to connect to|refusing to fetch from) .*?)(?:\s*\(caused by|$)")

# (pattern in the text, code, what to say in the message's `reason` blank), first match wins.
_BY_TEXT: list[tuple[re.Pattern[str], FailureCode, str]] = [
    (re.compile(r"DRM", re.IGNORECASE), FailureCode.DRM_PROTECTED, ""),
    (re.compile(r"\[SSL|SSLError|CERTIFICATE_VERIFY_FAILED|certificate verify", re.IGNORECASE), FailureCode.TLS, ""),
    (re.compile(r"timed out|TimeoutError", re.IGNORECASE), FailureCode.TIMEOUT, ""),
    (re.compile(r"Connection refused", re.IGNORECASE), FailureCode.NETWORK, "connection refused"),
    (
        re.compile(
            r"Name or service not known|nodename nor servname|getaddrinfo failed|Temporary failure in name "
            r"resolution|No address associated|cannot resolve host",
            re.IGNORECASE,
        ),
        FailureCode.NETWORK,
        "host name not found",
    ),
    (re.compile(r"Connection reset|Broken pipe", re.IGNORECASE), FailureCode.NETWORK, "connection reset"),
    (re.compile(r"Network is unreachable|No route to host", re.IGNORECASE), FailureCode.NETWORK, "unreachable"),
    (
        re.compile(r"Remote end closed|IncompleteRead|bytes read, \d+ more expected", re.IGNORECASE),
        FailureCode.NETWORK,
        "the connection closed early",
    ),
    (re.compile(r"Unsupported URL"), FailureCode.NO_MEDIA_FOUND, ""),
    (
        re.compile(r"No video formats found|no suitable formats|Requested format is not available"),
        FailureCode.NO_MEDIA_FOUND,
        "",
    ),
    (re.compile(r"Invalid data found when processing input|Postprocessing:"), FailureCode.NOT_MEDIA, ""),
    (
        re.compile(r"Sign in|login required|log in|private video|members-only|requires payment", re.IGNORECASE),
        FailureCode.FORBIDDEN,
        "the media needs a login",
    ),
    (
        re.compile(r"Video unavailable|is not available|has been removed|no longer available", re.IGNORECASE),
        FailureCode.NOT_FOUND,
        "the site says it is unavailable",
    ),
    (re.compile(r"Unable to extract|Unable to download JSON metadata"), FailureCode.UNSUPPORTED_SITE, ""),
]


def clean(message: str) -> str:
    """yt-dlp's text without colour codes, its `ERROR:` prefix and its advice to its CLI users."""
    text = _ANSI.sub("", message).strip().removeprefix("ERROR: ").strip()
    for advice in _CLI_ADVICE:
        text = advice.sub("", text).strip()
    return text.rstrip(";,. ") if text.endswith((";", ",")) else text


def failure_from_text(message: str) -> JobFailure:
    """The failure that yt-dlp's error `message` describes."""
    detail = clean(message)
    guard = _GUARD.search(detail)
    if guard:
        return JobFailure.of(FailureCode.REFUSED_ADDRESS, detail, reason=guard.group(1).rstrip(". "))
    http = _HTTP_ERROR.search(detail)
    if http:
        return _http_failure(int(http.group(1)), http.group(2).strip(), detail)
    for pattern, code, reason in _BY_TEXT:
        if pattern.search(detail):
            return JobFailure.of(code, detail, reason=reason) if reason else JobFailure.of(code, detail)
    return JobFailure.of(FailureCode.DOWNLOAD_FAILED, detail)


def failure_from_guard(message: str) -> JobFailure:
    """The SSRF policy's refusal of a URL (before yt-dlp saw it)."""
    if message.startswith("cannot resolve host"):
        return JobFailure.of(FailureCode.NETWORK, message, reason="host name not found")
    return JobFailure.of(FailureCode.REFUSED_ADDRESS, None, reason=message)


def _http_failure(status: int, reason_phrase: str, detail: str) -> JobFailure:
    answered = f"HTTP {status} {reason_phrase}".strip()
    if status in (404, 410):
        code = FailureCode.NOT_FOUND
    elif status in (401, 402, 403, 451):
        code = FailureCode.FORBIDDEN
    elif status >= 500:
        code = FailureCode.SERVER_ERROR
    else:
        code = FailureCode.HTTP_ERROR
    return JobFailure.of(code, detail, reason=answered)
