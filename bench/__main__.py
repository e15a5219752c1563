"""`python -m bench [NAME ...]`: run the benchmarks (all by default), each in a fresh process with
a fresh local cloud, and write their tables into docs/performance.md. `--list` names them,
`--quick` measures once instead of taking medians, `--no-write` only prints, `--files` lists the
files each benchmark measures (whose hash its table records)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime

from bench import BENCHMARKS
from bench.common import REPO_ROOT, BenchResult, machine_line, versions, work_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"benchmarks to run (default: all: {BENCHMARKS})")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument("--quick", action="store_true", help="one measurement per figure (no medians)")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/performance.md")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--files", action="store_true", help="list the files each benchmark measures and exit")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(BENCHMARKS))
        return 0
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; known: {', '.join(BENCHMARKS)}")
    names = [n for n in BENCHMARKS if n in args.names] if args.names else list(BENCHMARKS)
    if args.files:
        _list_files(names)
        return 0

    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine, vers = machine_line(), versions()
    print(f"machine: {machine}\nversions: {vers}", flush=True)
    load, cpus = os.getloadavg()[0], len(os.sched_getaffinity(0))
    if load > cpus / 2:
        print(
            f"warning: the machine is busy (1-min load average {load:.1f} on {cpus} CPUs); figures will be noisy",
            flush=True,
        )
    started = time.monotonic()
    results, failed = _run_each(names, args.quick)
    print(
        f"\nbenchmarks run: {', '.join(r.name for r in results) or 'none'}; total {time.monotonic() - started:.0f} s",
        flush=True,
    )
    if results and not args.no_write:
        from bench.report import DOC, write

        write(results, date, machine, vers)
        print(f"wrote {DOC.relative_to(REPO_ROOT)}")
    if failed:
        print(f"failed: {', '.join(failed)}")
        return 2
    if args.strict and not all(r.met for r in results):
        return 1
    return 0


def _run_each(names: list[str], quick: bool) -> tuple[list[BenchResult], list[str]]:
    """Each benchmark in a process of its own; (the results, the names that could not be measured)."""
    results: list[BenchResult] = []
    failed: list[str] = []
    out_dir = work_dir("results")
    for name in names:
        print(f"\n== {name}", flush=True)
        out = out_dir / f"{name}.json"
        cmd = [sys.executable, "-m", "bench._run_one", name, str(out)] + (["--quick"] if quick else [])
        proc = subprocess.run(cmd, cwd=REPO_ROOT, check=False)
        if proc.returncode != 0 or not out.exists():
            failed.append(name)
            print(
                f"{name}: could not be measured (exit {proc.returncode}); docs/performance.md keeps its old table",
                flush=True,
            )
            continue
        result = BenchResult(**json.loads(out.read_text()))
        results.append(result)
        print(f"  {result.title}\n  code: commit {result.commit}, hash {result.code_hash} ({result.code_files} files)")
        for label, value in result.figures:
            print(f"  {label}: {value}")
        print(f"  target: {result.target} -> {'met' if result.met else 'MISSED'} ({result.seconds:.0f} s)", flush=True)
    return results, failed


def _list_files(names: list[str]) -> None:
    import importlib

    from bench.fingerprint import fingerprint, measured_files

    for name in names:
        patterns = importlib.import_module(f"bench.{name}").MEASURES
        code = fingerprint(patterns)
        print(f"{name}: commit {code.commit}, code hash {code.code_hash}, {code.files} files")
        print("".join(f"  {path}\n" for path in measured_files(patterns)), end="")


if __name__ == "__main__":
    sys.exit(main())
