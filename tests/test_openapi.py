"""The OpenAPI document is generated from the routes' models, is valid OpenAPI 3.1, documents
the error envelope and the key on every route that needs one, and the committed copy
(docs/openapi.json) is the generated one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
from openapi_spec_validator import validate

from localcloud.cloud import REPO_ROOT

COMMITTED = REPO_ROOT / "docs" / "openapi.json"
PUBLIC = {"/health"}
METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


@pytest.fixture(scope="module")
def generated() -> str:
    """What `make openapi` writes, generated in a fresh interpreter as the Makefile does."""
    result = subprocess.run(
        [sys.executable, "functions/api/openapi_document.py"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": "layers/shared", "POWERTOOLS_TRACE_DISABLED": "true"},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def doc(generated: str) -> dict[str, Any]:
    return dict(json.loads(generated))


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m, p, op) for p, item in doc["paths"].items() for m, op in item.items() if m in METHODS]


def test_the_committed_document_is_the_generated_one(generated: str) -> None:
    assert COMMITTED.exists(), "docs/openapi.json is missing: run `make openapi`"
    assert COMMITTED.read_text() == generated, "docs/openapi.json is stale: run `make openapi` and commit it"


def test_generation_is_deterministic(generated: str) -> None:
    doc = json.loads(generated)
    assert generated == json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_it_is_valid_openapi_3_1(doc: dict[str, Any]) -> None:
    validate(doc)
    assert doc["openapi"].startswith("3.1")
    assert doc["info"]["title"] == "mediabatch" and doc["info"]["version"] and doc["info"]["description"]


def test_both_key_schemes_are_declared(doc: dict[str, Any]) -> None:
    schemes = doc["components"]["securitySchemes"]
    assert {"type": "apiKey", "in": "header", "name": "X-API-Key"}.items() <= schemes["ApiKeyHeader"].items()
    assert {"type": "http", "scheme": "bearer"}.items() <= schemes["BearerToken"].items()


def test_every_route_but_the_public_ones_requires_a_key(doc: dict[str, Any]) -> None:
    assert operations(doc)
    for method, path, op in operations(doc):
        if path in PUBLIC:
            assert op["security"] == [], f"{method} {path} is public"
        elif path.startswith("/admin/"):  # operators: the admin token, never a tenant key
            assert op["security"] == [{"AdminToken": []}], f"{method} {path}"
        else:
            assert op["security"] == [{"ApiKeyHeader": []}, {"BearerToken": []}], f"{method} {path}"


def test_the_docs_routes_are_not_in_the_document(doc: dict[str, Any]) -> None:
    assert "/openapi.json" not in doc["paths"] and "/docs" not in doc["paths"]


def resolve(doc: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in response:
        return dict(doc["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]])
    return response


def test_errors_are_documented_with_the_envelope_where_they_apply(doc: dict[str, Any]) -> None:
    envelope = {"$ref": "#/components/schemas/ErrorEnvelope"}
    detail = {"$ref": "#/components/schemas/DetailOut"}
    for method, path, op in operations(doc):
        responses = op["responses"]
        params = op.get("parameters", [])
        expected = {"500"}
        expected |= {"401"} if path not in PUBLIC else set()
        expected |= {"404"} if any(p["in"] == "path" for p in params) else set()
        expected |= {"400"} if params or "requestBody" in op else set()
        expected |= {"413"} if method in {"post", "put", "patch"} else set()
        assert expected <= set(responses), f"{method} {path}: {sorted(responses)}"
        assert "422" not in responses, f"{method} {path}: this API answers validation errors with 400"
        assert any(s.startswith("2") for s in responses), f"{method} {path} documents no success response"
        for status in expected:
            content = resolve(doc, responses[status])["content"]["application/json"]
            # The document routes answer the seed's `{"detail"}` body (batch-document-embedding-api.md).
            seed_body = op.get("tags") == ["documents"] and status != "401" and content["schema"] == detail
            assert content["schema"] == envelope or seed_body, f"{method} {path} {status}"


def test_the_envelope_schema_matches_what_the_api_sends(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    envelope, body = schemas["ErrorEnvelope"], schemas["ErrorBody"]
    assert set(envelope["required"]) == {"success", "error"}
    assert envelope["properties"]["success"]["const"] is False
    assert set(body["required"]) == {"code", "message"} and "details" in body["properties"]
    assert "MethodNotAllowed" in doc["components"]["responses"]


def test_no_unused_schemas_are_left(doc: dict[str, Any]) -> None:
    text = json.dumps({k: v for k, v in doc.items() if k != "components"}) + json.dumps(
        {k: v for k, v in doc["components"].items() if k != "schemas"}
    )
    schemas = doc["components"]["schemas"]
    for name in schemas:
        referenced = f'"#/components/schemas/{name}"' in text or any(
            f'"#/components/schemas/{name}"' in json.dumps(other) for other in schemas.values()
        )
        assert referenced, f"{name} is not used"
