"""ruff and mypy (strict) stay clean: part of the suite so CI holds the line."""

from __future__ import annotations

import subprocess
import sys

from localcloud.cloud import REPO_ROOT


def test_ruff_is_clean() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "."], capture_output=True, text=True, cwd=REPO_ROOT, timeout=120
    )
    assert result.returncode == 0, "fix these (complexity over 10: split along the seams, docs/architecture.md):\n" + (
        result.stdout + result.stderr
    )


def test_ruff_format_is_clean() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "."],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
    )
    assert result.returncode == 0, "run `make fmt`:\n" + result.stdout + result.stderr


def test_mypy_is_clean() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "layers/shared/mediabatch", "functions", "localcloud", "mediabatch_client"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
