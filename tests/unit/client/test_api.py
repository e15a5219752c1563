"""The API's envelope and one call's retries, against a session that answers from a script."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from mediabatch_client.api import call_api, data_of, init_body, retry_page
from mediabatch_client.errors import UploadError


def answer(status: int, body: Any) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = (body if isinstance(body, str) else json.dumps(body)).encode()
    response.encoding = "utf-8"
    return response


class ApiHttp:
    """Answers `request` from a script of Responses and exceptions; records (method, url, kwargs)."""

    def __init__(self, *outcomes: requests.Response | Exception) -> None:
        self.outcomes = list(outcomes)
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        self.calls.append((method, url, kwargs))
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def call(http: ApiHttp, *, attempts: int = 4, delays: list[int] | None = None) -> Any:
    waits = delays if delays is not None else []

    def delay(attempt: int) -> float:
        waits.append(attempt)
        return 0.0

    return call_api(
        http,  # type: ignore[arg-type]
        "http://api.test",
        "key-123",
        "GET",
        "/progress/up-1",
        timeout=5.0,
        attempts=attempts,
        delay=delay,
    )


def test_a_success_gives_the_envelopes_data_and_sends_the_key_to_the_api() -> None:
    http = ApiHttp(answer(200, {"success": True, "data": {"uploadId": "up-1"}}))
    assert call(http) == {"uploadId": "up-1"}
    ((method, url, kwargs),) = http.calls
    assert (method, url) == ("GET", "http://api.test/api/v1/videos/batch/progress/up-1")
    assert kwargs["headers"]["X-API-Key"] == "key-123" and kwargs["timeout"] == 5.0


def test_a_503_and_a_dropped_connection_are_retried_with_growing_delays() -> None:
    delays: list[int] = []
    http = ApiHttp(
        answer(503, {"success": False, "error": {"code": "unavailable", "message": "busy"}}),
        requests.ConnectionError("reset"),
        answer(200, {"success": True, "data": [1]}),
    )
    assert call(http, delays=delays) == [1]
    assert len(http.calls) == 3 and delays == [1, 2]


def test_when_attempts_run_out_the_last_answer_is_the_error() -> None:
    http = ApiHttp(*[answer(503, {"success": False, "error": {"code": "unavailable", "message": "busy"}})] * 2)
    with pytest.raises(UploadError) as failure:
        call(http, attempts=2)
    assert (failure.value.status, failure.value.code, failure.value.message) == (503, "unavailable", "busy")


def test_a_call_that_is_not_idempotent_is_tried_once() -> None:
    http = ApiHttp(requests.ConnectionError("refused"), answer(200, {"success": True, "data": 1}))
    with pytest.raises(UploadError) as failure:
        call(http, attempts=1)
    assert failure.value.code == "connection_error" and len(http.calls) == 1
    assert str(failure.value).startswith("connection_error: GET /api/v1/videos/batch/progress/up-1: ConnectionError")


def test_the_servers_error_code_message_and_details_are_kept() -> None:
    body = {
        "success": False,
        "error": {"code": "missing_parts", "message": "chunk 3", "details": {"missingChunks": [3]}},
    }
    with pytest.raises(UploadError) as failure:
        data_of(answer(409, body), "POST /complete")
    error = failure.value
    assert (error.status, error.code, error.message, error.missing_chunks) == (409, "missing_parts", "chunk 3", [3])


@pytest.mark.parametrize(
    ("status", "body", "code", "message"),
    [
        (
            502,
            "<html>Bad Gateway</html>",
            "http_502",
            "POST /x answered HTTP 502 without JSON: '<html>Bad Gateway</html>'",
        ),
        (401, {"message": "Unauthorized"}, "http_401", "Unauthorized"),
        (400, {"success": False}, "http_400", "POST /x failed"),
        (200, {"success": True}, "unexpected_response", "POST /x answered without data: {'success': True}"),
    ],
)
def test_answers_without_the_envelope_get_the_clients_own_codes(
    status: int, body: Any, code: str, message: str
) -> None:
    with pytest.raises(UploadError) as failure:
        data_of(answer(status, body), "POST /x")
    assert (failure.value.code, failure.value.message) == (code, message)


def test_init_declares_each_file_with_the_video_type_the_server_would_guess() -> None:
    body = init_body([(Path("a.MOV"), 10), (Path("notes.txt"), 3)], "holidays")
    assert body == {
        "files": [{"filename": "a.MOV", "size": 10, "type": "video/quicktime"}, {"filename": "notes.txt", "size": 3}],
        "channel_id": "holidays",
    }
    assert "channel_id" not in init_body([(Path("a.mp4"), 1)], None)


def test_a_retry_page_keeps_the_servers_order() -> None:
    page = retry_page([{"chunkIndex": 7, "url": "u7"}, {"chunkIndex": 2, "url": "u2"}])
    assert list(page.items()) == [(7, "u7"), (2, "u2")]
    with pytest.raises(UploadError) as malformed:
        retry_page([{"url": "u"}])
    assert malformed.value.code == "unexpected_response"
