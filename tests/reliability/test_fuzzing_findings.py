"""What the contract fuzzing found, each kept as a plain test."""

from __future__ import annotations

import pytest

from tests.conftest import Api


@pytest.mark.parametrize("path", ["/api/v1/batch/download", "/api/v0/media/batch/copy", "/api/v0/webhooks"])
def test_a_body_that_is_not_utf8_is_a_400_not_a_500(api: Api, path: str) -> None:
    response = api.request("POST", path, data=b"\xe8\x00\xff{", headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_json"
    assert "not UTF-8" in error["message"]
