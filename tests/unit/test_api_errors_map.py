"""Domain errors carry codes; the API maps each kind to its HTTP status, in one table."""

from __future__ import annotations

import json

import pytest

from functions.api.api_routes.errors import STATUS_BY_CODE, error_response, status_for
from functions.api.schemas.errors import ErrorEnvelope
from mediabatch.errors import (
    Conflict,
    DomainError,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
    UnsafeUrl,
    ValidationFailed,
)


@pytest.mark.parametrize(
    "error, status",
    [
        (Unauthorized("no key", code="missing_api_key"), 401),
        (NotFound("batch x not found", code="batch_not_found"), 404),
        (Conflict("reused", code="idempotency_key_reused"), 409),
        (PayloadTooLarge("too big"), 413),
        (ValidationFailed("bad field"), 400),
        (UnsafeUrl("private address"), 400),
        (DomainError("generic"), 400),
    ],
)
def test_each_kind_of_domain_error_has_its_status(error: DomainError, status: int) -> None:
    assert status_for(error) == status


def test_a_subclass_takes_the_status_of_its_kind() -> None:
    class MediaGone(NotFound):
        code = "media_gone"

    assert status_for(MediaGone("gone")) == 404


def test_an_error_kind_the_map_does_not_know_is_a_400() -> None:
    class Novel(DomainError):
        code = "novel"

    assert status_for(Novel("something new")) == 400


def test_a_code_in_the_override_table_wins_over_its_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(STATUS_BY_CODE, "upload_expired", 410)
    assert status_for(Conflict("expired", code="upload_expired")) == 410
    assert status_for(Conflict("completed", code="upload_completed")) == 409


def test_the_error_response_is_the_envelope() -> None:
    response = error_response(405, "method_not_allowed", "PUT is not allowed", headers={"Allow": "GET"})
    body = json.loads(response.body)
    assert response.status_code == 405 and response.headers["Allow"] == "GET"
    assert body == {"success": False, "error": {"code": "method_not_allowed", "message": "PUT is not allowed"}}
    ErrorEnvelope.model_validate(body)


def test_details_appear_only_when_there_are_some() -> None:
    details = [{"field": "urls", "message": "too short"}]
    body = json.loads(error_response(400, "validation_error", "invalid", details).body)
    assert body["error"]["details"] == details
    assert ErrorEnvelope.model_validate(body).error.details == details
