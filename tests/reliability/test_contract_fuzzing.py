"""Fuzzing from the contract: schemathesis generates requests from docs/openapi.json for every
route, sends them to the local cloud as a tenant of its own, and checks each answer: never a
5xx, a status the document lists, a body valid against the documented schema, in bounded time."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from localcloud import LocalCloud
from localcloud.cloud import REPO_ROOT
from tests.conftest import KEY_C
from tests.reliability.figures import record

SCHEMA = schemathesis.openapi.from_path(str(REPO_ROOT / "docs" / "openapi.json"))
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
MAX_EXAMPLES = {GenerationMode.POSITIVE: 25, GenerationMode.NEGATIVE: 15}
REQUEST_TIMEOUT_S = 10
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

_runs: dict[str, dict[str, Any]] = {}


def has_inputs(operation: Any) -> bool:
    """A route with no parameter and no body has nothing a negative case could break."""
    return any(len(part) for part in (operation.path_parameters, operation.query, operation.headers, operation.body))


RUNS = [
    pytest.param(operation, mode, id=f"{operation.label}-{mode}")
    for operation in OPERATIONS
    for mode in MAX_EXAMPLES
    if mode is GenerationMode.POSITIVE or has_inputs(operation)
]


@pytest.fixture(scope="module", autouse=True)
def figures() -> Iterator[None]:
    yield
    routes = {label: dict(sorted(modes.items())) for label, modes in sorted(_runs.items())}
    record(
        "fuzzing",
        {
            "routes": routes,
            "operations": len(OPERATIONS),
            "cases": sum(m["cases"] for modes in routes.values() for m in modes.values() if isinstance(m, dict)),
            "max_examples": {str(mode): n for mode, n in MAX_EXAMPLES.items()},
        },
    )


@pytest.fixture(scope="module", autouse=True)
def warm(cloud: LocalCloud) -> None:
    """The first document-store call loads its store (seconds on a busy machine): a cold start
    is not a hang, so it happens here, outside the per-request bound."""
    requests.get(cloud.base_url + "/api/collections", headers={"X-API-Key": KEY_C}, timeout=120)


@pytest.mark.timeout(120)
@pytest.mark.parametrize(("operation", "mode"), RUNS)
def test_every_answer_keeps_the_contract(cloud: LocalCloud, operation: Any, mode: GenerationMode) -> None:
    cases = 0
    statuses: dict[int, int] = {}
    started = time.monotonic()

    @hypothesis.settings(
        max_examples=MAX_EXAMPLES[mode],
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode, headers={"X-API-Key": KEY_C}))
    def one_case(case: Any) -> None:
        nonlocal cases
        cases += 1
        response = case.call_and_validate(base_url=cloud.base_url, checks=CHECKS, timeout=REQUEST_TIMEOUT_S)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    try:
        one_case()
    finally:
        _runs.setdefault(operation.label, {})[str(mode)] = {
            "cases": cases,
            "statuses": {str(k): v for k, v in sorted(statuses.items())},
            "seconds": round(time.monotonic() - started, 2),
        }
