"""The SDK's errors: one class per code, the base class (with its code) for an unknown one, and
the API's error envelope turned into them by the transport."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from mediabatch_client import (
    AuthenticationFailed,
    BatchNotFound,
    BatchSizeExceeded,
    ConnectionFailed,
    MediaBatchError,
    MediaNotFound,
    RateLimited,
    ServerError,
    UnexpectedResponse,
    UploadError,
    error_for,
)
from mediabatch_client.errors import NotFoundError
from mediabatch_client.transport import Transport, _body_of


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        ("invalid_api_key", AuthenticationFailed),
        ("missing_api_key", AuthenticationFailed),
        ("batch_not_found", BatchNotFound),
        ("media_not_found", MediaNotFound),
        ("BATCH_SIZE_EXCEEDED", BatchSizeExceeded),
        ("internal_error", ServerError),
        ("http_503", ServerError),
        ("http_429", RateLimited),
    ],
)
def test_a_known_code_raises_its_class(code: str, cls: type[MediaBatchError]) -> None:
    error = error_for(code, "told", 400, {"x": 1})
    assert type(error) is cls
    assert (error.code, error.message, error.status, error.details) == (code, "told", 400, {"x": 1})
    assert str(error) == f"{code}: told"


def test_an_unknown_code_raises_the_base_class_with_its_code() -> None:
    error = error_for("quota_exceeded", "too many", 403)
    assert type(error) is MediaBatchError and error.code == "quota_exceeded" and error.status == 403


def test_upload_errors_are_media_batch_errors() -> None:
    error = UploadError("gone", code="upload_gone", upload_id="up-1")
    assert isinstance(error, MediaBatchError) and error.upload_id == "up-1"


def answer(status: int, body: Any) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return response


def test_the_error_envelope_becomes_the_class_of_its_code() -> None:
    envelope = {"success": False, "error": {"code": "media_not_found", "message": "Media not found", "details": None}}
    with pytest.raises(MediaNotFound) as raised:
        _body_of(answer(404, envelope), "GET /api/v0/media/x")
    assert (raised.value.status, raised.value.message) == (404, "Media not found")


def test_an_answer_without_the_envelope_is_named_by_its_status() -> None:
    with pytest.raises(ServerError) as raised:
        _body_of(answer(502, b"<html>Bad gateway</html>"), "GET /x")
    assert raised.value.code == "http_502"
    with pytest.raises(UnexpectedResponse):
        _body_of(answer(200, b"not json"), "GET /x")
    assert _body_of(answer(204, b""), "DELETE /x") is None
    assert _body_of(answer(200, {"a": 1}), "GET /x") == {"a": 1}


def test_no_answer_is_a_connection_error(monkeypatch: pytest.MonkeyPatch) -> None:
    transport = Transport("http://api.test", "key", retries=0, timeout=2)

    def refused(*_: Any, **__: Any) -> requests.Response:
        raise requests.ConnectionError("connection refused")

    monkeypatch.setattr(transport._safe, "request", refused)
    with pytest.raises(ConnectionFailed) as raised:
        transport.request("GET", "/health")
    assert raised.value.code == "connection_error" and raised.value.status is None
    assert str(raised.value) == "connection_error: GET /health: ConnectionError: connection refused"


def retry_of(session: requests.Session) -> Any:
    return session.get_adapter("http://api.test").max_retries


def test_calls_safe_to_repeat_are_retried_on_429_and_5xx_the_others_only_before_sending() -> None:
    transport = Transport("http://api.test", "key", retries=4, backoff=0.25)
    safe, once = retry_of(transport._safe), retry_of(transport._once)
    assert set(safe.status_forcelist) == {429, 500, 502, 503, 504} and safe.respect_retry_after_header
    assert (safe.total, safe.connect, safe.read, safe.status, safe.backoff_factor) == (4, 4, 4, 4, 0.25)
    assert safe.allowed_methods is None  # POSTs too, when they carry an Idempotency-Key
    assert (once.connect, once.read, once.status, list(once.status_forcelist)) == (4, 0, 0, [])


def test_which_calls_are_safe_to_repeat(monkeypatch: pytest.MonkeyPatch) -> None:
    transport = Transport("http://api.test", "key")
    used: list[tuple[str, str, dict[str, str]]] = []
    for name in ("_safe", "_once"):

        def record(method: str, url: str, *, _name: str = name, **kwargs: Any) -> requests.Response:
            used.append((_name, method, kwargs["headers"]))
            assert kwargs["timeout"] == transport.timeout
            return answer(200, {})

        monkeypatch.setattr(getattr(transport, name), "request", record)
    transport.request("GET", "/a")
    transport.request("DELETE", "/a")
    transport.request("POST", "/a", json={})
    transport.request("POST", "/a", json={}, idempotency_key="k-1")
    assert [(n, m) for n, m, _ in used] == [("_safe", "GET"), ("_safe", "DELETE"), ("_once", "POST"), ("_safe", "POST")]
    assert used[3][2]["Idempotency-Key"] == "k-1" and all(h["X-API-Key"] == "key" for _, _, h in used)


def test_any_not_found_code_is_a_not_found_error_and_exits_4() -> None:
    from mediabatch_client.cli.output import EXIT_NOT_FOUND, exit_status

    error = error_for("episode_not_found", "gone", 404)
    assert isinstance(error, NotFoundError) and error.code == "episode_not_found"
    assert exit_status(error) == EXIT_NOT_FOUND
    assert exit_status(error_for("delivery_not_found", "gone", 404)) == EXIT_NOT_FOUND
