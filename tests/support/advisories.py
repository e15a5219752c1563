"""The dependency audit without a vulnerability service: the project's `==` pins checked against
a local copy of the PyPA advisory database (OSV records, one YAML file each, `vulns/<package>/`).

pip-audit asks PyPI's JSON API or OSV over the network and keeps no database of its own, and
neither answers on the machines this project runs on; the OSV range rules are short enough to
apply here (https://ossf.github.io/osv-schema/#evaluation): a version is affected when it is in
an entry's `versions` list, or when walking an ECOSYSTEM range's events in version order leaves
it inside an introduced..fixed (or introduced..last_affected, inclusive) span."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

# -- pins --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pin:
    """One `name==version` line of a requirements file."""

    name: str  # canonical (PEP 503)
    version: str
    source: str  # the file it was read from, relative to the repo


@dataclass
class PinsRead:
    pins: list[Pin] = field(default_factory=list)
    unpinned: list[str] = field(default_factory=list)  # lines naming a package without `==`


def _requirement_text(line: str) -> str:
    """A requirement line without its comment, options (`--hash=...`) and continuation."""
    text = line.split(" #", 1)[0].strip().rstrip("\\").strip()
    return re.split(r"\s+--", text, maxsplit=1)[0].strip()


def read_pins(path: Path, source: str) -> PinsRead:
    """The exact pins of one requirements file; `-r` includes are not followed (each file is
    read on its own), and lines that pin nothing are listed so the audit can say so."""
    read = PinsRead()
    for line in path.read_text().splitlines():
        text = _requirement_text(line)
        if not text or text.startswith(("#", "-")):
            continue
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            read.unpinned.append(f"{source}: {text}")
            continue
        exact = [s.version for s in requirement.specifier if s.operator in ("==", "===")]
        if exact:
            read.pins.append(Pin(canonicalize_name(requirement.name), exact[0], source))
        else:
            read.unpinned.append(f"{source}: {text}")
    return read


# -- OSV evaluation ------------------------------------------------------------------------------


def _parse(version: str) -> Version | None:
    """PEP 440, or None. Some records spell a build variant with a dash (torch's `2.6.0-cu124`):
    that is read as the local label it means (`2.6.0+cu124`)."""
    for spelling in (version, re.sub(r"-(?=[A-Za-z])", "+", version, count=1)):
        try:
            return Version(spelling)
        except InvalidVersion:
            continue
    return None


class UnevaluableRange(ValueError):
    """A range whose events name a version PEP 440 cannot read."""


_BOTTOM = Version("0")


def _events(events: Sequence[Mapping[str, str]]) -> list[tuple[Version, str]]:
    """(version, kind) in version order; introduced "0" is below every version. `limit` events
    bound git ranges only and are left out."""
    parsed: list[tuple[Version, str]] = []
    for event in events:
        kind, value = next(iter(event.items()))
        if kind == "limit":
            continue
        version = _BOTTOM if value == "0" else _parse(str(value))
        if version is None:
            raise UnevaluableRange(f"{kind}: {value}")
        parsed.append((version, kind))
    return sorted(parsed, key=lambda pair: pair[0])


def range_affects(events: Sequence[Mapping[str, str]], version: Version) -> bool:
    """OSV's evaluation of one ECOSYSTEM range: walk the events in version order."""
    affected = False
    for bound, kind in _events(events):
        if kind == "introduced" and version >= bound:
            affected = True
        elif (kind == "fixed" and version >= bound) or (kind == "last_affected" and version > bound):
            affected = False
    return affected


def entry_affects(entry: Mapping[str, Any], version: str) -> bool:
    """One `affected[]` entry: its explicit `versions`, then its ECOSYSTEM ranges."""
    listed = {str(v) for v in entry.get("versions") or []}
    parsed = _parse(version)
    if version in listed or (parsed is not None and any(_parse(v) == parsed for v in listed)):
        return True
    if parsed is None:
        return False
    return any(
        range_affects(r.get("events") or [], parsed)
        for r in entry.get("ranges") or []
        if r.get("type") in ("ECOSYSTEM", "SEMVER")
    )


@dataclass(frozen=True)
class Advisory:
    id: str
    aliases: tuple[str, ...]
    summary: str
    withdrawn: bool
    affected: tuple[Mapping[str, Any], ...]  # the PyPI entries only

    @classmethod
    def of(cls, record: Mapping[str, Any]) -> Advisory:
        entries = tuple(a for a in record.get("affected") or [] if (a.get("package") or {}).get("ecosystem") == "PyPI")
        text = str(record.get("summary") or record.get("details") or "").strip()
        return cls(
            id=str(record["id"]),
            aliases=tuple(str(a) for a in record.get("aliases") or []),
            summary=text.splitlines()[0] if text else "",
            withdrawn=bool(record.get("withdrawn")),
            affected=entries,
        )

    def affects(self, package: str, version: str) -> bool:
        """Whether `package==version` is affected; a withdrawn advisory affects nothing."""
        if self.withdrawn:
            return False
        return any(
            canonicalize_name(str(e["package"]["name"])) == package and entry_affects(e, version) for e in self.affected
        )

    def fixed_versions(self, package: str) -> list[str]:
        return sorted(
            {
                str(event["fixed"])
                for e in self.affected
                if canonicalize_name(str(e["package"]["name"])) == package
                for r in e.get("ranges") or []
                for event in r.get("events") or []
                if "fixed" in event
            },
            key=lambda v: _parse(v) or Version("0"),
        )


# -- the database and the audit ------------------------------------------------------------------


def load_advisories(vulns_dir: Path, packages: Iterable[str]) -> dict[str, list[Advisory]]:
    """The advisories of the given (canonical) package names, from `vulns/<name>/*.yaml`."""
    wanted = set(packages)
    found: dict[str, list[Advisory]] = {name: [] for name in wanted}
    for folder in sorted(p for p in vulns_dir.iterdir() if p.is_dir()):
        name = canonicalize_name(folder.name)
        if name not in wanted:
            continue
        for path in sorted(folder.glob("*.yaml")):
            found[name].append(Advisory.of(yaml.safe_load(path.read_text())))
    return found


@dataclass(frozen=True)
class Finding:
    pin: Pin
    advisory: Advisory

    @property
    def key(self) -> str:
        return f"{self.pin.name}=={self.pin.version} {self.advisory.id}"


@dataclass
class AuditResult:
    findings: list[Finding] = field(default_factory=list)
    advisories_checked: int = 0
    unevaluable: list[str] = field(default_factory=list)  # advisory ids whose ranges PEP 440 cannot read


def audit_pins(pins: Iterable[Pin], advisories: Mapping[str, Sequence[Advisory]]) -> AuditResult:
    result = AuditResult()
    checked: set[str] = set()
    for pin in pins:
        for advisory in advisories.get(pin.name, ()):
            checked.add(advisory.id)
            try:
                if advisory.affects(pin.name, pin.version):
                    result.findings.append(Finding(pin, advisory))
            except UnevaluableRange:
                result.unevaluable.append(f"{pin.name} {advisory.id}")
    result.advisories_checked = len(checked)
    return result


# -- the allowlist -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Accepted:
    """An advisory judged not to apply, and why (tests/reliability/audit_allowlist.toml)."""

    id: str
    package: str
    why: str
    date: str

    def covers(self, finding: Finding) -> bool:
        ids = {finding.advisory.id, *finding.advisory.aliases}
        return canonicalize_name(self.package) == finding.pin.name and self.id in ids


def read_allowlist(path: Path) -> list[Accepted]:
    entries = tomllib.loads(path.read_text()).get("accepted", [])
    accepted = [Accepted(**{k: str(v) for k, v in entry.items()}) for entry in entries]
    for entry in accepted:
        if not (entry.id and entry.package and entry.why.strip() and re.fullmatch(r"\d{4}-\d{2}-\d{2}", entry.date)):
            raise ValueError(f"allowlist entry {entry.id or '?'} needs id, package, why and a YYYY-MM-DD date")
    return accepted


def unexplained(findings: Iterable[Finding], accepted: Sequence[Accepted]) -> list[Finding]:
    return [f for f in findings if not any(a.covers(f) for a in accepted)]


def stale(findings: Sequence[Finding], accepted: Iterable[Accepted]) -> list[Accepted]:
    """Allowlist entries that no longer match a finding (the pin moved on, or the record did)."""
    return [a for a in accepted if not any(a.covers(f) for f in findings)]
