"""Where the reliability suites leave their figures: one JSON file per suite under
build/reliability/, which `make reliability` renders into docs/reliability.md."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIGURES_DIR = Path(__file__).resolve().parents[2] / "build" / "reliability"


def record(suite: str, figures: dict[str, Any]) -> None:
    """Write (or replace) the figures of one suite."""
    FIGURES_DIR.mkdir(parents=True, exist_ok=True)
    (FIGURES_DIR / f"{suite}.json").write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
