"""The domain imports no infrastructure: every module of every domain package of `mediabatch`
(each subpackage but `adapters`) loads in a fresh interpreter without boto3, botocore or yt-dlp.
Adapters implement the domain's ports; only container.py joins the two."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import pytest

from localcloud.cloud import REPO_ROOT

LAYER = REPO_ROOT / "layers" / "shared"
INFRASTRUCTURE = (
    "boto3",
    "botocore",
    "yt_dlp",
    "chromadb",
    "torch",
    "pypdf",
    "pptx",
    "onnxruntime",
    "sentence_transformers",
)
NOT_DOMAIN = {"adapters"}

# Imports each module of one package in turn and reports the first module after which each
# infrastructure package appeared in sys.modules.
PROBE = """
import importlib, json, pkgutil, sys
package = importlib.import_module(sys.argv[1])
forbidden = sys.argv[2].split(",")
culprits = {}
modules = [sys.argv[1]] + [m.name for m in pkgutil.walk_packages(package.__path__, sys.argv[1] + ".")]
for name in modules:
    importlib.import_module(name)
    for dep in forbidden:
        if dep not in culprits and dep in sys.modules:
            culprits[dep] = name
print(json.dumps({"modules": modules, "culprits": culprits}))
"""


def domain_packages() -> list[str]:
    return sorted(
        f"mediabatch.{m.name}"
        for m in pkgutil.iter_modules([str(LAYER / "mediabatch")])
        if m.ispkg and m.name not in NOT_DOMAIN
    )


def test_the_domain_packages_are_found() -> None:
    assert {"mediabatch.catalog", "mediabatch.downloads", "mediabatch.uploads"} <= set(domain_packages())


@pytest.mark.parametrize("package", domain_packages())
def test_importing_the_domain_pulls_in_no_infrastructure(package: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, package, ",".join(INFRASTRUCTURE)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env={"PYTHONPATH": str(LAYER), "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert len(report["modules"]) >= 1
    culprits = report["culprits"]
    assert not culprits, f"{package} imports infrastructure: " + ", ".join(
        f"{dep} (first present after importing {module})" for dep, module in culprits.items()
    )
