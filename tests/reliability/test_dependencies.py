"""pip-audit over the pinned requirements files. It needs a vulnerability service (PyPI's JSON
API or OSV) over the network: where none answers, the suite is skipped and says so in
docs/reliability.md; it never passes without having looked."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from localcloud.cloud import REPO_ROOT
from tests.reliability.figures import record

PIP_AUDIT = REPO_ROOT / ".venv-audit" / "bin" / "pip-audit"
FILES = ["requirements.txt", "requirements-documents.txt"]  # what runs in Lambda


def audit(requirements: str) -> dict[str, Any]:
    result = subprocess.run(
        [str(PIP_AUDIT), "--no-deps", "--disable-pip", "--progress-spinner", "off", "-f", "json", "-r", requirements],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
    )
    try:
        return dict(json.loads(result.stdout))
    except ValueError:
        return {"error": (result.stderr.strip().splitlines() or ["no output"])[-1]}


def test_no_pinned_runtime_dependency_has_a_known_vulnerability() -> None:
    if not PIP_AUDIT.exists():
        record("audit", {"summary": "Not run: `.venv-audit` is missing (`make reliability` builds it)."})
        pytest.skip("pip-audit is not installed: `make reliability` builds .venv-audit")
    reports = {name: audit(name) for name in FILES}
    unreachable = [
        name
        for name, report in reports.items()
        if "error" in report or all(d.get("skip_reason") for d in report.get("dependencies", []))
    ]
    if unreachable:
        reason = (
            "Not runnable here: no vulnerability service is reachable (pip-audit needs PyPI's JSON API or OSV over "
            "the network, and keeps no offline database); every dependency of "
            + ", ".join(f"`{n}`" for n in unreachable)
            + " came back unaudited. Run `make reliability` where the network is open."
        )
        record("audit", {"summary": reason})
        pytest.skip(reason)
    found = {
        f"{d['name']}=={d['version']}": [v["id"] for v in d.get("vulns", [])]
        for report in reports.values()
        for d in report.get("dependencies", [])
        if d.get("vulns")
    }
    audited = sum(len(r.get("dependencies", [])) for r in reports.values())
    record("audit", {"summary": f"{audited} pinned packages audited; known vulnerabilities: {found or 'none'}."})
    assert found == {}
