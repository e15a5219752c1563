"""Writes results into docs/performance.md: only the generated section changes; the hand-written
text around it is kept. Running one benchmark replaces only that benchmark's block."""

from __future__ import annotations

import re
from pathlib import Path

from bench import BENCHMARKS
from bench.common import REPO_ROOT, BenchResult

DOC = REPO_ROOT / "docs" / "performance.md"
GEN_START = "<!-- bench:generated:start (written by `python -m bench`; do not edit by hand) -->"
GEN_END = "<!-- bench:generated:end -->"
_GEN_RE = re.compile(r"<!-- bench:generated:start.*?-->.*?<!-- bench:generated:end -->", re.S)

DEFAULT_INTRO = """# Performance

Measured figures of mediabatch. `make bench` (`python -m bench`) measures and rewrites the
generated section below; `python -m bench NAME` reruns one benchmark and replaces its table only.

"""


def _block_re(name: str) -> re.Pattern[str]:
    return re.compile(rf"<!-- bench:{re.escape(name)}:start -->.*?<!-- bench:{re.escape(name)}:end -->", re.S)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(result: BenchResult, date: str, machine: str, versions: str) -> str:
    lines = [
        f"<!-- bench:{result.name}:start -->",
        f"### `{result.name}`: {result.title}",
        "",
        "| Figure | Value |",
        "|---|---|",
        f"| Date | {date} |",
        f"| Machine | {_cell(machine)} |",
        f"| Versions | {_cell(versions)} |",
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
        found = _block_re(name).search(generated)
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
