"""The API's edge over HTTP: requests no route serves, bodies over the limit, and the API's
own description (OpenAPI, Swagger UI) all answer in the API's terms."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from localcloud.cloud import REPO_ROOT
from tests.conftest import Api

pytestmark = pytest.mark.e2e

TEN_MB = 10 * 1024 * 1024


def error_of(response: requests.Response) -> dict[str, Any]:
    body = response.json()
    assert body["success"] is False
    return dict(body["error"])


def test_a_path_no_route_serves_is_404_in_the_envelope(api: Api) -> None:
    response = api.request("GET", "/api/v1/nothing-here")
    assert response.status_code == 404
    error = error_of(response)
    assert error["code"] == "route_not_found" and "/api/v1/nothing-here" in error["message"]


def test_an_unknown_path_still_needs_a_key(api: Api) -> None:
    """Unmatched requests go through authentication like every other: anonymous callers learn
    nothing about which paths exist beyond the public document."""
    response = requests.get(api.base_url + "/api/v1/nothing-here", timeout=10)
    assert response.status_code == 401 and error_of(response)["code"] == "missing_api_key"


def test_a_wrong_method_is_405_with_the_methods_allowed(api: Api) -> None:
    response = api.request("PUT", "/api/v1/batch/batch_0123456789abcdef")
    assert response.status_code == 405
    assert response.headers["Allow"] == "DELETE, GET"
    error = error_of(response)
    assert error["code"] == "method_not_allowed" and "PUT" in error["message"]


def test_a_wrong_method_on_a_public_path_needs_no_key(api: Api) -> None:
    response = requests.post(api.base_url + "/health", timeout=10)
    assert response.status_code == 405 and response.headers["Allow"] == "GET"
    assert error_of(response)["code"] == "method_not_allowed"


def test_a_body_over_10_mb_is_413_and_the_client_reads_the_answer(api: Api) -> None:
    response = api.request(
        "POST", "/api/v1/batch/download", data=b"x" * (TEN_MB + 1), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert error_of(response)["code"] == "payload_too_large"
    assert response.headers.get("Connection", "").lower() == "close"
    # The client's session goes on working (on a new connection).
    assert api.request("GET", "/api/v1/webhooks/secret").status_code == 200


def test_a_body_at_the_limit_reaches_the_lambda_limit_instead(api: Api) -> None:
    response = api.request(
        "POST", "/api/v1/batch/download", data=b"x" * TEN_MB, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413 and error_of(response)["code"] == "payload_too_large"
    assert "Lambda" in error_of(response)["message"]


def test_the_openapi_document_is_public_and_declares_both_key_schemes(api: Api) -> None:
    response = requests.get(api.base_url + "/openapi.json", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    doc = response.json()
    assert doc["openapi"].startswith("3.1")
    schemes = doc["components"]["securitySchemes"]
    assert schemes["ApiKeyHeader"]["type"] == "apiKey" and schemes["ApiKeyHeader"]["name"] == "X-API-Key"
    assert schemes["BearerToken"]["type"] == "http" and schemes["BearerToken"]["scheme"] == "bearer"
    assert "/api/v1/batch/{batch_id}" in doc["paths"]
    assert doc == json.loads((REPO_ROOT / "docs" / "openapi.json").read_text()), "run `make openapi`"


def test_swagger_ui_is_public_html(api: Api) -> None:
    response = requests.get(api.base_url + "/docs", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "swagger-ui" in response.text and '"openapi": "3.1' in response.text
