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
from localcloud.template import load_template, merge_globals

TEMPLATE = REPO_ROOT / "template.yaml"
SAM = REPO_ROOT / ".venv-sam" / "bin" / "sam"


@pytest.fixture(scope="module")
def resources() -> dict[str, dict[str, Any]]:
    return merge_globals(load_template(TEMPLATE))


def test_cfn_lint_passes() -> None:
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    result = subprocess.run([str(cfn_lint), str(TEMPLATE)], capture_output=True, text=True)
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
        props = res["Properties"]
        module, _, func = props["Handler"].rpartition(".")
        source = REPO_ROOT / props["CodeUri"] / f"{module}.py"
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


@pytest.mark.e2e
def test_every_api_route_in_the_template_reaches_a_handler_route(
    resources: dict[str, dict[str, Any]], api: Any
) -> None:
    events = resources["ApiFunction"]["Properties"]["Events"]
    for event in events.values():
        method, path = event["Properties"]["Method"], event["Properties"]["Path"]
        concrete = re.sub(r"\{[^}]+\}", "batch_probe", path)
        response = api.request(method, concrete, json={} if method == "POST" else None)
        code = response.json().get("error", {}).get("code") if response.status_code >= 400 else None
        assert code != "route_not_found", f"{method} {path} has no route in functions/api"
        assert response.status_code != 500, f"{method} {path}: {response.text}"
