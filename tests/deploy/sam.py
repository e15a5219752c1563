"""Running `sam build` from tests: the SAM CLI lives in its own venv (.venv-sam), builds run
without Docker (no --use-container), into a folder of the test's own."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import yaml

from localcloud.cloud import REPO_ROOT
from localcloud.template import load_template

SAM = REPO_ROOT / ".venv-sam" / "bin" / "sam"
TEMPLATE = REPO_ROOT / "template.yaml"
# What Lambda unpacks a function's code and all its layers to, at most.
UNZIPPED_LIMIT_BYTES = 250 * 1024 * 1024


def sam_build(build_dir: Path, *resource_ids: str, template: Path = TEMPLATE, timeout: int = 600) -> str:
    """`sam build [ids]` into build_dir; returns SAM's output, raises with it on failure."""
    assert SAM.exists(), "SAM CLI venv missing: run `make setup`"
    cmd = [str(SAM), "build", *resource_ids, "--template", str(template), "--build-dir", str(build_dir)]
    cmd += ["--base-dir", str(REPO_ROOT), "--cache-dir", str(build_dir.parent / "sam-cache")]
    result = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env={**os.environ, "SAM_CLI_TELEMETRY": "0"},
        timeout=timeout,
    )
    output = result.stdout + result.stderr
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{output}")
    return output


def image_functions(template: dict[str, Any]) -> list[str]:
    """Container-image functions: `sam build` builds them with Docker, which CI has not."""
    return sorted(
        lid
        for lid, res in template["Resources"].items()
        if res.get("Type") == "AWS::Serverless::Function" and res.get("Properties", {}).get("PackageType") == "Image"
    )


def without_image_functions(template: dict[str, Any], removed: list[str]) -> dict[str, Any]:
    """The template less its image functions; references to them become placeholder strings
    (they only matter to `sam deploy`, not to building the other resources)."""

    def scrub(value: Any) -> Any:
        if isinstance(value, dict):
            if value.keys() == {"Ref"} and value["Ref"] in removed:
                return f"removed-{value['Ref']}"
            if value.keys() == {"Fn::GetAtt"}:
                target = value["Fn::GetAtt"]
                logical = target[0] if isinstance(target, list) else str(target).split(".")[0]
                if logical in removed:
                    return f"removed-{logical}"
            return {k: scrub(v) for k, v in value.items()}
        if isinstance(value, list):
            return [scrub(v) for v in value]
        return value

    out = dict(template)
    out["Resources"] = {lid: scrub(res) for lid, res in template["Resources"].items() if lid not in removed}
    return out


def buildable_template(dest: Path) -> tuple[Path, list[str]]:
    """template.yaml as `sam build` can build it without Docker, written to dest, and the
    image functions it had to leave out."""
    template = load_template(TEMPLATE)
    removed = image_functions(template)
    if not removed:
        return TEMPLATE, []
    dest.write_text(yaml.safe_dump(without_image_functions(template, removed), sort_keys=False))
    return dest, removed


def tree_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())
