"""yt-dlp's error text (collected from real runs against local servers: see
tests/integration/test_ytdlp_failures.py) becomes a stable code and a message in the product's
words; yt-dlp's own text survives only as the detail, without its advice to CLI users."""

from __future__ import annotations

import pytest

from mediabatch.adapters.ytdlp.failures import clean, failure_from_guard, failure_from_text
from mediabatch.downloads.failures import FailureCode, JobFailure
from mediabatch.downloads.models import DownloadFailed

HTTP_404 = (
    "ERROR: [generic] x: Unable to download webpage: HTTP Error 404: Not Found (caused by <HTTPError 404: Not Found>)"
)
HTTP_403 = "[generic] 403: Unable to download webpage: HTTP Error 403: Forbidden (caused by <HTTPError 403: Forbidden>)"
HTTP_503 = (
    "[generic] ep: Unable to download webpage: HTTP Error 503: Service Unavailable "
    "(caused by <HTTPError 503: Service Unavailable>)"
)
UNSUPPORTED = "ERROR: Unsupported URL: http://127.0.0.1:44243/page.html"
TLS_TO_HTTP = (
    "ERROR: [generic] x: Unable to download webpage: [SSL: WRONG_VERSION_NUMBER] wrong version number "
    "(_ssl.c:1006) (caused by SSLError('[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)')); "
    "please report this issue on  https://github.com/yt-dlp/yt-dlp/issues?q= , filling out the appropriate "
    "issue template. Confirm you are on the latest version using  yt-dlp -U"
)
REFUSED_PORT = (
    "[generic] x: Unable to download webpage: [Errno 111] Connection refused "
    "(caused by TransportError('[Errno 111] Connection refused'))"
)
STALLED = "[generic] stall: Unable to download webpage: timed out (caused by TransportError('timed out'))"
NOT_MEDIA = "ERROR: Postprocessing: file:/tmp/tmpyfp_xkke/text.unknown_video: Invalid data found when processing input"
GUARD_ON_REDIRECT = (
    "[generic] x: Unable to download webpage: refusing to connect to 127.0.0.2: not a public address "
    "(caused by TransportError('refusing to connect to 127.0.0.2: not a public address'))"
)


@pytest.mark.parametrize(
    ("text", "code", "in_message"),
    [
        (HTTP_404, FailureCode.NOT_FOUND, "HTTP 404 Not Found"),
        (HTTP_403, FailureCode.FORBIDDEN, "HTTP 403 Forbidden"),
        (HTTP_503, FailureCode.SERVER_ERROR, "HTTP 503 Service Unavailable"),
        (UNSUPPORTED, FailureCode.NO_MEDIA_FOUND, "no video or audio was found"),
        (TLS_TO_HTTP, FailureCode.TLS, "use an http:// URL"),
        (REFUSED_PORT, FailureCode.NETWORK, "connection refused"),
        (STALLED, FailureCode.TIMEOUT, "stopped answering"),
        (NOT_MEDIA, FailureCode.NOT_MEDIA, "not audio or video"),
        (GUARD_ON_REDIRECT, FailureCode.REFUSED_ADDRESS, "refusing to connect to 127.0.0.2: not a public address"),
        ("[generic] x: something nobody foresaw", FailureCode.DOWNLOAD_FAILED, "the download failed"),
    ],
)
def test_yt_dlp_text_maps_to_a_code_and_a_message_in_our_words(text: str, code: FailureCode, in_message: str) -> None:
    failure = failure_from_text(text)

    assert failure.code is code
    assert in_message in failure.message
    assert "[generic]" not in failure.message and "yt-dlp" not in failure.message
    assert failure.detail is not None and failure.detail == clean(text)


def test_the_detail_keeps_the_cause_but_not_yt_dlps_advice_to_its_own_users() -> None:
    detail = failure_from_text(TLS_TO_HTTP).detail

    assert detail is not None and "WRONG_VERSION_NUMBER" in detail
    assert "please report" not in detail and "yt-dlp -U" not in detail and "github.com" not in detail
    assert not detail.startswith("ERROR") and not detail.endswith((";", ","))


def test_cookie_advice_is_cut_too() -> None:
    text = (
        "ERROR: [youtube] abc: Sign in to confirm you're not a bot. Use --cookies-from-browser or --cookies for "
        "the authentication. See  https://github.com/yt-dlp/yt-dlp/wiki/FAQ#how-do-i-pass-cookies-to-yt-dlp"
    )
    failure = failure_from_text(text)

    assert failure.code is FailureCode.FORBIDDEN
    assert failure.detail == "[youtube] abc: Sign in to confirm you're not a bot"


def test_a_guard_refusal_before_any_request_names_the_host() -> None:
    failure = failure_from_guard("refusing to connect to 127.0.0.1: not a public address")

    assert failure.code is FailureCode.REFUSED_ADDRESS
    assert failure.message == "refusing to connect to 127.0.0.1: not a public address"
    assert failure_from_guard("cannot resolve host nope.invalid").code is FailureCode.NETWORK


def test_a_bare_message_is_a_download_failure_with_that_message() -> None:
    failed = DownloadFailed("gone")

    assert str(failed) == "gone" and failed.failure == JobFailure(FailureCode.DOWNLOAD_FAILED, "gone")


def test_a_too_large_failure_names_the_limit() -> None:
    assert JobFailure.of(FailureCode.TOO_LARGE, limit=10_000).message == "file is larger than the limit of 10000 bytes"
