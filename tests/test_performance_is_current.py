"""docs/performance.md shows only figures measured on the code in this tree: every benchmark's
table records the commit and the hash of the files the benchmark measures (bench.fingerprint),
and the hash is recomputed here from the working tree. Hashing only: nothing is measured."""

from __future__ import annotations

import importlib
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from bench import BENCHMARKS
from bench.common import BenchResult
from bench.fingerprint import REPO_ROOT, changed_since, code_hash, fingerprint, measured_files
from bench.report import DOC, block_of, recorded_code, render, write


def staleness(name: str, doc_text: str, patterns: Sequence[str], root: Path = REPO_ROOT) -> str | None:
    """Why the table of `name` cannot pass as current; None when it can."""
    rerun = f"rerun `python -m bench {name}`"
    block = block_of(doc_text, name)
    if block is None:
        return f"docs/performance.md has no table for {name}: {rerun}"
    recorded = recorded_code(block)
    if recorded is None:
        return f"figures for {name} name no code hash (measured before tables recorded one): {rerun}"
    commit, recorded_hash = recorded
    if code_hash(measured_files(patterns, root), root) == recorded_hash:
        return None
    changed = changed_since(commit, patterns, root)
    if changed is None:
        which = "git cannot say which files"
    elif changed:
        which = "changed: " + ", ".join(changed)
    else:
        which = f"no file differs from {commit}, the measured tree itself was dirty"
    return f"figures for {name} were measured on {commit}; code changed since ({which}): {rerun}"


def measures(name: str) -> tuple[str, ...]:
    return tuple(importlib.import_module(f"bench.{name}").MEASURES)


# ------------------------------------------------------------------ the check itself
@pytest.mark.parametrize("name", BENCHMARKS)
def test_figures_were_measured_on_the_current_code(name: str) -> None:
    reason = staleness(name, DOC.read_text(), measures(name))
    assert reason is None, reason


# ------------------------------------------------------------------ the check can fail
def _tree(root: Path) -> tuple[str, ...]:
    (root / "pkg" / "sub").mkdir(parents=True)
    (root / "pkg" / "__pycache__").mkdir()
    (root / "pkg" / "a.py").write_text("A = 1\n")
    (root / "pkg" / "sub" / "b.py").write_text("B = 2\n")
    (root / "pkg" / "sub" / "skip.py").write_text("S = 3\n")
    (root / "pkg" / "__pycache__" / "a.cpython-311.py").write_text("cached")
    (root / "pkg" / "notes.txt").write_text("not code\n")
    (root / "template.yaml").write_text("Resources: {}\n")
    return ("template.yaml", "pkg/**/*.py", "!pkg/sub/skip*")


def test_patterns_select_files_below_folders_and_drop_exclusions(tmp_path: Path) -> None:
    patterns = _tree(tmp_path)

    assert measured_files(patterns, tmp_path) == ["pkg/a.py", "pkg/sub/b.py", "template.yaml"]


def test_changing_one_measured_file_changes_the_hash(tmp_path: Path) -> None:
    patterns = _tree(tmp_path)
    before = code_hash(measured_files(patterns, tmp_path), tmp_path)

    (tmp_path / "pkg" / "sub" / "b.py").write_text("B = 3\n")

    assert code_hash(measured_files(patterns, tmp_path), tmp_path) != before


def test_a_new_measured_file_changes_the_hash_and_an_unmeasured_one_does_not(tmp_path: Path) -> None:
    patterns = _tree(tmp_path)
    before = code_hash(measured_files(patterns, tmp_path), tmp_path)

    (tmp_path / "pkg" / "notes.txt").write_text("edited\n")
    (tmp_path / "pkg" / "sub" / "skip.py").write_text("S = 4\n")
    assert code_hash(measured_files(patterns, tmp_path), tmp_path) == before

    (tmp_path / "pkg" / "sub" / "c.py").write_text("C = 1\n")
    assert code_hash(measured_files(patterns, tmp_path), tmp_path) != before


def _git(root: Path, *args: str) -> str:
    cmd = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid", *args]
    return subprocess.run(cmd, cwd=root, check=True, capture_output=True, text=True).stdout.strip()


def _result(name: str, commit: str, hash_: str, files: int) -> BenchResult:
    return BenchResult(
        name, "A title", "a target", True, [("A figure", "1.00 s")], commit=commit, code_hash=hash_, code_files=files
    )


def test_a_table_measured_on_other_code_is_refused_naming_the_changed_file(tmp_path: Path) -> None:
    patterns = _tree(tmp_path)
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "measured")
    code = fingerprint(patterns, tmp_path)
    assert "+dirty" not in code.commit
    doc = tmp_path / "performance.md"
    write([_result("download_memory", code.commit, code.code_hash, code.files)], "today", "a machine", "v1", doc)
    assert staleness("download_memory", doc.read_text(), patterns, tmp_path) is None

    (tmp_path / "pkg" / "a.py").write_text("A = 2\n")

    reason = staleness("download_memory", doc.read_text(), patterns, tmp_path)
    assert reason == (
        f"figures for download_memory were measured on {code.commit}; code changed since (changed: pkg/a.py): "
        "rerun `python -m bench download_memory`"
    )
    assert fingerprint(patterns, tmp_path).commit == f"{code.commit}+dirty"


def test_a_table_without_a_code_hash_is_refused() -> None:
    old = (
        "<!-- bench:generated:start -->\n<!-- bench:orchestration_overhead:start -->\n"
        "| Figure | Value |\n|---|---|\n| Date | 2026-11-23 04:07 UTC |\n"
        "<!-- bench:orchestration_overhead:end -->\n<!-- bench:generated:end -->\n"
    )

    reason = staleness("orchestration_overhead", old, measures("orchestration_overhead"))

    assert reason is not None and "name no code hash" in reason
    assert staleness("upload_throughput", old, measures("upload_throughput")) == (
        "docs/performance.md has no table for upload_throughput: rerun `python -m bench upload_throughput`"
    )


# ------------------------------------------------------------------ what the report writes
def test_report_writes_the_commit_and_hash_of_each_table(tmp_path: Path) -> None:
    doc = tmp_path / "performance.md"
    doc.write_text("# Performance\n\nHand-written text stays.\n")

    write([_result("download_memory", "abc1234+dirty", "0123456789ab", 62)], "today", "a machine", "v1", doc)
    write([_result("upload_throughput", "def5678", "ba9876543210", 70)], "later", "a machine", "v1", doc)

    text = doc.read_text()
    assert "Hand-written text stays." in text
    assert "| Measured on commit | `abc1234+dirty` |" in text
    assert "| Code hash (sha256 of the measured files) | `0123456789ab` (62 files:" in text
    assert recorded_code(block_of(text, "download_memory") or "") == ("abc1234+dirty", "0123456789ab")
    assert recorded_code(block_of(text, "upload_throughput") or "") == ("def5678", "ba9876543210")


def test_a_result_without_a_code_hash_cannot_be_written() -> None:
    with pytest.raises(ValueError, match="no code hash"):
        render(_result("download_memory", "", "", 0), "today", "a machine", "v1")


@pytest.mark.parametrize("name", BENCHMARKS)
def test_every_benchmark_measures_its_own_file_and_product_code(name: str) -> None:
    files = measured_files(measures(name))

    assert f"bench/{name}.py" in files
    assert "template.yaml" in files
    assert any(f.startswith("layers/shared/mediabatch/") for f in files)
    assert any(f.startswith("localcloud/") for f in files)
