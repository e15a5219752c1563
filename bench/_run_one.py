"""`python -m bench._run_one NAME RESULT.json [--quick]`: one benchmark in a fresh process, so each
gets a fresh local cloud (moto's state only grows, and some of its costs grow with it) and no
benchmark's leftovers (threads, gigabytes in moto's S3) weigh on the next one."""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import logging
import os
import sys
import time
from pathlib import Path

from bench.common import stop_cloud
from bench.fingerprint import fingerprint


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("name")
    parser.add_argument("result", type=Path)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    module = importlib.import_module(f"bench.{args.name}")
    # The code measured, taken before the run: the table names it (docs/performance.md), and
    # tests/test_performance_is_current.py refuses the table once those files change.
    code = fingerprint(module.MEASURES)
    started = time.monotonic()
    load_before = os.getloadavg()[0]
    try:
        result = module.run(quick=args.quick)
    finally:
        stop_cloud()
    result.seconds = time.monotonic() - started
    result.commit, result.code_hash, result.code_files = code.commit, code.code_hash, code.files
    if fingerprint(module.MEASURES).code_hash != code.code_hash:
        print(f"warning: the code {args.name} measures changed during the run; rerun it", flush=True)
    # Other work on the machine shows in every figure; the load says how quiet it was.
    result.figures.append(
        (
            "Machine load (1-min load average) at start / end of this benchmark",
            f"{load_before:.2f} / {os.getloadavg()[0]:.2f} on {len(os.sched_getaffinity(0))} CPUs",
        )
    )
    args.result.write_text(json.dumps(dataclasses.asdict(result)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
