"""The pinned requirements against known vulnerabilities, from two sources:

* pip-audit over the runtime requirements, when a vulnerability service (PyPI's JSON API or OSV)
  answers over the network;
* a local copy of the PyPA advisory database (`make advisories`), over every requirements file,
  read by tests/support/advisories.py: this one needs no network while the tests run.

Every advisory that matches a pin must be fixed (upgrade the pin) or explained in
tests/reliability/audit_allowlist.toml; an entry that matches nothing any more fails too. Where
neither source is at hand the suite is skipped and says so in docs/reliability.md: it never passes
without having looked."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from localcloud.cloud import REPO_ROOT
from tests.reliability.figures import record
from tests.support.advisories import (
    Accepted,
    Advisory,
    Finding,
    Pin,
    audit_pins,
    load_advisories,
    read_allowlist,
    read_pins,
    stale,
    unexplained,
)

PIP_AUDIT = REPO_ROOT / ".venv-audit" / "bin" / "pip-audit"
RUNTIME_FILES = ["requirements.txt", "requirements-documents.txt"]  # what runs in Lambda
ALLOWLIST = Path(__file__).with_name("audit_allowlist.toml")
DB_NAME = "pypa-advisory-database"
# MEDIABATCH_ADVISORY_DB, else what `make advisories` fetched, else a copy beside the checkout.
DB_CANDIDATES = [
    *([Path(os.environ["MEDIABATCH_ADVISORY_DB"])] if os.environ.get("MEDIABATCH_ADVISORY_DB") else []),
    REPO_ROOT / "build" / "advisories" / DB_NAME,
    REPO_ROOT.parent / "shared" / "advisories" / DB_NAME,
]


def requirement_files() -> list[str]:
    """Every requirements file of the repo: the app's, the tools' venvs, the layers'."""
    paths = [*sorted(REPO_ROOT.glob("requirements*.txt")), *sorted(REPO_ROOT.glob("layers/*/requirements.txt"))]
    return [str(p.relative_to(REPO_ROOT)) for p in paths]


# -- pip-audit, when a service answers -------------------------------------------------------------


def pip_audit(requirements: str) -> dict[str, Any]:
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


def fixes(package: str, vuln: dict[str, Any]) -> dict[str, Any]:
    """pip-audit's fix versions as an OSV entry, so both sources report alike."""
    events = [{"fixed": v} for v in vuln.get("fix_versions", [])]
    return {"package": {"name": package, "ecosystem": "PyPI"}, "ranges": [{"type": "ECOSYSTEM", "events": events}]}


def service_findings() -> tuple[list[Finding] | None, str]:
    """pip-audit's findings over the runtime files, or None and why it could not look."""
    if not PIP_AUDIT.exists():
        return None, "pip-audit: not installed (`make reliability` builds `.venv-audit`)."
    reports = {name: pip_audit(name) for name in RUNTIME_FILES}
    if any("error" in r or all(d.get("skip_reason") for d in r.get("dependencies", [])) for r in reports.values()):
        return None, "pip-audit: no vulnerability service answered (PyPI's JSON API and OSV are network services)."
    findings = [
        Finding(
            Pin(d["name"], d["version"], name),
            Advisory(v["id"], tuple(v.get("aliases", [])), v.get("description", ""), False, (fixes(d["name"], v),)),
        )
        for name, report in reports.items()
        for d in report.get("dependencies", [])
        for v in d.get("vulns", [])
    ]
    audited = sum(len(r.get("dependencies", [])) for r in reports.values())
    return findings, f"pip-audit: {audited} runtime pins audited against PyPI's advisories."


# -- the local advisory database -------------------------------------------------------------------


@dataclass
class DatabaseAudit:
    findings: list[Finding]
    figures: dict[str, Any]


def database() -> Path | None:
    return next((p for p in DB_CANDIDATES if (p / "vulns").is_dir()), None)


def database_version(path: Path) -> dict[str, str]:
    """The commit and commit date of the copy, so the report says how old it is: from git for a
    clone, else from a VERSION file (`<commit> <ISO date>`) beside a copy that is not one."""
    result = subprocess.run(
        ["git", "-C", str(path), "log", "-1", "--format=%H %cI"], capture_output=True, text=True, timeout=30
    )
    text = result.stdout if result.returncode == 0 else ""
    if not text and (path / "VERSION").is_file():
        text = (path / "VERSION").read_text()
    commit, _, date = text.strip().partition(" ")
    return {"commit": commit or "unknown", "date": date or "unknown"}


def database_findings(path: Path) -> DatabaseAudit:
    pins: list[Pin] = []
    unpinned: list[str] = []
    files = requirement_files()
    for name in files:
        read = read_pins(REPO_ROOT / name, name)
        pins += read.pins
        unpinned += read.unpinned
    result = audit_pins(pins, load_advisories(path / "vulns", {p.name for p in pins}))
    version = database_version(path)
    age = "unknown"
    if version["date"] != "unknown":
        age = str((dt.datetime.now(dt.UTC) - dt.datetime.fromisoformat(version["date"])).days)
    figures = {
        "database": {"source": "pypa/advisory-database", **version, "age_days": age},
        "files": files,
        "pins": len({(p.name, p.version) for p in pins}),
        "packages": len({p.name for p in pins}),
        "unpinned": unpinned,
        "advisories_checked": result.advisories_checked,
        "unevaluable": result.unevaluable,
    }
    return DatabaseAudit(result.findings, figures)


# -- the suite ---------------------------------------------------------------------------------------


def finding_figure(finding: Finding, accepted: list[Accepted]) -> dict[str, Any]:
    reason = next((a.why for a in accepted if a.covers(finding)), None)
    return {
        "pin": f"{finding.pin.name}=={finding.pin.version}",
        "file": finding.pin.source,
        "id": finding.advisory.id,
        "aliases": list(finding.advisory.aliases),
        "fixed": finding.advisory.fixed_versions(finding.pin.name),
        "summary": finding.advisory.summary,
        "accepted": reason,
    }


def test_no_pinned_dependency_has_an_unexplained_advisory() -> None:
    accepted = read_allowlist(ALLOWLIST)
    service, service_note = service_findings()
    path = database()
    local = database_findings(path) if path else None
    notes = [service_note, "advisory database: " + (f"`{path}`" if path else "none (`make advisories` fetches it).")]
    if service is None and local is None:
        reason = "Not runnable here: " + " ".join(notes)
        record("audit", {"summary": reason, "notes": notes})
        pytest.skip(reason)
    findings = {f.key: f for f in [*(service or []), *(local.findings if local else [])]}
    open_findings = unexplained(findings.values(), accepted)
    stale_entries = stale(local.findings, accepted) if local else []
    record(
        "audit",
        {
            "notes": notes,
            "service": service_note if service is not None else None,
            "local": local.figures if local else None,
            "findings": [finding_figure(f, accepted) for f in findings.values()],
            "summary": f"{len(findings)} advisories match a pin; {len(findings) - len(open_findings)} explained.",
        },
    )
    assert local is None or local.figures["unevaluable"] == [], "advisories with versions PEP 440 cannot read"
    assert [f.key for f in open_findings] == [], "fix the pin, or explain it in audit_allowlist.toml"
    assert [a.id for a in stale_entries] == [], "allowlist entries that match no finding any more: delete them"
