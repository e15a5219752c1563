"""Bad input gets a clear 4xx with a stable code, and keys decide who you are."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.conftest import KEY_A, Api

pytestmark = pytest.mark.e2e

GOOD = "http://127.0.0.1:9/video.mp4"


def error_of(response: requests.Response) -> dict[str, Any]:
    body = response.json()
    assert body["success"] is False
    return dict(body["error"])


def test_health_needs_no_key(api: Api) -> None:
    response = requests.get(api.base_url + "/health", timeout=10)
    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.parametrize(
    "headers, code",
    [
        ({}, "missing_api_key"),
        ({"X-API-Key": "not-a-key"}, "invalid_api_key"),
        ({"Authorization": "Bearer not-a-key"}, "invalid_api_key"),
        ({"Authorization": "Basic abc"}, "missing_api_key"),
    ],
)
def test_requests_without_a_valid_key_get_401(api: Api, headers: dict[str, str], code: str) -> None:
    response = requests.get(api.base_url + "/api/v1/batch/batch_x", headers=headers, timeout=10)
    assert response.status_code == 401
    assert error_of(response)["code"] == code


def test_bearer_token_works_like_x_api_key(api: Api) -> None:
    response = requests.get(
        api.base_url + "/api/v1/webhooks/secret", headers={"Authorization": f"Bearer {KEY_A}"}, timeout=10
    )
    assert response.status_code == 200 and response.json()["secret"].startswith("whsec_")


def test_unknown_batch_is_404(api: Api) -> None:
    response = api.request("GET", "/api/v1/batch/batch_doesnotexist")
    assert response.status_code == 404 and error_of(response)["code"] == "batch_not_found"


def test_unknown_route_is_404(api: Api) -> None:
    response = api.request("GET", "/api/v1/nothing-here")
    assert response.status_code == 404
    error = error_of(response)
    assert error["code"] == "route_not_found" and "/api/v1/nothing-here" in error["message"]


@pytest.mark.parametrize(
    "body, code, field",
    [
        ({"urls": []}, "validation_error", "urls"),
        ({"urls": [f"http://127.0.0.1:9/{i}.mp4" for i in range(101)]}, "validation_error", "urls"),
        ({}, "validation_error", "urls"),
        ({"urls": [GOOD], "concurrent_limit": 0}, "validation_error", "concurrent_limit"),
        ({"urls": [GOOD], "concurrent_limit": 11}, "validation_error", "concurrent_limit"),
        ({"urls": [GOOD], "quality": "8k"}, "validation_error", "quality"),
        ({"urls": [GOOD], "video_format": "exe"}, "validation_error", "video_format"),
        ({"urls": [GOOD], "concurrency_limit": 3}, "validation_error", "concurrency_limit"),
        ({"urls": [GOOD], "path_template": "other/{id}.{ext}"}, "validation_error", "path_template"),
        ({"urls": [GOOD], "path_template": "batch/{secret}.{ext}"}, "validation_error", "path_template"),
        ({"urls": [GOOD], "path_template": "batch/../{id}.{ext}"}, "validation_error", "path_template"),
        ({"urls": [GOOD], "path_template": "batch/{id.__class__}"}, "validation_error", "path_template"),
        ({"urls": [GOOD], "webhook_url": "http://10.0.0.5/hook"}, "invalid_webhook_url", "webhook_url"),
        ({"urls": [GOOD], "webhook_url": "ftp://example.com/hook"}, "invalid_webhook_url", "webhook_url"),
    ],
)
def test_invalid_requests_get_400_naming_the_field(api: Api, body: dict[str, Any], code: str, field: str) -> None:
    response = api.create_batch(**body)
    assert response.status_code == 400, response.text
    error = error_of(response)
    assert error["code"] == code
    assert field in error["message"]
    assert any(field in d["field"] for d in error["details"])


def test_duplicate_urls_are_rejected_and_named(api: Api) -> None:
    response = api.create_batch(urls=[GOOD, "http://127.0.0.1:9/other.mp4", GOOD])
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "duplicate_urls"
    assert GOOD in error["message"]
    assert error["details"] == [{"field": "urls[2]", "url": GOOD, "message": "duplicate of urls[0]"}]


@pytest.mark.parametrize(
    "bad",
    [
        "ftp://example.com/a.mp4",
        "not a url",
        "http://",
        "file:///etc/passwd",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.1.2.3/a.mp4",
        "http://[::1]/a.mp4",
        # Not localhost: the e2e cloud allowlists 127.0.0.1, and then localhost is allowed too
        # (issue 16); a loopback address outside the allowlist stands for it.
        "http://127.0.0.2/a.mp4",
        "javascript:alert(1)",
    ],
)
def test_invalid_and_unsafe_urls_are_rejected_and_named(api: Api, bad: str) -> None:
    response = api.create_batch(urls=[GOOD, bad])
    assert response.status_code == 400, response.text
    error = error_of(response)
    assert error["code"] == "invalid_urls"
    assert error["details"][0]["field"] == "urls[1]" and error["details"][0]["url"] == bad


def test_body_that_is_not_json_is_400(api: Api) -> None:
    response = api.request(
        "POST", "/api/v1/batch/download", data="{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400 and error_of(response)["code"] == "invalid_json"


def all_executions(cloud: Any) -> int:
    """Every execution of the batch workflow, all pages (one page stops counting at 100)."""
    paginator = cloud.client("stepfunctions").get_paginator("list_executions")
    arn = cloud.provisioned.state_machines["BatchDownloadStateMachine"]
    return sum(len(page["executions"]) for page in paginator.paginate(stateMachineArn=arn))


def test_nothing_is_created_by_a_rejected_request(api: Api, cloud: Any) -> None:
    before = all_executions(cloud)
    assert api.create_batch(urls=[GOOD, GOOD]).status_code == 400
    assert all_executions(cloud) == before
    # The count moves when a batch is accepted: the check above can see a creation.
    assert api.create_batch(urls=["http://127.0.0.1:9/counted.mp4"]).status_code == 202
    assert all_executions(cloud) == before + 1


def test_retrying_with_the_same_idempotency_key_returns_the_same_batch(api: Api) -> None:
    body = {"urls": ["http://127.0.0.1:9/idem.mp4"]}
    headers = {"Idempotency-Key": "order-42-attempt"}
    first = api.request("POST", "/api/v1/batch/download", json=body, headers=headers)
    second = api.request("POST", "/api/v1/batch/download", json=body, headers=headers)
    assert first.status_code == second.status_code == 202
    assert second.json()["batch_id"] == first.json()["batch_id"]
    other = api.request("POST", "/api/v1/batch/download", json=body, headers={"Idempotency-Key": "another"})
    assert other.json()["batch_id"] != first.json()["batch_id"]


def test_reusing_an_idempotency_key_with_another_body_is_409(api: Api) -> None:
    headers = {"Idempotency-Key": "reused-key"}
    assert (
        api.request(
            "POST", "/api/v1/batch/download", json={"urls": ["http://127.0.0.1:9/a1.mp4"]}, headers=headers
        ).status_code
        == 202
    )
    response = api.request(
        "POST", "/api/v1/batch/download", json={"urls": ["http://127.0.0.1:9/b2.mp4"]}, headers=headers
    )
    assert response.status_code == 409 and error_of(response)["code"] == "idempotency_key_reused"


def test_idempotency_keys_are_per_tenant(api: Api, api_b: Api) -> None:
    body = {"urls": ["http://127.0.0.1:9/shared.mp4"]}
    headers = {"Idempotency-Key": "same-key-two-tenants"}
    a = api.request("POST", "/api/v1/batch/download", json=body, headers=headers).json()
    b = api_b.request("POST", "/api/v1/batch/download", json=body, headers=headers).json()
    assert a["batch_id"] != b["batch_id"]
    assert api_b.request("GET", f"/api/v1/batch/{b['batch_id']}").status_code == 200


# ------------------------------------------------------------------ the first ten minutes (issue 16)
def test_a_misspelt_field_gets_a_did_you_mean(api: Api) -> None:
    error = error_of(api.create_batch(urls=[GOOD], concurrency_limit=2, format="mp4"))

    assert error["code"] == "validation_error"
    assert error["details"] == [
        {"field": "concurrency_limit", "message": "Extra inputs are not permitted; did you mean 'concurrent_limit'?"},
        {"field": "format", "message": "Extra inputs are not permitted; did you mean 'video_format'?"},
    ]
    assert "did you mean 'concurrent_limit'" in error["message"]


def test_a_nested_misspelt_field_is_named_with_its_path_and_a_suggestion(api: Api) -> None:
    response = api.request("POST", "/api/v1/videos/batch/init", json={"files": [{"fileName": "a.mp4", "size": 3}]})

    details = error_of(response)["details"]
    assert {"field": "files[0].fileName", "message": "Extra inputs are not permitted; did you mean 'filename'?"} in (
        details
    )


@pytest.mark.parametrize(
    ("content_type", "said"),
    [
        ("application/x-www-form-urlencoded", "not application/x-www-form-urlencoded"),
        ("text/plain", "not text/plain"),
        (None, "not valid JSON"),
    ],
)
def test_a_body_that_is_not_json_says_so_and_names_the_content_type(
    api: Api, content_type: str | None, said: str
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = api.request("POST", "/api/v1/batch/download", data=f"urls={GOOD}", headers=headers)

    assert response.status_code == 400, response.text
    error = error_of(response)
    assert error["code"] == "invalid_json" and said in error["message"] and "application/json" in error["message"]


def test_localhost_is_accepted_when_127_0_0_1_is_allowlisted(api: Api) -> None:
    response = api.create_batch(urls=["http://localhost:9/video.mp4"])

    assert response.status_code == 202, response.text


def test_a_refused_address_names_the_local_setting_that_allows_it(api: Api) -> None:
    error = error_of(api.create_batch(urls=["http://10.1.2.3/a.mp4"]))

    assert error["code"] == "invalid_urls"
    assert error["details"][0]["message"] == (
        "refusing to connect to 10.1.2.3: not a public address; to allow it on the local cloud, "
        'start it with LOCALCLOUD_PARAMETER_OVERRIDES="UrlAllowlist=10.1.2.3"'
    )
