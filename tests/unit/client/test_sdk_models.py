"""Every wire model of the SDK against docs/openapi.json: the same field names and the same
required ones as its schema, so a change of the API that the SDK did not follow fails here."""

from __future__ import annotations

import importlib
import json
import pkgutil
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

import mediabatch_client.resources as resources
from mediabatch_client.resources._base import WireModel

REPO = Path(__file__).resolve().parents[3]
OPENAPI = json.loads((REPO / "docs" / "openapi.json").read_text())
SCHEMAS: dict[str, Any] = OPENAPI["components"]["schemas"]


def wire_models() -> list[type[WireModel]]:
    found: dict[str, type[WireModel]] = {}
    for info in pkgutil.iter_modules(resources.__path__):
        module = importlib.import_module(f"{resources.__name__}.{info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, WireModel) and value is not WireModel:
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return sorted(found.values(), key=lambda m: m.__name__)


def server_model(schema: str) -> type[BaseModel]:
    """The API's own model of a schema whose JSON Schema has no properties (a custom serializer
    hides them): the SDK is then checked against the fields that model declares."""
    for module in ("functions.api.schemas.operations",):
        model = getattr(importlib.import_module(module), schema, None)
        if model is not None:
            return model  # type: ignore[no-any-return]
    raise AssertionError(f"{schema} has no properties in docs/openapi.json and no server model to check against")


def expected_fields(schema_name: str) -> tuple[set[str], set[str]]:
    """(every field, the required ones) of a schema."""
    schema = SCHEMAS[schema_name]
    if "properties" in schema:
        return set(schema["properties"]), set(schema.get("required", []))
    model = server_model(schema_name)
    return set(model.model_fields), {n for n, f in model.model_fields.items() if f.is_required()}


MODELS = wire_models()


def test_every_resource_module_has_models() -> None:
    modules = {m.__module__.rsplit(".", 1)[-1] for m in MODELS}
    assert modules == {"admin", "audit", "batches", "documents", "media", "shows", "uploads", "webhooks"}


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_model_matches_its_schema(model: type[WireModel]) -> None:
    assert model.wire_schema in SCHEMAS, f"{model.__name__}: no schema {model.wire_schema} in docs/openapi.json"
    fields, required = expected_fields(model.wire_schema)
    ours = {name: field for name, field in model.model_fields.items()}
    assert set(ours) == fields, f"{model.__name__} vs {model.wire_schema}"
    assert {n for n, f in ours.items() if f.is_required()} == required, f"{model.__name__} vs {model.wire_schema}"


def test_every_response_schema_of_the_api_has_an_sdk_model() -> None:
    """Each 2xx response schema of a route the SDK covers (the uploads' envelopes unwrapped)."""
    covered = {m.wire_schema for m in MODELS}
    wanted = set()
    for path, item in OPENAPI["paths"].items():
        if not path.startswith(("/api/v0/", "/api/v1/")) or "/chunk/" in path:
            continue  # POST /chunk (bytes through the API) is not used by the SDK: parts go to S3
        for operation in item.values():
            for status, response in operation["responses"].items():
                ref = json.dumps(response.get("content", {})) if status.startswith("2") else ""
                for name in SCHEMAS:
                    if f'"#/components/schemas/{name}"' in ref:
                        wanted.add(name)
    unwrapped = {n for n in wanted if not n.startswith("Envelope_")}
    unwrapped |= {"UploadSessionOut", "UploadProgressOut", "MediaItemOut"}
    assert unwrapped - {"ChunkUrlOut"} <= covered


def test_a_drifted_model_fails_the_check() -> None:
    class Drifted(WireModel):
        wire_schema = "WebhookSecretOut"
        secret: str
        rotated_at: str | None = None

    fields, _ = expected_fields(Drifted.wire_schema)
    assert set(Drifted.model_fields) != fields
