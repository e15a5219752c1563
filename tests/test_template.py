"""template.yaml is the one description of the system: it must lint, validate, and agree with
the code it points at."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from localcloud.cloud import REPO_ROOT
from localcloud.functions import code_location
from localcloud.template import load_template, merge_globals

TEMPLATE = REPO_ROOT / "template.yaml"
SAM = REPO_ROOT / ".venv-sam" / "bin" / "sam"


@pytest.fixture(scope="module")
def resources() -> dict[str, dict[str, Any]]:
    return merge_globals(load_template(TEMPLATE))


def test_cfn_lint_passes() -> None:
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    result = subprocess.run([str(cfn_lint), str(TEMPLATE)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_sam_validate_lint_passes() -> None:
    assert SAM.exists(), "SAM CLI venv missing: run `make setup`"
    result = subprocess.run(
        [str(SAM), "validate", "--lint", "--region", "us-east-1", "--template", str(TEMPLATE)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env={**os.environ, "SAM_CLI_TELEMETRY": "0"},
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is a valid SAM Template" in result.stdout + result.stderr


def test_every_function_points_at_an_existing_handler(resources: dict[str, dict[str, Any]]) -> None:
    for logical_id, res in resources.items():
        if res["Type"] != "AWS::Serverless::Function":
            continue
        code_dir, handler = code_location(REPO_ROOT, res["Properties"], res.get("Metadata"))
        module, _, func = handler.rpartition(".")
        source = code_dir / f"{module}.py"
        assert source.exists(), f"{logical_id}: {source} missing"
        assert re.search(rf"^def {func}\(", source.read_text(), re.M), f"{logical_id}: no {func} in {source}"


def test_state_machines_use_definition_substitutions_and_no_intrinsics(resources: dict[str, dict[str, Any]]) -> None:
    machines = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::Serverless::StateMachine"]
    assert machines
    for props in machines:
        text = (REPO_ROOT / props["DefinitionUri"]).read_text()
        json.loads(text)
        assert "Fn::" not in text and '"Ref"' not in text
        used = set(re.findall(r"\$\{(\w+)\}", text))
        assert used == set(props["DefinitionSubstitutions"]), "substitutions and placeholders differ"


def test_functions_import_nothing_from_the_local_cloud() -> None:
    for path in [*Path(REPO_ROOT / "functions").rglob("*.py"), *Path(REPO_ROOT / "layers").rglob("*.py")]:
        assert "localcloud" not in path.read_text(), f"{path} depends on the local cloud"


def http_routes(resources: dict[str, dict[str, Any]]) -> set[tuple[str, str]]:
    """(METHOD, path) of the API function's HttpApi events; ("ANY", "$default") for the catch-all."""
    events = resources["ApiFunction"]["Properties"]["Events"].values()
    return {
        (e["Properties"].get("Method", "ANY").upper(), e["Properties"].get("Path", "$default"))
        for e in events
        if e["Type"] == "HttpApi"
    }


def test_every_route_of_the_api_is_a_route_of_the_template(resources: dict[str, dict[str, Any]]) -> None:
    """Explicit routes: on AWS each gets its own metrics and throttling, and a route that only
    the catch-all reaches would be easy to lose."""
    documented = json.loads((REPO_ROOT / "docs" / "openapi.json").read_text())["paths"]
    api_routes = {(m.upper(), p) for p, item in documented.items() for m in item}
    api_routes |= {("GET", "/openapi.json"), ("GET", "/docs")}
    missing = api_routes - http_routes(resources)
    assert not missing, f"routes of functions/api missing from template.yaml: {sorted(missing)}"


def test_unmatched_requests_reach_the_api_function(resources: dict[str, dict[str, Any]]) -> None:
    """Without a $default route API Gateway answers unmatched requests itself ({"message": "Not
    Found"}); with it, the resolver answers 404/405 in the API's error envelope."""
    assert ("ANY", "$default") in http_routes(resources)


@pytest.mark.e2e
def test_every_api_route_in_the_template_reaches_a_handler_route(
    resources: dict[str, dict[str, Any]], api: Any
) -> None:
    for method, path in http_routes(resources) - {("ANY", "$default")}:
        concrete = re.sub(r"\{[^}]+\}", "batch_probe", path)
        response = api.request(method, concrete, json={} if method == "POST" else None)
        code = response.json().get("error", {}).get("code") if response.status_code >= 400 else None
        assert code not in ("route_not_found", "method_not_allowed"), f"{method} {path} has no route in functions/api"
        assert response.status_code != 500, f"{method} {path}: {response.text}"
