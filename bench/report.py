"""Writes results into docs/performance.md: only the generated section changes; the hand-written
text around it is kept. Running one benchmark replaces only that benchmark's block. Each block
names the commit and the hash of the code it measured (bench.fingerprint), which
tests/test_performance_is_current.py checks against the working tree."""

from __future__ import annotations

import re
from pathlib import Path

from bench import BENCHMARKS
from bench.common import REPO_ROOT, BenchResult

DOC = REPO_ROOT / "docs" / "performance.md"
GEN_START = "<!-- bench:generated:start (written by `python -m bench`; do not edit by hand) -->"
GEN_END = "<!-- bench:generated:end -->"
COMMIT_LABEL = "Measured on commit"
HASH_LABEL = "Code hash (sha256 of the measured files)"
_GEN_RE = re.compile(r"<!-- bench:generated:start.*?-->.*?<!-- bench:generated:end -->", re.S)

DEFAULT_INTRO = """# Performance

Measured figures of mediabatch. `make bench` (`python -m bench`) measures and rewrites the
generated section below; `python -m bench NAME` reruns one benchmark and replaces its table only.

"""


def block_re(name: str) -> re.Pattern[str]:
    return re.compile(rf"<!-- bench:{re.escape(name)}:start -->.*?<!-- bench:{re.escape(name)}:end -->", re.S)


def block_of(text: str, name: str) -> str | None:
    """The generated block of one benchmark in the text of docs/performance.md, if any."""
    match = _GEN_RE.search(text)
    found = block_re(name).search(match.group(0)) if match else None
    return found.group(0) if found else None


def recorded_code(block: str) -> tuple[str, str] | None:
    """(commit, code hash) a block says it measured; None for a block written before blocks
    recorded them."""
    commit = re.search(rf"^\| {re.escape(COMMIT_LABEL)} \| `([^`]+)` \|", block, re.M)
    code = re.search(rf"^\| {re.escape(HASH_LABEL)} \| `([0-9a-f]+)`", block, re.M)
    return (commit.group(1), code.group(1)) if commit and code else None


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(result: BenchResult, date: str, machine: str, versions: str) -> str:
    if not result.code_hash:
        raise ValueError(f"{result.name}: no code hash (bench._run_one records it); a table needs one")
    lines = [
        f"<!-- bench:{result.name}:start -->",
        f"### `{result.name}`: {result.title}",
        "",
        "| Figure | Value |",
        "|---|---|",
        f"| Date | {date} |",
        f"| Machine | {_cell(machine)} |",
        f"| Versions | {_cell(versions)} |",
        f"| {COMMIT_LABEL} | `{result.commit}` |",
        f"| {HASH_LABEL} | `{result.code_hash}` ({result.code_files} files: `python -m bench --files {result.name}`) |",
    ]
    lines += [f"| {_cell(label)} | {_cell(value)} |" for label, value in result.figures]
    lines += [
        f"| Target | {_cell(result.target)} |",
        f"| Met | {'**yes**' if result.met else '**NO: target missed**'} |",
        f"| Benchmark run time | {result.seconds:.0f} s |",
        "",
    ]
    lines += [f"{note}\n" for note in result.notes]
    lines.append(f"<!-- bench:{result.name}:end -->")
    return "\n".join(lines)


def write(results: list[BenchResult], date: str, machine: str, versions: str, doc: Path = DOC) -> None:
    text = doc.read_text() if doc.exists() else DEFAULT_INTRO
    match = _GEN_RE.search(text)
    generated = match.group(0) if match else f"{GEN_START}\n{GEN_END}"
    blocks: dict[str, str] = {}
    for name in BENCHMARKS:
        found = block_re(name).search(generated)
        if found:
            blocks[name] = found.group(0)
    for result in results:
        blocks[result.name] = render(result, date, machine, versions)
    body = "\n\n".join(blocks[name] for name in BENCHMARKS if name in blocks)
    new_generated = f"{GEN_START}\n## Results\n\n{body}\n{GEN_END}"
    if match:
        text = text[: match.start()] + new_generated + text[match.end() :]
    else:
        text = text.rstrip("\n") + "\n\n" + new_generated + "\n"
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text)
